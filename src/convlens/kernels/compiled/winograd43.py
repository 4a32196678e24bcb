"""The forward transforms of Winograd F(4×4, 3×3) as Numba kernels (NHWC, NumPy).

kernels/winograd43.py runs the 36 GEMMs with BLAS and calls these around them. Lavin & Gray
(2015), section 4.2, with the interpolation points 0, ±1, ±2, ∞:

    Bᵀ = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
          [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]       V = Bᵀ d B (6×6)
    Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
          [0, 1, -1, 8, -8, 1]]                                                  Y = Aᵀ M A (4×4)

Tile t = (image, th, tw) covers input rows 4th..4th+5 and columns 4tw..4tw+5 and outputs
4th..4th+3, 4tw..4tw+3; position (k, l) of a tile is plane 6k + l of the (36, T, C) arrays, the
TW tiles of a tile row consecutive in T. Rows and columns beyond the array's edge (output sizes
not a multiple of 4) read as zeros and are dropped when written.

Layout. The tiles overlap and step by 4 columns, so a tile's column j is not a flat run; the
input is first copied into column groups, X (n, 4·TH + 2, 6, TW, C) with X[b, h, j, tw] =
x[b, h, 4tw + j] (:func:`to_groups`, which also writes the zero padding), and the output is
computed in groups of columns (b, h, r, tw) and copied back (:func:`from_groups`). Then both
products of each transform, along the rows and along the columns, are flat loops over a tile
row's TW·C values, one written plane per loop (a handful of overlap checks: LLVM vectorises
them, as in kernels/compiled/winograd.py), indexed with plain loop variables (any other index
gets Numba's negative-index wraparound) and without array views inside the tile loops (each
view costs two atomic reference counts). Measured, one thread, float32, per 64 images of
34×34×32 -> 32, input / output transform (ms): per-tile loops over C with 6 outputs each
2.4 / 3.3; one output per loop 2.4 / 1.7; flat loops on views 2.4 / 1.2; flat loops without
views 1.3-1.5 / 1.0-1.1 (today's); two to four outputs per flat loop, sharing their sums,
1.8 / 1.8 (LLVM's overlap checks again). ``nogil``: image chunks run on kernels/parallel.py's
threads; ``cache``: compiled once per dtype; ``contract``: fused multiply-adds.
"""

from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(nogil=True, cache=True, fastmath={"contract"})


@_kernel
def _constants(one):
    """2, 4 and 5 in the type of ``one``: an integer literal times a float32 value is float64
    in Numba, and would make every product a float64 one."""
    two = one + one
    four = two + two
    return two, four, four + one


@_kernel
def input_transform(X, V):
    """``V`` (36, T, C) = Bᵀ d B for every 6×6 tile d of a padded input given in overlapping
    column groups: ``X`` (n, 4·TH + 2, 6, TW, C) with ``X[b, h, j, tw] = x[b, h, 4tw + j]``
    (zeros past the input's last row and column), so that every loop below runs over a flat
    run of TW·C values with a plain loop index (and creates no array views: each costs two
    atomic reference counts)."""
    n, Hq, _, TW, C = X.shape
    TH, S = (Hq - 2) // 4, TW * C
    rows = X.reshape(n, Hq, 6 * S)
    R = np.empty((6, 6 * S), dtype=X.dtype)  # Bᵀ d of a tile row, columns grouped as in X
    Rj = R.reshape(6, 6, S)
    planes = V.reshape(36, n * TH, S)
    two, four, five = _constants(X.dtype.type(1))
    for b in range(n):
        for th in range(TH):
            r = 4 * th
            for u in range(6 * S):  # the rows of Bᵀ d, one loop each
                R[0, u] = four * rows[b, r, u] - five * rows[b, r + 2, u] + rows[b, r + 4, u]
            for u in range(6 * S):
                R[1, u] = (
                    rows[b, r + 3, u] + rows[b, r + 4, u]
                    - four * (rows[b, r + 1, u] + rows[b, r + 2, u])
                )  # fmt: skip
            for u in range(6 * S):
                R[2, u] = (
                    four * (rows[b, r + 1, u] - rows[b, r + 2, u])
                    + rows[b, r + 4, u] - rows[b, r + 3, u]
                )  # fmt: skip
            for u in range(6 * S):
                R[3, u] = (
                    two * (rows[b, r + 3, u] - rows[b, r + 1, u])
                    + rows[b, r + 4, u] - rows[b, r + 2, u]
                )  # fmt: skip
            for u in range(6 * S):
                R[4, u] = (
                    two * (rows[b, r + 1, u] - rows[b, r + 3, u])
                    + rows[b, r + 4, u] - rows[b, r + 2, u]
                )  # fmt: skip
            for u in range(6 * S):
                R[5, u] = four * rows[b, r + 1, u] - five * rows[b, r + 3, u] + rows[b, r + 5, u]
            o = b * TH + th
            for k in range(6):  # the columns of (Bᵀ d) B, one written plane per loop
                p = 6 * k
                for u in range(S):
                    planes[p, o, u] = four * Rj[k, 0, u] - five * Rj[k, 2, u] + Rj[k, 4, u]
                for u in range(S):
                    planes[p + 1, o, u] = (
                        Rj[k, 3, u] + Rj[k, 4, u] - four * (Rj[k, 1, u] + Rj[k, 2, u])
                    )
                for u in range(S):
                    planes[p + 2, o, u] = (
                        four * (Rj[k, 1, u] - Rj[k, 2, u]) + Rj[k, 4, u] - Rj[k, 3, u]
                    )
                for u in range(S):
                    planes[p + 3, o, u] = (
                        two * (Rj[k, 3, u] - Rj[k, 1, u]) + Rj[k, 4, u] - Rj[k, 2, u]
                    )
                for u in range(S):
                    planes[p + 4, o, u] = (
                        two * (Rj[k, 1, u] - Rj[k, 3, u]) + Rj[k, 4, u] - Rj[k, 2, u]
                    )
                for u in range(S):
                    planes[p + 5, o, u] = four * Rj[k, 1, u] - five * Rj[k, 3, u] + Rj[k, 5, u]


