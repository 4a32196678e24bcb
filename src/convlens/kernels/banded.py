"""Banded GEMMs: a convolution with few channels as one well-shaped matrix product (NHWC).

im2col gives every output pixel its own patch row, so the product has C_out columns and, in
the input gradient, KH·KW·C: a grey image's 5×5 layer multiplies (100352, 25)·(25, 6), a shape
OpenBLAS runs at a fraction of its speed. Here ``b`` neighbouring output pixels of a row share
one patch row, the KH × ``span`` input pixels they read, and the kernel becomes a banded matrix
(output pixel u reads input pixels u·SW + j·DW: the kernel shifted by u in each row block):

    forward   Y_blocks  = patches · bandᵀ          patches (m, KH*span*C), band (b*C_out, ...)
    kernel    dW        = fold(patchesᵀ · dY_blocks)   the band's b shifted copies summed
    input     dX        = scatter(dY_blocks · band)    rows of span*C values, one `+=` each

The band's zeros cost span / KW times the multiplications of im2col (span = (b - 1)·SW +
DW·(KW - 1) + 1), paid back where im2col's shapes are poor: few channels. The plan
(kernels/conv_plan.py, its ``banded_*`` thresholds) says when; groups are not supported. The
route's three entry points are :func:`forward`, :func:`input_grad` and :func:`kernel_grad`.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import backend
from . import parallel
from .epilogue import epilogue
from .padding import PaddedInput, pad_array


class Blocks(NamedTuple):
    """How the output rows split into blocks: ``b`` pixels each, ``count`` per row, reading
    ``span`` input pixels; blocks ``sets`` apart never overlap in the input."""

    b: int
    count: int
    span: int
    sets: int


def blocks(OW: int, KW: int, SW: int, DW: int) -> Blocks:
    """The block geometry: ``b`` is the largest divisor of OW no wider than the kernel's reach
    (a wider block wastes more multiplications on the band's zeros, a narrower one gives the
    product fewer columns)."""
    reach = DW * (KW - 1) + 1
    b = max(b for b in range(1, min(OW, reach) + 1) if OW % b == 0)
    span = (b - 1) * SW + reach
    return Blocks(b, OW // b, span, -(-span // (b * SW)))


def band(kernel, geometry: Blocks, SW: int, DW: int):
    """The banded matrix taking the dY of a block's ``b`` pixels (b·C_out values) to the ``span``
    input pixels they read, for every kernel row: (b·C_out, KH·span·C)."""
    KH, KW, C, C_out = kernel.shape
    b, span = geometry.b, geometry.span
    matrix = backend.xp.zeros((b, C_out, KH, span, C), dtype=kernel.dtype)
    taps = kernel.transpose(3, 0, 1, 2)  # (C_out, KH, KW, C)
    for u in range(b):
        matrix[u, :, :, u * SW : u * SW + DW * (KW - 1) + 1 : DW] = taps
    return matrix.reshape(b * C_out, KH * span * C)  # (b·C_out, KH·span·C)


def patches(x, KH: int, geometry: Blocks, strides, dilation, OH: int, out):
    """Each block's input, KH rows of ``span`` pixels, into ``out`` (n·OH·count, KH·span·C).

    Two strided copies: every row's block columns first, (n, count, Hp, span·C), then KH rows
    of that, one run of KH·span·C values at dilation 1, where one copy moved runs of span·C
    values (measured (128, 32, 32, 1), blocks of 4: 0.62 -> 0.33 ms)."""
    N, Hp, _, C = x.shape
    (SH, SW), DH = strides, dilation[0]
    b, count, span, _ = geometry
    as_strided = backend.xp.lib.stride_tricks.as_strided
    sN, sH, sW, sC = x.strides
    columns = backend.xp.empty((N, count, Hp, span, C), dtype=x.dtype)
    backend.xp.copyto(columns, as_strided(x, columns.shape, (sN, b * SW * sW, sH, sW, sC)))
    cN, cq, ch = columns.strides[:3]
    shape = (N, OH, count, KH, span * C)
    rows = as_strided(columns, shape, (cN, SH * ch, cq, DH * ch, columns.itemsize))
    backend.xp.copyto(out.reshape(shape), rows)  # (n, OH, count, KH, span·C)
    return out


def fold(d_band, geometry: Blocks, kernel_shape, SW: int, DW: int):
    """dW from the gradient of the band's transpose (KH·span·C, b·C_out): the kernel appears
    in it ``b`` times, shifted by u·SW pixels; the sum of those copies, (KH, KW, C, C_out)."""
    KH, KW, C, C_out = kernel_shape
    d_band = d_band.reshape(KH, geometry.span, C, geometry.b, C_out)  # (KH, span, C, b, C_out)
    dw = backend.xp.zeros(kernel_shape, dtype=d_band.dtype)
    for u in range(geometry.b):
        dw += d_band[:, u * SW : u * SW + DW * (KW - 1) + 1 : DW, :, u, :]
    return dw


def add_rows(dx, rows, geometry: Blocks, strides, dilation):
    """``dx`` (n, Hp, Wp, C) += each block's rows (n, OH, count, KH, span·C): kernel row i of
    output row oh lands on input row oh·SH + i·DH, columns from the block's first pixel on."""
    n, OH, count, KH, _ = rows.shape
    (SH, SW), DH = strides, dilation[0]
    b, _, span, sets = geometry
    sN, sH, sW, sC = dx.strides
    for i in range(KH):
        for first in range(min(sets, count)):
            corner = dx[:, i * DH :, first * b * SW :]  # block `first`'s corner, kernel row i
            shape = (n, OH, len(range(first, count, sets)), span * dx.shape[3])
            target = backend.xp.lib.stride_tricks.as_strided(
                corner, shape, (sN, SH * sH, sets * b * SW * sW, sC)
            )  # (n, OH, blocks of this set, span·C), a writable view: no two overlap
            target += rows[:, :, first::sets, i]
    return dx


