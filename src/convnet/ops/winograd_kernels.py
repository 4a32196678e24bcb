"""The four tile transforms of Winograd F(2×2, 3×3) as single-pass Numba kernels (NHWC, NumPy).

ops/winograd.py runs the 16 GEMMs with BLAS and calls these for everything around them. Each
kernel reads its input once and writes its output once, tile by tile, with the innermost loop
over the contiguous channel axis (LLVM vectorises it): the NumPy version of the same transforms
made 7 to 12 passes over strided views and took two thirds of the forward pass (measured in
ops/winograd.py's docstring). Lavin & Gray (2015), section 4.1, matrices as printed there:

    Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]     V = Bᵀ d B  (4×4)
    Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]                                   Y = Aᵀ M A  (2×2)

Tile t = (image, th, tw) covers input rows 2th..2th+3 and columns 2tw..2tw+3 and outputs
2th..2th+1, 2tw..2tw+1; position (k, l) of a tile is plane 4k + l of the (16, T, C) arrays.
Tiles that run past the array's edge (odd output sizes) go through a small zeroed scratch tile:
reads beyond it are zeros, writes beyond it are dropped.

``nogil``: ops/parallel.py runs image chunks on its thread pool, so these stay single-threaded.
``cache``: compiled once per dtype and kept in ``__pycache__`` (see ops/winograd.py for timings).

Vectorising. Numba cannot mark arrays as not aliasing, so LLVM must check at run time that the
16 output planes and the input rows of a tile do not overlap (~370 pairs); above its default of
8 checks it does not vectorise at all: the input transform took 52 ms for the 32×32×32 layer,
scalar. We raise LLVM's thresholds (``_VECTORISE_ABOVE``, a process-wide LLVM option that only
widens which loops may vectorise): 7 ms. The checks still run once per tile and channel loop
(540 compare-and-branch, measured in the assembly), about 400 cycles per tile, so the
transforms stay ~10x above their arithmetic; code with fewer pointer groups per loop (or
noalias, which Numba does not offer) is the next step.
"""

from __future__ import annotations

import llvmlite.binding
import numba
import numpy as np

_VECTORISE_ABOVE = 1000
for _option in ("runtime-memory-check-threshold", "vectorize-memory-check-threshold"):
    llvmlite.binding.set_option("", f"-{_option}={_VECTORISE_ABOVE}")

_kernel = numba.njit(nogil=True, cache=True)
_inline = numba.njit(inline="always", cache=True)


