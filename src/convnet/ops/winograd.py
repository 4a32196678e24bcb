"""Winograd F(2×2, 3×3): a 3×3, stride-1 convolution with 2.25x fewer multiplications (NHWC).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015), section 4. Each 2×2
block of outputs is computed from the 4×4 input tile d above it (tiles overlap by 2) as

    forward   Y  = Aᵀ [ (G W Gᵀ) ⊙ (Bᵀ d B) ] A          U = G W Gᵀ, V = Bᵀ d B, M = U ⊙ V
    input     dV = dM · Uᵀ with dM = A dY Aᵀ,  dd = B dV Bᵀ added back into the overlapping tiles
    kernel    dU = Σ_tiles Vᵀ · dM,  dW = Gᵀ dU G

The ⊙ is over the 16 tile positions and sums over channels, so it is 16 matrix products
(tiles × C) · (C × C_out): one ``matmul`` on a (16, T, C) @ (16, C, C_out) layout, 16 multiplies
per tile and channel pair where the direct convolution spends 4·9 = 36. The transforms are
whole-array adds and subtracts (B, G and A hold only 0, ±1 and ±½), done separably (rows, then
columns) on image chunks small enough to stay in cache. An odd output size pads the tile grid
with zeros and crops. These functions take and return plain arrays of ``backend.xp``;
ops/conv.py decides when to call them (``use_winograd``).
"""

from __future__ import annotations

from .. import backend
from . import parallel

TILE_CHUNK_BYTES = 1 << 21
"""The 16 transformed tiles of an image chunk (V and M) take about this many bytes. Measured, one
thread, batch 128, 32×32×32 -> 32 forward: 1, 2, 4 MiB chunks 40, 33, 37 ms; 16×16×64 -> 64:
23, 26, 30 ms (2 MiB is 2 and 4 images)."""

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def tile_grid(out_hw):
    """(TH, TW): the number of 2×2 output tiles down and across (odd sizes round up)."""
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


B_SIGNS = (1.0, 1.0, -1.0, 1.0)
"""Our Bᵀ's rows are Lavin's times these signs; ``_signed_G`` folds them into U = G W Gᵀ."""


def _signed_G(dtype):
    """``diag(B_SIGNS) G`` (4, 3), so that (s G) W (s G)ᵀ ⊙ (s Bᵀ) d (s Bᵀ)ᵀ = U ⊙ V."""
    return backend.xp.asarray([[s * g for g in row] for s, row in zip(B_SIGNS, _G)], dtype=dtype)


def kernel_transform(kernel):
    """``U = G W Gᵀ`` for every channel pair: (3, 3, C, C_out) -> (4, 4, C, C_out)."""
    G = _signed_G(kernel.dtype)
    return backend.xp.einsum("ai,ijco,bj->abco", G, kernel, G)  # (4, 4, C, C_out)


def kernel_transform_adjoint(dU):
    """``dW = Gᵀ dU G``: (4, 4, C, C_out) -> (3, 3, C, C_out)."""
    G = _signed_G(dU.dtype)
    return backend.xp.einsum("ai,abco,bj->ijco", G, dU, G)


def _grid_input(x, rows, columns):
    """``x`` (N, H, W, C) zero-extended at the bottom/right to ``rows`` and ``columns`` (a copy
    only when an output size is odd)."""
    N, Hp, Wp, C = x.shape
    if (rows, columns) == (Hp, Wp):
        return x
    grown = backend.xp.zeros((N, rows, columns, C), dtype=x.dtype)
    grown[:, :Hp, :Wp] = x
    return grown


