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

With few channels these GEMMs are poorly shaped (C_out or C columns); kernels/banded.py then puts a
block of output pixels in each matrix row and the kernel in a banded matrix (the BANDED_*
constants below say when). With groups G, channels split into G blocks and the products are
batched over G. A depthwise kernel (one input channel per group) skips the patch matrix
(kernels/depthwise.py). These functions take and return plain arrays of ``backend.xp``;
ops/conv.py wraps them.
"""

from __future__ import annotations

from .. import backend
from . import banded, parallel


def tap(x, i: int, j: int, out_hw, strides, dilation):
    """The view of ``x`` (N, Hp, Wp, ...) that kernel tap (i, j) multiplies: (N, OH, OW, ...)."""
    (OH, OW), (SH, SW), (DH, DW) = out_hw, strides, dilation
    rows = slice(i * DH, i * DH + (OH - 1) * SH + 1, SH)
    columns = slice(j * DW, j * DW + (OW - 1) * SW + 1, SW)
    return x[:, rows, columns]


CHUNK_BYTES = 1 << 22
"""Patch matrices are built and multiplied this many bytes at a time (whole images), so each
chunk is still in cache when the GEMM reads it; measured on a 2-core EPYC (1 MiB L2 per core,
32 MiB L3): 4 MiB chunks took the (128, 16, 16, 32) -> 64 3×3 layer's forward from 23 to 15 ms
and its input gradient from 30 to 14 ms."""


def chunks(n_images: int, bytes_per_image: int):
    """``(start, stop)`` ranges of whole images, about :data:`CHUNK_BYTES` each, and one per
    kernel thread at least for large enough work (``parallel.chunk_ranges``)."""
    return parallel.chunk_ranges(n_images, bytes_per_image, CHUNK_BYTES)


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


def conv_forward(
    x, kernel, strides, dilation, out_hw, groups: int = 1, keep_cols: bool = True, epilogue=None
):
    """``Y = cols · W`` per group, chunk by chunk: (N, OH, OW, C_out), and the patches (N, OH,
    OW, G, KH, KW, C/G) for the kernel gradient (None unless ``keep_cols``). ``epilogue``
    (bias, activation) runs in place on each chunk of Y while it is still in cache."""
    N, C = x.shape[0], x.shape[-1]
    KH, KW, Cg, C_out = kernel.shape
    geometry = _forward_blocks(kernel.shape, out_hw, strides, dilation, groups)
    if geometry is not None:
        return banded.forward(x, kernel, strides, dilation, out_hw, geometry, keep_cols, epilogue)
    out = backend.xp.empty((N, *out_hw, C_out), dtype=x.dtype)
    w = _grouped_kernel(kernel, groups)  # (G, K, C_out/G)
    if (KH, KW, *out_hw) == (1, 1, *x.shape[1:3]):  # a 1×1 kernel at stride 1 sees x itself
        cols = x.reshape(N, *out_hw, groups, 1, 1, Cg)  # (N, OH, OW, G, 1, 1, C/G)
        backend.xp.matmul(_grouped_cols(cols), w, out=_grouped_rows(out, groups))
        if epilogue is not None:
            epilogue(out)
        return out, (cols if keep_cols else None)
    per_image = out_hw[0] * out_hw[1] * KH * KW * C * x.dtype.itemsize
    image_chunks = chunks(N, per_image)
    kept = _patch_buffer(N, out_hw, groups, (KH, KW), Cg, x.dtype) if keep_cols else None

    def scratch():  # a thread's patch buffer for one chunk, when the patches are not kept
        return _patch_buffer(image_chunks[0][1], out_hw, groups, (KH, KW), Cg, x.dtype)

    def chunk(start, stop, buffer):
        into = kept[start:stop] if keep_cols else buffer[: stop - start]
        cols = im2col(x[start:stop], (KH, KW), strides, dilation, out_hw, groups, out=into)
        backend.xp.matmul(_grouped_cols(cols), w, out=_grouped_rows(out[start:stop], groups))
        if epilogue is not None:
            epilogue(out[start:stop])

    parallel.for_each_chunk(chunk, image_chunks, None if keep_cols else scratch)
    return out, kept


BANDED_MAX_FILTERS = 16
"""Below this many filters, with short window rows (KW·C < :data:`TAP_MAJOR_MAX_RUN`) and
blocks of at least :data:`BANDED_MIN_BLOCK` pixels, the forward pass and dW take the banded
product (kernels/banded.py): cols · W has only C_out columns there. Measured at one thread, batch
128, 28×28×1 -> 6 5×5 "same" (blocks of 4): forward 2.2 -> 1.0 ms, dW 1.35 -> 0.75 ms; 28×28×2
-> 8: 5.8 -> 2.6 ms and 3.5 -> 2.7 ms; but 32×32×3 -> 32 3×3 lost (5.7 -> 6.6 ms), as did
blocks of 2 (28×28×1 -> 8 3×3: 0.7 -> 1.2 ms)."""


BANDED_MIN_BLOCK = 4
"""The fewest output pixels per block for which the banded forward pass pays."""


def _forward_blocks(kernel_shape, out_hw, strides, dilation, groups):
    """The block geometry when the banded product pays for the forward pass, else None."""
    KH, KW, C, C_out = kernel_shape
    if groups != 1 or C_out >= BANDED_MAX_FILTERS or KW * C >= TAP_MAJOR_MAX_RUN:
        return None
    geometry = banded.blocks(out_hw[1], KW, strides[1], dilation[1])
    return geometry if geometry.b >= BANDED_MIN_BLOCK else None


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


KEEP_COLS_BYTES = 1 << 24
"""Larger patch matrices are not kept for the kernel gradient but rebuilt chunk by chunk in the
backward pass, in cache: writing them to memory and reading them back cost more than a second
im2col. Measured (one thread, batch 128, forward + dW): 32×32×32 -> 32 3×3 (151 MB of patches)
90 -> 67 ms, 16×16×32 -> 64 (38 MB) 34 -> 28 ms; 32×32×3 -> 32 (14 MB) 10.9 -> 11.3 ms."""


def worth_keeping(x, kernel_shape, out_hw) -> bool:
    """Whether the patches of ``x`` (N, Hp, Wp, C) take at most :data:`KEEP_COLS_BYTES`."""
    N, C = x.shape[0], x.shape[-1]
    KH, KW = kernel_shape[:2]
    return N * out_hw[0] * out_hw[1] * KH * KW * C * x.dtype.itemsize <= KEEP_COLS_BYTES


def conv_kernel_grad_from_input(x, dy, kernel_shape, strides, dilation, groups: int = 1):
    """``dW = Σ colsᵀ · dY`` over image chunks of the padded input ``x``, each chunk's patches
    rebuilt by :func:`im2col`: (KH, KW, C/G, C_out)."""
    N, OH, OW, _ = dy.shape
    KH, KW, Cg, C_out = kernel_shape
    dy = backend.xp.ascontiguousarray(dy)
    geometry = _forward_blocks(kernel_shape, (OH, OW), strides, dilation, groups)
    if geometry is not None:
        return banded.kernel_grad_from_input(x, dy, kernel_shape, geometry, strides, dilation)
    image_chunks = chunks(N, OH * OW * KH * KW * x.shape[-1] * x.dtype.itemsize)

    def scratch():  # a thread's patch buffer for one chunk
        return _patch_buffer(image_chunks[0][1], (OH, OW), groups, (KH, KW), Cg, x.dtype)

    def chunk(start, stop, buffer):  # this chunk's share of dW: (G, K, C_out/G)
        into = buffer[: stop - start]
        cols = im2col(x[start:stop], (KH, KW), strides, dilation, (OH, OW), groups, out=into)
        a = _grouped_cols(cols)  # (G, m, K)
        return backend.xp.matmul(a.transpose(0, 2, 1), _grouped_rows(dy[start:stop], groups))

    dw = sum(parallel.for_each_chunk(chunk, image_chunks, scratch))  # (G, K, C_out/G)
    return dw.transpose(1, 0, 2).reshape(kernel_shape)  # (K, G, C_out/G) -> (KH, KW, C/G, C_out)


def conv_kernel_grad(cols, dy, kernel_shape):
    """``dW = colsᵀ · dY`` per group, in the kernel's layout (KH, KW, C/G, C_out)."""
    if isinstance(cols, banded.Patches):
        return banded.kernel_grad(cols, dy, kernel_shape)
    a, rows = _grouped_cols(cols), _grouped_rows(dy, cols.shape[3])  # (G, M, K), (G, M, C_out/G)

    def part(bounds):  # the sum over a block of the M patch rows, one per kernel thread
        block = slice(*bounds)
        return backend.xp.matmul(a[:, block].transpose(0, 2, 1), rows[:, block])

    blocks = parallel.chunk_ranges(a.shape[1], a[0, :1].nbytes, a[0].nbytes)
    dw = sum(parallel.map_chunks(part, blocks))  # (G, K, C_out/G)
    return dw.transpose(1, 0, 2).reshape(kernel_shape)  # (K, G, C_out/G) -> (KH, KW, C/G, C_out)