@_kernel
def output_transform(M, bias, Y, relu):
    """``Y`` (n, 4·TH, 4, TW, C_out) = Aᵀ m A + ``bias`` (C_out,) for every tile m of ``M``
    (36, T, C_out), in column groups (``Y[b, h, r, tw] = y[b, h, 4tw + r]``; the caller
    scatters it into y, dropping rows and columns past OH and OW), then max(·, 0) when
    ``relu``. Flat loops with plain indices, no views, as :func:`input_transform`."""
    n, Hq, _, TW, C = Y.shape
    TH, S = Hq // 4, TW * C
    planes = M.reshape(36, n * TH, S)  # (36, tile rows, TW·C)
    out = Y.reshape(n, Hq, 4, S)
    P = np.empty((4, 6, S), dtype=Y.dtype)  # Aᵀ m of a tile row: (a, l, tw·c)
    bias_row = np.empty(S, dtype=Y.dtype)  # the bias of each of TW·C values
    for u in range(S):
        bias_row[u] = bias[u % C]
    two, four, _ = _constants(Y.dtype.type(1))
    eight = two * four
    zero = Y.dtype.type(0)
    for b in range(n):
        for th in range(TH):
            o = b * TH + th
            for l in range(6):  # the rows of Aᵀ m, one loop each
                for u in range(S):
                    P[0, l, u] = (
                        planes[l, o, u] + planes[6 + l, o, u] + planes[12 + l, o, u]
                        + planes[18 + l, o, u] + planes[24 + l, o, u]
                    )  # fmt: skip
                for u in range(S):
                    P[1, l, u] = (
                        planes[6 + l, o, u] - planes[12 + l, o, u]
                        + two * (planes[18 + l, o, u] - planes[24 + l, o, u])
                    )  # fmt: skip
                for u in range(S):
                    P[2, l, u] = (
                        planes[6 + l, o, u] + planes[12 + l, o, u]
                        + four * (planes[18 + l, o, u] + planes[24 + l, o, u])
                    )  # fmt: skip
                for u in range(S):
                    P[3, l, u] = (
                        planes[6 + l, o, u] - planes[12 + l, o, u]
                        + eight * (planes[18 + l, o, u] - planes[24 + l, o, u])
                        + planes[30 + l, o, u]
                    )  # fmt: skip
            for a in range(4):  # the columns of (Aᵀ m) A, one written group per loop
                h = 4 * th + a
                for u in range(S):
                    out[b, h, 0, u] = (
                        P[a, 0, u] + P[a, 1, u] + P[a, 2, u] + P[a, 3, u] + P[a, 4, u]
                        + bias_row[u]
                    )  # fmt: skip
                for u in range(S):
                    out[b, h, 1, u] = (
                        P[a, 1, u] - P[a, 2, u] + two * (P[a, 3, u] - P[a, 4, u]) + bias_row[u]
                    )
                for u in range(S):
                    out[b, h, 2, u] = (
                        P[a, 1, u] + P[a, 2, u] + four * (P[a, 3, u] + P[a, 4, u]) + bias_row[u]
                    )
                for u in range(S):
                    out[b, h, 3, u] = (
                        P[a, 1, u] - P[a, 2, u] + eight * (P[a, 3, u] - P[a, 4, u])
                        + P[a, 5, u] + bias_row[u]
                    )  # fmt: skip
                if relu:
                    for r in range(4):
                        for u in range(S):
                            value = out[b, h, r, u]
                            out[b, h, r, u] = zero if value < zero else value


@_kernel
def to_groups(x, top, left, X):
    """``X[b, top + h, j, tw] = x[b, h, 4tw + j - left]`` for ``x`` (n, H, W, C) and ``X``
    (n, 4·TH + 2, 6, TW, C): each tile's six columns of the input padded by ``top`` rows and
    ``left`` columns, overlapping by two. The border is not written: X's zeros are the
    padding, so no padded copy of x is made. Twice as fast as six strided NumPy copies
    (measured, 64 images 34×34×32: 0.90 -> 0.38 ms)."""
    n, H, W, C = x.shape
    TW = X.shape[3]
    for b in range(n):
        for h in range(min(H, X.shape[1] - top)):
            for j in range(6):
                for tw in range(TW):
                    w = 4 * tw + j - left
                    if 0 <= w < W:
                        for c in range(C):
                            X[b, top + h, j, tw, c] = x[b, h, w, c]


@_kernel
def from_groups(Y, y):
    """``y[b, h, 4tw + r] = Y[b, h, r, tw]`` for ``y`` (n, OH, OW, C): Y's rows and columns
    past OH and OW dropped (64 images 32×32×32: NumPy's four strided copies 0.52 -> 0.25 ms)."""
    n, OH, OW, C = y.shape
    for b in range(n):
        for h in range(OH):
            for w in range(OW):
                r, tw = w % 4, w // 4
                for c in range(C):
                    y[b, h, w, c] = Y[b, h, r, tw, c]