def input_transform(x, grid, V, R):
    """``V = Bᵀ d B`` for every 4×4 tile d of ``x`` (n, 2TH+2, 2TW+2, C): into ``V`` (3, 4, n,
    TH, 2TW, C), using ``R`` (4, n, TH, 2TW+2, C) for the rows; returns the (4, 4, T, C) view
    of the tiles, position (k, l) of every tile. Our Bᵀ is Lavin's with row 2 negated
    (``B_SIGNS``, folded into U): (1, 0, -1, 0), (0, 1, 1, 0), (0, 1, -1, 0), (0, 1, 0, -1).

    Tile row i of tile th is x's row 2th + i; tile column j of tile tw is R's column 2tw + j.
    The column stage runs over every column p, not only the even ones (3 contiguous ops of twice
    the width beat 4 stride-2 ops of runs of C values, 3x slower per value, measured):
    ``R[p] - R[p+2]`` holds l = 0 at even p and l = 3 at odd p, ``R[p] + R[p+1]`` l = 1 at odd
    p and ``R[p] - R[p+1]`` l = 2 at odd p; the GEMMs read the strided (T, C) views in place."""
    TH, TW = grid
    xp = backend.xp
    d = [x[:, i : i + 2 * TH : 2] for i in range(4)]  # (n, TH, 2TW+2, C): row i of every tile
    xp.subtract(d[0], d[2], out=R[0])
    xp.add(d[1], d[2], out=R[1])
    xp.subtract(d[1], d[2], out=R[2])
    xp.subtract(d[1], d[3], out=R[3])
    w = 2 * TW
    xp.subtract(R[:, :, :, 0:w], R[:, :, :, 2 : w + 2], out=V[0])
    xp.add(R[:, :, :, 0:w], R[:, :, :, 1 : w + 1], out=V[1])
    xp.subtract(R[:, :, :, 0:w], R[:, :, :, 1 : w + 1], out=V[2])
    return tile_views(V)


