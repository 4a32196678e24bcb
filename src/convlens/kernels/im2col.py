"""The array kernels behind every convolution: im2col, one GEMM, and their adjoints (NHWC).

A convolution multiplies each window of the (padded) input by the kernel and sums: the lecture's
"line up the feature, multiply each pixel, add them up". :func:`im2col` copies every window into
one patch matrix with one strided copy (a read-only window view of the input: its runs are
KW·C values long, where KH×KW per-tap copies moved C), so the whole convolution is one matrix
product. The gradients are the same three pieces read backwards:

    forward   Y  = cols · W                          cols (M, KH*KW*C), W (KH*KW*C, C_out)
    kernel    dW = colsᵀ · dY
    input     dX = col2im(dY · Wᵀ)                   each tap's slice of dcols added back where
                                                     im2col took it from (strided `+=`); at
                                                     stride 1 when C_out <= C, the full
                                                     correlation of dY with the rotated kernel

This is the general route: it computes every convolution, any stride, dilation and groups (with
groups G, channels split into G blocks and the products are batched over G). The plan
(kernels/conv_plan.py) sends the convolutions other routes do faster elsewhere: few channels to
kernels/banded.py or kernels/direct.py, 3×3 layers with many channels to kernels/winograd.py,
depthwise kernels to kernels/depthwise.py. Its three entry points, :func:`forward`,
:func:`input_grad` and :func:`kernel_grad`, are every route's; they take and return plain arrays
of ``backend.xp``.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import backend
from . import parallel
from .epilogue import epilogue
from .padding import PaddedInput, pad_array


def tap(x, i: int, j: int, out_hw, strides, dilation):
    """The view of ``x`` (N, Hp, Wp, ...) that kernel tap (i, j) multiplies: (N, OH, OW, ...)."""
    (OH, OW), (SH, SW), (DH, DW) = out_hw, strides, dilation
    rows = slice(i * DH, i * DH + (OH - 1) * SH + 1, SH)
    columns = slice(j * DW, j * DW + (OW - 1) * SW + 1, SW)
    return x[:, rows, columns]


def windows(x, kernel_hw, strides, dilation, out_hw, groups: int = 1):
    """Every window of ``x`` (N, Hp, Wp, C) as one read-only strided view, no copy:
    (N, OH, OW, G, KH, KW, C/G), element ``[n, oh, ow, g, i, j, c]`` is
    ``x[n, oh*SH + i*DH, ow*SW + j*DW, g*C/G + c]``."""
    N, _, _, C = x.shape
    (KH, KW), (OH, OW), (SH, SW), (DH, DW) = kernel_hw, out_hw, strides, dilation
    sN, sH, sW, sC = x.strides
    shape = (N, OH, OW, groups, KH, KW, C // groups)
    steps = (sN, SH * sH, SW * sW, (C // groups) * sC, DH * sH, DW * sW, sC)
    return backend.xp.lib.stride_tricks.as_strided(x, shape, steps)


def im2col(x, kernel_hw, strides, dilation, out_hw, groups: int = 1, out=None):
    """Every window of ``x`` (N, Hp, Wp, C), as (N, OH, OW, G, KH, KW, C/G), by ONE strided copy
    of :func:`windows`: its innermost run is KW*C contiguous values (dilation 1), where KH×KW tap
    copies moved runs of C (one value for a grey image). Measured at batch 128: 14×14×6 5×5
    2.4 -> 0.4 ms, 32×32×32 3×3 42 -> 9 ms; a copy per kernel row was slower (28 ms)."""
    N, _, _, C = x.shape
    (KH, KW), (OH, OW) = kernel_hw, out_hw
    if out is None:
        out = backend.xp.empty((N, OH, OW, groups, KH, KW, C // groups), dtype=x.dtype)
    backend.xp.copyto(out, windows(x, kernel_hw, strides, dilation, out_hw, groups))
    return out


def col2im(dcols, dx, strides, dilation):
    """The adjoint of :func:`im2col`: add each tap's slice of ``dcols`` back into ``dx``."""
    N, OH, OW, G, KH, KW, Cg = dcols.shape
    dx_groups = dx.reshape(*dx.shape[:3], G, Cg)  # (N, Hp, Wp, G, C/G), a view: `+=` writes dx
    for i in range(KH):
        for j in range(KW):
            tap(dx_groups, i, j, (OH, OW), strides, dilation)[...] += dcols[:, :, :, :, i, j, :]
    return dx