class KeptPatches(NamedTuple):
    """The patches :func:`convolve` keeps for dW, (N·OH·count, KH·span·C), and their
    geometry."""

    matrix: object
    geometry: Blocks


def convolve(x, kernel, strides, dilation, out_hw, geometry: Blocks, keep: bool, finish=None):
    """``Y = patches · bandᵀ`` of the padded ``x``, chunk by chunk: (N, OH, OW, C_out), and
    :class:`KeptPatches` for dW (None unless ``keep``); ``finish`` runs in place on each chunk
    of Y."""
    N, (OH, OW), C_out = x.shape[0], out_hw, kernel.shape[3]
    w = band(kernel, geometry, strides[1], dilation[1]).T  # (K, b·C_out), K = KH·span·C
    m = OH * geometry.count  # patch rows per image
    out = backend.xp.empty((N, OH, OW, C_out), dtype=x.dtype)
    rows = out.reshape(N * m, geometry.b * C_out)  # (N·m, b·C_out): each block's b pixels
    image_chunks = parallel.chunks(N, m * w.shape[0] * x.dtype.itemsize)
    kept = backend.xp.empty((N * m, w.shape[0]), x.dtype) if keep else None

    def scratch():  # a thread's patch rows for one chunk, when the patches are not kept
        return backend.xp.empty((image_chunks[0][1] * m, w.shape[0]), x.dtype)

    def chunk(start, stop, buffer):
        into = kept[start * m : stop * m] if keep else buffer[: (stop - start) * m]
        cols = patches(x[start:stop], kernel.shape[0], geometry, strides, dilation, OH, into)
        backend.xp.matmul(cols, w, out=rows[start * m : stop * m])
        if finish is not None:
            finish(out[start:stop])

    parallel.for_each_chunk(chunk, image_chunks, None if keep else scratch)
    return out, (KeptPatches(kept, geometry) if keep else None)


def kernel_grad_from_patches(saved: KeptPatches, dy, kernel_shape, strides, dilation):
    """``dW = fold(patchesᵀ · dY_blocks)`` from the patches :func:`convolve` kept."""
    geometry, SW, DW = saved.geometry, strides[1], dilation[1]
    matrix, dy_rows = saved.matrix, dy.reshape(saved.matrix.shape[0], -1)  # (N·OH·count, ·)

    def part(bounds):  # a block of the patch rows' share, one per kernel thread
        return matrix[bounds[0] : bounds[1]].T @ dy_rows[bounds[0] : bounds[1]]

    blocks = parallel.chunk_ranges(len(matrix), matrix[:1].nbytes, matrix.nbytes)
    return fold(sum(parallel.map_chunks(part, blocks)), geometry, kernel_shape, SW, DW)