def conv_input_grad(dy, kernel, padded_shape, strides, dilation, groups: int = 1):
    """``dX = col2im(dY · Wᵀ)``, chunk by chunk: the gradient of the padded input (N, Hp, Wp, C)."""
    N, OH, OW, _ = dy.shape
    KH, KW, Cg, _ = kernel.shape
    full_patches = padded_shape[1] * padded_shape[2] * kernel.shape[3]  # Hp·Wp·C_out per tap
    if (strides, dilation, groups) == ((1, 1), (1, 1), 1) and full_patches <= OH * OW * Cg:
        return _full_correlation(dy, kernel, padded_shape)
    if groups == 1 and Cg < BANDED_MAX_CHANNELS:
        return banded.input_grad(dy, kernel, padded_shape, strides, dilation)
    dy = backend.xp.ascontiguousarray(dy)
    dx = backend.xp.zeros(padded_shape, dtype=dy.dtype)
    # Tap-major dcols (G, KH·KW, m, C/G): each tap's slice is contiguous, so col2im's strided
    # adds run along OW·C/G values instead of C/G (14×14×6 -> 16 5×5: 6.1 -> 3.0 ms).
    w_taps = kernel.reshape(KH * KW, Cg, groups, -1).transpose(2, 0, 3, 1)  # (G, T, C_out/G, C/G)
    image_chunks = chunks(N, OH * OW * KH * KW * padded_shape[-1] * dy.dtype.itemsize)

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