def _grouped_kernel(kernel, groups):
    KH, KW, Cg, C_out = kernel.shape
    w = kernel.reshape(KH * KW * Cg, groups, C_out // groups)  # (K, G, C_out/G)
    return w.transpose(1, 0, 2)  # (G, K, C_out/G), a view


def _grouped_rows(y, groups):
    """(N, OH, OW, C) as (G, N*OH*OW, C/G), a view (y must be C-contiguous in its last axes)."""
    N, OH, OW, C = y.shape
    y = y.reshape(N * OH * OW, groups, C // groups)  # (M, G, C/G)
    return y.transpose(1, 0, 2)  # (G, M, C/G)


def _grouped_cols(cols):
    N, OH, OW, G, KH, KW, Cg = cols.shape
    cols = cols.reshape(N * OH * OW, G, KH * KW * Cg)  # (M, G, K)
    return cols.transpose(1, 0, 2)  # (G, M, K), a view


def convolve(
    x, kernel, strides, dilation, out_hw, groups: int = 1, keep_cols: bool = True, finish=None
):
    """``Y = cols · W`` per group of the padded ``x``, chunk by chunk: (N, OH, OW, C_out), and
    the patches (N, OH, OW, G, KH, KW, C/G) for the kernel gradient (None unless
    ``keep_cols``). ``finish`` (kernels/epilogue.py: bias, ReLU) runs in place on each chunk of
    Y while it is still in cache."""
    N, C = x.shape[0], x.shape[-1]
    KH, KW, Cg, C_out = kernel.shape
    out = backend.xp.empty((N, *out_hw, C_out), dtype=x.dtype)
    w = _grouped_kernel(kernel, groups)  # (G, K, C_out/G)
    if (KH, KW, *out_hw) == (1, 1, *x.shape[1:3]):  # a 1×1 kernel at stride 1 sees x itself
        cols = x.reshape(N, *out_hw, groups, 1, 1, Cg)  # (N, OH, OW, G, 1, 1, C/G)
        backend.xp.matmul(_grouped_cols(cols), w, out=_grouped_rows(out, groups))
        if finish is not None:
            finish(out)
        return out, (cols if keep_cols else None)
    per_image = out_hw[0] * out_hw[1] * KH * KW * C * x.dtype.itemsize
    image_chunks = parallel.chunks(N, per_image)
    kept = _patch_buffer(N, out_hw, groups, (KH, KW), Cg, x.dtype) if keep_cols else None

    def scratch():  # a thread's patch buffer for one chunk, when the patches are not kept
        return _patch_buffer(image_chunks[0][1], out_hw, groups, (KH, KW), Cg, x.dtype)

    def chunk(start, stop, buffer):
        into = kept[start:stop] if keep_cols else buffer[: stop - start]
        cols = im2col(x[start:stop], (KH, KW), strides, dilation, out_hw, groups, out=into)
        backend.xp.matmul(_grouped_cols(cols), w, out=_grouped_rows(out[start:stop], groups))
        if finish is not None:
            finish(out[start:stop])

    parallel.for_each_chunk(chunk, image_chunks, None if keep_cols else scratch)
    return out, kept


TAP_MAJOR_MAX_RUN = 16
"""Below this many values per window row (KW·C/G: a grey or RGB image's first layer), patches
are stored tap-major, (G, KH, KW, C/G, N, OH, OW) in memory, and handed on as the transposed
view (N, OH, OW, G, KH, KW, C/G): the copy's contiguous runs become OW pixels instead of KW·C
values, and BLAS reads the transposed operand at no cost. Measured at batch 128, 28×28×1 5×5:
im2col 2.6 -> 0.6 ms, the GEMM 0.5 -> 0.7 ms."""


def _patch_buffer(n_images, out_hw, groups, kernel_hw, Cg, dtype):
    """An uninitialised patch matrix (N, OH, OW, G, KH, KW, C/G), tap-major for short rows."""
    if kernel_hw[1] * Cg >= TAP_MAJOR_MAX_RUN:
        return backend.xp.empty((n_images, *out_hw, groups, *kernel_hw, Cg), dtype=dtype)
    tap_major = backend.xp.empty((groups, *kernel_hw, Cg, n_images, *out_hw), dtype=dtype)
    return tap_major.transpose(4, 5, 6, 0, 1, 2, 3)  # (N, OH, OW, G, KH, KW, C/G), a view


def kernel_grad_from_input(x, dy, kernel_shape, strides, dilation, groups: int = 1):
    """``dW = Σ colsᵀ · dY`` over image chunks of the padded input ``x``, each chunk's patches
    rebuilt by :func:`im2col`: (KH, KW, C/G, C_out)."""
    N, OH, OW, _ = dy.shape
    KH, KW, Cg, C_out = kernel_shape
    dy = backend.xp.ascontiguousarray(dy)
    image_chunks = parallel.chunks(N, OH * OW * KH * KW * x.shape[-1] * x.dtype.itemsize)

    def scratch():  # a thread's patch buffer for one chunk
        return _patch_buffer(image_chunks[0][1], (OH, OW), groups, (KH, KW), Cg, x.dtype)

    def chunk(start, stop, buffer):  # this chunk's share of dW: (G, K, C_out/G)
        into = buffer[: stop - start]
        cols = im2col(x[start:stop], (KH, KW), strides, dilation, (OH, OW), groups, out=into)
        a = _grouped_cols(cols)  # (G, m, K)
        return backend.xp.matmul(a.transpose(0, 2, 1), _grouped_rows(dy[start:stop], groups))

    dw = sum(parallel.for_each_chunk(chunk, image_chunks, scratch))  # (G, K, C_out/G)
    return dw.transpose(1, 0, 2).reshape(kernel_shape)  # (K, G, C_out/G) -> (KH, KW, C/G, C_out)


def kernel_grad_from_patches(cols, dy, kernel_shape):
    """``dW = colsᵀ · dY`` per group, in the kernel's layout (KH, KW, C/G, C_out)."""
    a, rows = _grouped_cols(cols), _grouped_rows(dy, cols.shape[3])  # (G, M, K), (G, M, C_out/G)

    def part(bounds):  # the sum over a block of the M patch rows, one per kernel thread
        block = slice(*bounds)
        return backend.xp.matmul(a[:, block].transpose(0, 2, 1), rows[:, block])

    blocks = parallel.chunk_ranges(a.shape[1], a[0, :1].nbytes, a[0].nbytes)
    dw = sum(parallel.map_chunks(part, blocks))  # (G, K, C_out/G)
    return dw.transpose(1, 0, 2).reshape(kernel_shape)  # (K, G, C_out/G) -> (KH, KW, C/G, C_out)


def input_grad_col2im(dy, kernel, padded_shape, strides, dilation, groups: int = 1):
    """``dX = col2im(dY · Wᵀ)``, chunk by chunk: the gradient of the padded input (N, Hp, Wp, C)."""
    N, OH, OW, _ = dy.shape
    KH, KW, Cg, _ = kernel.shape
    dy = backend.xp.ascontiguousarray(dy)
    dx = backend.xp.zeros(padded_shape, dtype=dy.dtype)
    # Tap-major dcols (G, KH·KW, m, C/G): each tap's slice is contiguous, so col2im's strided
    # adds run along OW·C/G values instead of C/G (14×14×6 -> 16 5×5: 6.1 -> 3.0 ms).
    w_taps = kernel.reshape(KH * KW, Cg, groups, -1).transpose(2, 0, 3, 1)  # (G, T, C_out/G, C/G)
    image_chunks = parallel.chunks(N, OH * OW * KH * KW * padded_shape[-1] * dy.dtype.itemsize)

    def scratch():  # a thread's dcols buffer for one chunk
        return backend.xp.empty(image_chunks[0][1] * OH * OW * KH * KW * Cg * groups, dy.dtype)

    def chunk(start, stop, buffer):
        n = stop - start
        rows = _grouped_rows(dy[start:stop], groups)[:, None]  # (G, 1, m, C_out/G)
        dcols = buffer[: n * OH * OW * KH * KW * Cg * groups].reshape(groups, KH * KW, -1, Cg)
        backend.xp.matmul(rows, w_taps, out=dcols)  # (G, T, m, C/G): dY · Wᵀ, one tap at a time
        dcols = dcols.reshape(groups, KH, KW, n, OH, OW, Cg)  # (G, KH, KW, n, OH, OW, C/G)
        dcols = dcols.transpose(3, 4, 5, 0, 1, 2, 6)  # (n, OH, OW, G, KH, KW, C/G), a view
        col2im(dcols, dx[start:stop], strides, dilation)

    parallel.for_each_chunk(chunk, image_chunks, scratch)
    return dx


# ----- the route's three entry points (kernels/conv_routes.py calls them) -----


class KeptPatches(NamedTuple):
    """The patch matrix (N, OH, OW, G, KH, KW, C/G) the forward pass kept for dW."""

    cols: object


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(cols · W + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says: (N, OH, OW,
    C_out), and what ``keep`` asks for dW: ``"patches"`` (:class:`KeptPatches`), ``"input"``
    (:class:`~.padding.PaddedInput`) or None."""
    x_padded = pad_array(x, spec.amounts, spec.mode)  # (N, Hp, Wp, C)
    options = spec.strides, spec.dilation, spec.out_hw, spec.groups
    out, cols = convolve(x_padded, kernel, *options, keep == "patches", epilogue(bias, relu))
    if keep == "patches":
        return out, KeptPatches(cols)
    return out, (PaddedInput(x_padded) if keep == "input" else None)


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C), by col2im."""
    return input_grad_col2im(
        dy, kernel, spec.padded_shape, spec.strides, spec.dilation, spec.groups
    )


def kernel_grad(dy, saved, spec):
    """dW (KH, KW, C/G, C_out) from the kept patches, or from patches rebuilt chunk by chunk
    from the padded input."""
    if isinstance(saved, KeptPatches):
        return kernel_grad_from_patches(saved.cols, dy, spec.kernel_shape)
    return kernel_grad_from_input(
        saved.x, dy, spec.kernel_shape, spec.strides, spec.dilation, spec.groups
    )