def tile_views(V):
    """The (4, 4, T, C) view of :func:`input_transform`'s buffer V (3, 4, n, TH, 2TW, C)."""
    ops, K, n, TH, w, C = V.shape
    pairs = V.reshape(ops, K, n * TH * w // 2, 2, C)  # (3, 4, T, parity, C), a view
    by_l = [pairs[0, :, :, 0], pairs[1, :, :, 1], pairs[2, :, :, 1], pairs[0, :, :, 1]]
    return by_l  # four (4, T, C) views, l = 0..3, each batched over k


def output_transform(M, y, S):
    """``Y = Aᵀ M A`` for every tile: M (4, 4, n, TH, TW, C_out) into ``y`` (n, 2TH, 2TW,
    C_out), using ``S`` (2, 4, n, TH, TW, C_out). Aᵀ's rows are (1, 1, 1, 0), (0, 1, -1, -1)."""
    xp = backend.xp
    xp.add(M[0], M[1], out=S[0])
    S[0] += M[2]
    xp.subtract(M[1], M[2], out=S[1])
    S[1] -= M[3]
    n, TH, TW, C_out = M.shape[2:]
    blocks = y.reshape(n, TH, 2, TW, 2, C_out)  # (n, TH, a, TW, b, C_out), a view
    left, right = blocks[:, :, :, :, 0], blocks[:, :, :, :, 1]  # (n, TH, 2, TW, C_out)
    left = left.transpose(2, 0, 1, 3, 4)  # (2, n, TH, TW, C_out): output row a of every tile
    right = right.transpose(2, 0, 1, 3, 4)
    xp.add(S[:, 0], S[:, 1], out=left)
    left += S[:, 2]
    xp.subtract(S[:, 1], S[:, 2], out=right)
    right -= S[:, 3]
    return y


def winograd_forward(x, kernel):
    """The 3×3 stride-1 correlation of the padded input ``x`` (N, Hp, Wp, C) with ``kernel``
    (3, 3, C, C_out): (N, Hp - 2, Wp - 2, C_out)."""
    N, Hp, Wp, C = x.shape
    C_out = kernel.shape[-1]
    out_hw = (Hp - 2, Wp - 2)
    TH, TW = grid = tile_grid(out_hw)
    x = _grid_input(x, 2 * TH + 2, 2 * TW + 2)
    U = kernel_transform(kernel)  # (4, 4, C, C_out)
    exact = (2 * TH, 2 * TW) == out_hw
    out = backend.xp.empty((N, 2 * TH, 2 * TW, C_out), dtype=x.dtype)

    def images(first, last):  # one thread's images, chunk by chunk in its own buffers
        buffers = _Buffers(last - first, grid, 2 * TW + 2, C, C_out, x.dtype)
        for start, stop in buffers.chunks:
            V, R, M, S = buffers.views(stop - start, "V", "R", "M", "S")
            start, stop = first + start, first + stop
            tiles = input_transform(x[start:stop], grid, V, R)  # four (4, T, C), one per l
            for l, V_l in enumerate(tiles):  # M = U ⊙ V: (4, T, C) @ (4, C, C_out) per l
                backend.xp.matmul(V_l, U[:, l], out=M[:, l].reshape(4, -1, C_out))
            output_transform(M, out[start:stop], S)

    parallel.map_chunks(lambda bounds: images(*bounds), parallel.split(N))
    return out if exact else out[:, : out_hw[0], : out_hw[1]]


A_SIGNS = (1.0, 1.0, 1.0, -1.0)
"""Our A's rows are Lavin's (1, 0), (1, 1), (1, -1), (0, -1) times these signs, so that
dM = A dY Aᵀ needs no negation; ``_signs`` puts them back on the small U and dU."""


def _signs(dtype):
    """(4, 4, 1, 1): A_SIGNS[k] · A_SIGNS[l], the sign of our dM[k, l] against Lavin's."""
    s = backend.xp.asarray(A_SIGNS, dtype=dtype)
    return (s[:, None] * s[None, :])[:, :, None, None]


def output_transform_adjoint(dy, dM, R):
    """``dM = A dY Aᵀ`` (signs as :data:`A_SIGNS`) for every 2×2 block of ``dy`` (n, 2TH, 2TW,
    C_out), into ``dM`` (4, 4, n, TH, TW, C_out), using ``R`` (4, n, TH, TW, 2, C_out)."""
    xp = backend.xp
    n, TH, TW, C_out = dM.shape[2:]
    blocks = dy.reshape(n, TH, 2, TW, 2, C_out)  # (n, TH, a, TW, b, C_out), a view
    y0, y1 = blocks[:, :, 0], blocks[:, :, 1]  # (n, TH, TW, 2, C_out): output row a of every tile
    xp.copyto(R[0], y0)
    xp.add(y0, y1, out=R[1])
    xp.subtract(y0, y1, out=R[2])
    xp.copyto(R[3], y1)
    xp.copyto(dM[:, 0], R[..., 0, :])
    xp.add(R[..., 0, :], R[..., 1, :], out=dM[:, 1])
    xp.subtract(R[..., 0, :], R[..., 1, :], out=dM[:, 2])
    xp.copyto(dM[:, 3], R[..., 1, :])
    return dM


def input_transform_adjoint(dV, dx, Q, tmp):
    """``dd = B dV Bᵀ`` for every tile, each added into its overlapping 4×4 window of ``dx``
    (n, 2TH+2, 2TW+2, C), which it overwrites. dV (4, 4, n, TH, TW, C); scratch ``Q`` (4, n, TH,
    2TW+2, C) and ``tmp`` (4, n, TH, TW, C). With our Bᵀ (:func:`input_transform`) the tile
    columns are dd_0 = dV_0, dd_1 = dV_1 + dV_2 + dV_3, dd_2 = dV_1 - dV_2 - dV_0, dd_3 = -dV_3,
    and tiles overlap by two: column 2q gets dd_0 of tile q and dd_2 of tile q - 1, column
    2q + 1 gets dd_1 of tile q and dd_3 of tile q - 1. Columns (l) first, then rows (k)."""
    even, odd = Q[:, :, :, 0::2], Q[:, :, :, 1::2]  # (4, n, TH, TW + 1, C)
    _overlap_add(dV[:, 0], dV[:, 1], dV[:, 2], dV[:, 3], even, odd, tmp, axis=3)
    rows = tmp.reshape(-1)[: Q[0].size].reshape(Q[0].shape)  # (n, TH, 2TW+2, C), scratch
    _overlap_add(Q[0], Q[1], Q[2], Q[3], dx[:, 0::2], dx[:, 1::2], rows, axis=1)
    return dx


def _overlap_add(d0, d1, d2, d3, even, odd, tmp, axis):
    """even[q] = d0[q] + (d1 - d2 - d0)[q - 1]; odd[q] = (d1 + d2 + d3)[q] - d3[q - 1] along the
    tile ``axis``, where ``even``/``odd`` have one more entry."""
    xp = backend.xp
    head = (slice(None),) * axis
    first, last, shifted = head + (slice(0, -1),), head + (-1,), head + (slice(1, None),)
    xp.copyto(even[first], d0)
    even[last] = 0
    xp.subtract(d1, d2, out=tmp)
    tmp -= d0
    even[shifted] += tmp
    xp.add(d1, d2, out=odd[first])
    odd[first] += d3
    odd[last] = 0
    odd[shifted] -= d3


def winograd_grads(dy, kernel, padded_shape, x=None, input_grad=True):
    """The gradients of :func:`winograd_forward` for the upstream ``dy`` (N, OH, OW, C_out): dX
    of the padded input (``padded_shape``, (N, Hp, Wp, C); None unless ``input_grad``) and dW
    (3, 3, C, C_out) when the padded input ``x`` is given. dM = A dY Aᵀ is computed once per
    chunk and serves both. V is recomputed from x in cache rather than kept from the forward
    pass: kept, it would be 1.5x the size of the 16 tile planes (100 MB for the 32×32×32 layer
    at batch 128), and the im2col patches of that size lost to a rebuild (im2col.KEEP_COLS_BYTES).
    Not measured for V itself; the rebuild costs about 11 ms of that layer's 111."""
    xp = backend.xp
    N, Hp, Wp, C = padded_shape
    C_out = kernel.shape[-1]
    kernel_grad = x is not None
    TH, TW = grid = tile_grid(dy.shape[1:3])
    dy = _grid_input(dy, 2 * TH, 2 * TW)  # (N, 2TH, 2TW, C_out)
    if kernel_grad:
        x = _grid_input(x, 2 * TH + 2, 2 * TW + 2)
    signs = _signs(dy.dtype)
    Ut = (kernel_transform(kernel) * signs).transpose(0, 1, 3, 2)  # (4, 4, C_out, C)
    dx = xp.empty((N, 2 * TH + 2, 2 * TW + 2, C), dtype=dy.dtype) if input_grad else None

    def images(first, last):  # one thread's images: its share of dx, and its partial dU
        dU = xp.zeros((4, 4, C, C_out), dtype=dy.dtype) if kernel_grad else None
        buffers = _Buffers(last - first, grid, 2 * TW + 2, C, C_out, dy.dtype)
        for start, stop in buffers.chunks:
            n, start, stop = stop - start, first + start, first + stop
            dM, Rd, V, R = buffers.views(n, "M", "Rd", "V", "R")
            output_transform_adjoint(dy[start:stop], dM, Rd)
            if input_grad:  # dV = dM · Uᵀ, 16 GEMMs (T, C_out) @ (C_out, C)
                dV, Q, tmp = buffers.views(n, "dV", "R", "tmp")
                dM_rows, dV_rows = dM.reshape(16, -1, C_out), dV.reshape(16, -1, C)  # (16, T, ·)
                xp.matmul(dM_rows, Ut.reshape(16, C_out, C), out=dV_rows)
                input_transform_adjoint(dV, dx[start:stop], Q, tmp)
            if kernel_grad:  # dU = Σ_tiles Vᵀ · dM, 16 GEMMs (C, T) @ (T, C_out)
                tiles = input_transform(x[start:stop], grid, V, R)
                for l, V_l in enumerate(tiles):
                    dU[:, l] += xp.matmul(V_l.transpose(0, 2, 1), dM[:, l].reshape(4, -1, C_out))
        return dU

    partial = parallel.map_chunks(lambda bounds: images(*bounds), parallel.split(N))
    dx = None if dx is None else dx[:, :Hp, :Wp]
    dw = kernel_transform_adjoint(sum(partial) * signs) if kernel_grad else None
    return dx, dw


class _Buffers:
    """The scratch arrays of one image chunk, allocated once per call and reused."""

    def __init__(self, N, grid, columns, C, C_out, dtype):
        TH, TW = grid
        per_image = 16 * TH * TW * (C + C_out) * dtype.itemsize
        self.chunks = _tile_chunks(N, per_image)
        n = self.chunks[0][1]
        self.shapes = {  # name: (shape, the image axis)
            "V": ((3, 4, n, TH, 2 * TW, C), 2),
            "R": ((4, n, TH, columns, C), 1),
            "M": ((4, 4, n, TH, TW, C_out), 2),
            "S": ((2, 4, n, TH, TW, C_out), 2),
            "Rd": ((4, n, TH, TW, 2, C_out), 1),
            "dV": ((4, 4, n, TH, TW, C), 2),
            "tmp": ((4, n, TH, TW, C), 1),
        }
        self.dtype, self.flat = dtype, {}

    def views(self, n, *names):
        """The named buffers shaped for a chunk of ``n`` images (the last chunk may be short)."""
        shaped = []
        for name in names:
            full, axis = self.shapes[name]
            if name not in self.flat:
                self.flat[name] = backend.xp.empty(_size(full), dtype=self.dtype)
            shape = list(full)
            shape[axis] = n
            shaped.append(self.flat[name][: _size(shape)].reshape(shape))
        return shaped


def _size(shape):
    size = 1
    for s in shape:
        size *= s
    return size


def _tile_chunks(n_images, bytes_per_image):
    step = max(1, TILE_CHUNK_BYTES // max(bytes_per_image, 1))
    return [(start, min(start + step, n_images)) for start in range(0, n_images, step)]