@_inline
def _bt(d0, d1, d2, d3):
    """Bᵀ times the column (d0, d1, d2, d3)."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@_inline
def _bt_column(x, b, r, s, c):
    """Bᵀ times column s of the tile x[b, r:r+4, :, c]."""
    return _bt(x[b, r, s, c], x[b, r + 1, s, c], x[b, r + 2, s, c], x[b, r + 3, s, c])


@_inline
def _b(v0, v1, v2, v3):
    """B times the column (v0, v1, v2, v3): the adjoint of :func:`_bt`."""
    return v0, v1 - v2 + v3, v1 + v2 - v0, -v3


@_inline
def _at(m0, m1, m2, m3):
    """Aᵀ times the column (m0, m1, m2, m3)."""
    return m0 + m1 + m2, m1 - m2 - m3


@_inline
def _a(y0, y1):
    """A times the column (y0, y1): the adjoint of :func:`_at`."""
    return y0, y0 + y1, y0 - y1, -y1


@_kernel
def _input_tile(x, b, r, s, V, t):
    """``V[:, t] = Bᵀ d B`` for the tile d = x[b, r:r+4, s:s+4] (inside x)."""
    for c in range(x.shape[3]):
        # the columns j of Bᵀ d, then each row k of (Bᵀ d) times B
        j0, j1 = _bt_column(x, b, r, s, c), _bt_column(x, b, r, s + 1, c)
        j2, j3 = _bt_column(x, b, r, s + 2, c), _bt_column(x, b, r, s + 3, c)
        for k in range(4):
            v = _bt(j0[k], j1[k], j2[k], j3[k])
            V[4 * k, t, c], V[4 * k + 1, t, c] = v[0], v[1]
            V[4 * k + 2, t, c], V[4 * k + 3, t, c] = v[2], v[3]


@_kernel
def input_transform(x, V):
    """``V`` (16, T, C) = Bᵀ d B for every 4×4 tile d of the padded ``x`` (n, Hp, Wp, C)."""
    n, Hp, Wp, C = x.shape
    TH, TW = (Hp - 1) // 2, (Wp - 1) // 2
    edge = np.zeros((1, 4, 4, C), dtype=x.dtype)
    for b in range(n):
        for th in range(TH):
            for tw in range(TW):
                t, r, s = (b * TH + th) * TW + tw, 2 * th, 2 * tw
                if r + 4 <= Hp and s + 4 <= Wp:
                    _input_tile(x, b, r, s, V, t)
                else:
                    rows, cols = min(4, Hp - r), min(4, Wp - s)
                    edge[:] = 0
                    edge[0, :rows, :cols] = x[b, r : r + rows, s : s + cols]
                    _input_tile(edge, 0, 0, 0, V, t)


@_kernel
def _output_tile(M, t, bias, y, b, r, s):
    """``y[b, r:r+2, s:s+2] = Aᵀ m A + bias`` for the tile m = M[:, t] (inside y)."""
    for c in range(M.shape[2]):
        # the columns l of Aᵀ m, then each row a of (Aᵀ m) times A
        l0 = _at(M[0, t, c], M[4, t, c], M[8, t, c], M[12, t, c])
        l1 = _at(M[1, t, c], M[5, t, c], M[9, t, c], M[13, t, c])
        l2 = _at(M[2, t, c], M[6, t, c], M[10, t, c], M[14, t, c])
        l3 = _at(M[3, t, c], M[7, t, c], M[11, t, c], M[15, t, c])
        for a in range(2):
            row = _at(l0[a], l1[a], l2[a], l3[a])
            y[b, r + a, s, c] = row[0] + bias[c]
            y[b, r + a, s + 1, c] = row[1] + bias[c]


@_kernel
def output_transform(M, bias, y):
    """``y`` (n, OH, OW, C_out) = Aᵀ m A + ``bias`` (C_out,) for every tile m of ``M`` (16, T,
    C_out); the row and column of the last tiles beyond an odd OH or OW are dropped."""
    n, OH, OW, C_out = y.shape
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    edge = np.empty((1, 2, 2, C_out), dtype=y.dtype)
    for b in range(n):
        for th in range(TH):
            for tw in range(TW):
                t, r, s = (b * TH + th) * TW + tw, 2 * th, 2 * tw
                if r + 2 <= OH and s + 2 <= OW:
                    _output_tile(M, t, bias, y, b, r, s)
                else:
                    _output_tile(M, t, bias, edge, 0, 0, 0)
                    rows, cols = min(2, OH - r), min(2, OW - s)
                    y[b, r : r + rows, s : s + cols] = edge[0, :rows, :cols]


@_kernel
def _output_adjoint_tile(dy, b, r, s, dM, t):
    """``dM[:, t] = A g Aᵀ`` for the 2×2 block g = dy[b, r:r+2, s:s+2] (inside dy)."""
    for c in range(dy.shape[3]):
        # the rows of A g, each times Aᵀ
        b0 = _a(dy[b, r, s, c], dy[b, r + 1, s, c])
        b1 = _a(dy[b, r, s + 1, c], dy[b, r + 1, s + 1, c])
        for k in range(4):
            m = _a(b0[k], b1[k])
            dM[4 * k, t, c], dM[4 * k + 1, t, c] = m[0], m[1]
            dM[4 * k + 2, t, c], dM[4 * k + 3, t, c] = m[2], m[3]


@_kernel
def output_transform_adjoint(dy, dM):
    """``dM`` (16, T, C_out) = A g Aᵀ for every 2×2 block g of ``dy`` (n, OH, OW, C_out), with
    zeros beyond an odd OH or OW."""
    n, OH, OW, C_out = dy.shape
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    edge = np.zeros((1, 2, 2, C_out), dtype=dy.dtype)
    for b in range(n):
        for th in range(TH):
            for tw in range(TW):
                t, r, s = (b * TH + th) * TW + tw, 2 * th, 2 * tw
                if r + 2 <= OH and s + 2 <= OW:
                    _output_adjoint_tile(dy, b, r, s, dM, t)
                else:
                    rows, cols = min(2, OH - r), min(2, OW - s)
                    edge[:] = 0
                    edge[0, :rows, :cols] = dy[b, r : r + rows, s : s + cols]
                    _output_adjoint_tile(edge, 0, 0, 0, dM, t)


@_kernel
def _input_adjoint_tile(dV, t, dx, b, r, s):
    """``dx[b, r:r+4, s:s+4] += B v Bᵀ`` for the tile v = dV[:, t] (inside dx)."""
    for c in range(dV.shape[2]):
        # the columns l of B v, then each row i of (B v) times Bᵀ
        l0 = _b(dV[0, t, c], dV[4, t, c], dV[8, t, c], dV[12, t, c])
        l1 = _b(dV[1, t, c], dV[5, t, c], dV[9, t, c], dV[13, t, c])
        l2 = _b(dV[2, t, c], dV[6, t, c], dV[10, t, c], dV[14, t, c])
        l3 = _b(dV[3, t, c], dV[7, t, c], dV[11, t, c], dV[15, t, c])
        for i in range(4):
            row = _b(l0[i], l1[i], l2[i], l3[i])
            dx[b, r + i, s, c] += row[0]
            dx[b, r + i, s + 1, c] += row[1]
            dx[b, r + i, s + 2, c] += row[2]
            dx[b, r + i, s + 3, c] += row[3]


@_kernel
def input_transform_adjoint(dV, dx):
    """``dx`` (n, Hp, Wp, C) = the sum of B v Bᵀ over the tiles v of ``dV`` (16, T, C), each
    added into its 4×4 window (windows overlap by 2); overwrites ``dx``."""
    n, Hp, Wp, C = dx.shape
    TH, TW = (Hp - 1) // 2, (Wp - 1) // 2
    edge = np.empty((1, 4, 4, C), dtype=dx.dtype)
    for b in range(n):
        dx[b] = 0  # this image's window stays in cache for the += below
        for th in range(TH):
            for tw in range(TW):
                t, r, s = (b * TH + th) * TW + tw, 2 * th, 2 * tw
                if r + 4 <= Hp and s + 4 <= Wp:
                    _input_adjoint_tile(dV, t, dx, b, r, s)
                else:
                    edge[:] = 0
                    _input_adjoint_tile(dV, t, edge, 0, 0, 0)
                    rows, cols = min(4, Hp - r), min(4, Wp - s)
                    dx[b, r : r + rows, s : s + cols] += edge[0, :rows, :cols]