def kernel_grad_from_input(x, dy, kernel_shape, geometry: Blocks, strides, dilation):
    """``dW = fold(Σ patchesᵀ · dY_blocks)``, the patches rebuilt chunk by chunk from ``x``."""
    N, OH = dy.shape[:2]
    m, K = OH * geometry.count, kernel_shape[0] * geometry.span * kernel_shape[2]
    image_chunks = parallel.chunks(N, m * K * x.dtype.itemsize)

    def scratch():  # a thread's patch rows for one chunk
        return backend.xp.empty((image_chunks[0][1] * m, K), dtype=x.dtype)

    def chunk(start, stop, buffer):  # this chunk's share of the band's gradient (K, b·C_out)
        into = buffer[: (stop - start) * m]
        cols = patches(x[start:stop], kernel_shape[0], geometry, strides, dilation, OH, into)
        return cols.T @ dy[start:stop].reshape(len(cols), -1)

    d_band = sum(parallel.for_each_chunk(chunk, image_chunks, scratch))
    return fold(d_band, geometry, kernel_shape, strides[1], dilation[1])


def input_grad_scatter(dy, kernel, padded_shape, strides, dilation):
    """``dX = scatter(dY_blocks · band)`` chunk by chunk: each block's gradient, KH rows of
    span·C values, added where its input came from: (N, Hp, Wp, C)."""
    N, OH, OW, C_out = dy.shape
    geometry = blocks(OW, kernel.shape[1], strides[1], dilation[1])
    matrix = band(kernel, geometry, strides[1], dilation[1])  # (b·C_out, KH·span·C)
    dy = backend.xp.ascontiguousarray(dy)
    dx = backend.xp.zeros(padded_shape, dtype=dy.dtype)
    m = OH * geometry.count  # block rows per image

    def chunk(start, stop, _):
        n = stop - start
        rows = dy[start:stop].reshape(n * m, geometry.b * C_out) @ matrix  # (n·m, KH·span·C)
        rows = rows.reshape(n, OH, geometry.count, kernel.shape[0], -1)  # (.., KH, span·C)
        add_rows(dx[start:stop], rows, geometry, strides, dilation)

    parallel.for_each_chunk(chunk, parallel.chunks(N, m * matrix.shape[1] * dy.dtype.itemsize))
    return dx


# ----- the route's three entry points (kernels/conv_routes.py calls them) -----


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(patches · bandᵀ + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says: (N, OH,
    OW, C_out), and what ``keep`` asks for dW: ``"patches"`` (:class:`KeptPatches`),
    ``"input"`` (:class:`~.padding.PaddedInput`) or None."""
    x_padded = pad_array(x, spec.amounts, spec.mode)  # (N, Hp, Wp, C)
    geometry = blocks(spec.out_hw[1], kernel.shape[1], spec.strides[1], spec.dilation[1])
    out, kept = convolve(
        x_padded, kernel, spec.strides, spec.dilation, spec.out_hw, geometry,
        keep == "patches", epilogue(bias, relu),
    )  # fmt: skip
    if keep == "patches":
        return out, kept
    return out, (PaddedInput(x_padded) if keep == "input" else None)


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C): one banded GEMM, then the scatter."""
    return input_grad_scatter(dy, kernel, spec.padded_shape, spec.strides, spec.dilation)


def kernel_grad(dy, saved, spec):
    """dW (KH, KW, C, C_out) from the kept patches, or from patches rebuilt chunk by chunk from
    the padded input."""
    if isinstance(saved, KeptPatches):
        return kernel_grad_from_patches(saved, dy, spec.kernel_shape, spec.strides, spec.dilation)
    geometry = blocks(spec.out_hw[1], spec.kernel_shape[1], spec.strides[1], spec.dilation[1])
    return kernel_grad_from_input(
        saved.x, dy, spec.kernel_shape, geometry, spec.strides, spec.dilation
    )