BANDED_MAX_CHANNELS = 16
"""Below this many input channels (groups 1), dX is one well-shaped GEMM with a banded matrix
(kernels/banded.py) instead of KH·KW GEMMs whose output rows are C values wide (OpenBLAS runs an
(M, 16)·(16, 6) product at a third of its speed). Measured at one thread, 14×14×6 -> 16 5×5
valid: 3.1 -> 1.7 ms at batch 128; 33×33×3 -> 32 3×3 stride 2: 5.6 -> 2.6 ms; but 32 channels:
21 -> 24 ms."""


# At stride 1 the input gradient is a convolution itself: the full correlation of dY with the
# kernel rotated 180° and its channel axes swapped (tinygrad's "conv backward is two
# convolutions"). One strided patch copy and one GEMM then replace col2im's KH×KW
# read-modify-write passes. Its patch matrix holds Hp·Wp·C_out values per tap against dY·Wᵀ's
# OH·OW·C, so conv_input_grad takes it only when that is no larger (C_out <= C at "same"
# padding). Measured at batch 128, 32×32×32 -> 32 3×3: 42 -> 27 ms; 16×16×64 -> 64: 25 -> 22 ms;
# for 14×14×6 -> 16 5×5 valid (5x the bytes) it lost, 4 ms -> 8 ms inside LeNet-5's step.


def _full_correlation(dy, kernel, padded_shape):
    """``dX = dY ⋆ rot180(W)ᵀ`` with dY zero-padded by KH-1, KW-1: (N, Hp, Wp, C), stride 1."""
    N, OH, OW, C_out = dy.shape
    KH, KW, C, _ = kernel.shape
    dy_full = backend.xp.zeros((N, OH + 2 * (KH - 1), OW + 2 * (KW - 1), C_out), dtype=dy.dtype)
    dy_full[:, KH - 1 : KH - 1 + OH, KW - 1 : KW - 1 + OW] = dy
    rotated = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (KH, KW, C_out, C), rotated 180°
    flipped = backend.xp.ascontiguousarray(rotated)
    dx, _ = conv_forward(dy_full, flipped, (1, 1), (1, 1), padded_shape[1:3], keep_cols=False)
    return dx


def bias_grad(dy):
    """``db = Σ dY`` over the batch and every pixel: (C_out,). Whole rows are summed first,
    (N·OH, OW·C) down its first axis in long contiguous adds, then a row's OW pixels: 4x faster
    than einsum for a few channels (measured (128, 28, 28, 6): 0.41 -> 0.10 ms)."""
    N, OH, OW, C = dy.shape
    rows = dy.reshape(N * OH, OW * C).sum(axis=0)  # (OW·C,), a copy first if dy is strided
    return rows.reshape(OW, C).sum(axis=0)  # (C,)
