"""The four tile transforms of Winograd F(2×2, 3×3) as single-pass Numba kernels (NHWC, NumPy).

kernels/winograd.py runs the 16 GEMMs with BLAS and calls these for everything around them. Each
kernel reads its input once and writes its output once: the NumPy version of the same
transforms made 7 to 12 passes over strided views and took two thirds of the forward pass
(measured in kernels/winograd.py's docstring). Lavin & Gray (2015), section 4.1, as printed there:

    Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]     V = Bᵀ d B  (4×4)
    Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]                                   Y = Aᵀ M A  (2×2)

Tile t = (image, th, tw) covers input rows 2th..2th+3 and columns 2tw..2tw+3 and outputs
2th..2th+1, 2tw..2tw+1; position (k, l) of a tile is plane 4k + l of the (16, T, C) arrays,
and the TW tiles of a tile row are consecutive in T. Rows and columns beyond the array's edge
(odd output sizes) read as zeros and are dropped when written. Arrays are C-contiguous.

Loop structure. Each transform is split in two: the product along the rows (k or a, a weighted
sum of 2 to 4 image rows or planes) runs over a whole tile row at once, as flat loops of
W·C elements, one output row per loop; only the product along the columns (stride 2 in the
image, 1 in T) is a loop over C per tile, into a small scratch row or from one. Numba cannot
mark arrays as not aliasing, so LLVM vectorises a loop only after run-time overlap checks, one
per pair of written and read arrays; with this handful per loop every kernel vectorises under
LLVM's default limits (packed AVX-512 adds in the assembly of each; timings with the raised
limit are the same within noise). The per-tile version before (16 planes and 4 image rows in
one channel loop: ~370 pairs per tile) vectorised only with the process-wide LLVM option
``-runtime-memory-check-threshold=1000``, which this module no longer sets, and spent ~400
cycles per tile on the checks. Measured (one thread, float32, batch 128, whole batch in
kernels/winograd.py's chunks, median ms) per tile -> per tile row:

    layer (Hp, Wp, C -> C_out)   input    output   output adjoint   input adjoint
    34×34×32 -> 32               8.0→3.6  6.4→2.6  5.9→2.8          17.0→3.5
    18×18×64 -> 64               2.4→1.2  2.2→0.9  1.9→1.0           4.3→1.4

Two traps kept the first attempts scalar: an index that is not a plain ``range`` variable in
the inner loop (``o + u``) gets Numba's negative-index wraparound, which LLVM cannot vectorise
(hence the reshapes into tile rows), and a sliced 2-D view has a run-time inner stride.
The input adjoint is in gather form (each pixel sums the ≤4 tiles covering it, rows and
columns alike) rather than 4 overlapping ``+=``: dx is written once. Its sums run in another
order than a per-tile ``+=``, so it differs from that by float rounding; the other three give
the same bits as the per-tile kernels.

``nogil``: kernels/parallel.py runs image chunks on its thread pool, so these stay
single-threaded.
``cache``: compiled once per dtype and kept in ``__pycache__`` (see kernels/winograd.py for
timings).
"""

from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(nogil=True, cache=True)


@_kernel
def _row(rows, h, zero):
    """Row ``h`` of ``rows`` (H, U), or ``zero`` beyond its last row."""
    return rows[h] if h < rows.shape[0] else zero


@_kernel
def input_transform(x, V):
    """``V`` (16, T, C) = Bᵀ d B for every 4×4 tile d of the padded ``x`` (n, Hp, Wp, C)."""
    n, Hp, Wp, C = x.shape
    TH, TW = (Hp - 1) // 2, (Wp - 1) // 2
    U = Wp * C
    rows = x.reshape(n, Hp, U)
    zero = np.zeros(U, dtype=x.dtype)
    R = np.zeros((4, 2 * TW + 2, C), dtype=x.dtype)  # Bᵀ d of a tile row; a zero column past Wp
    R2 = R.reshape(4, (2 * TW + 2) * C)
    for b in range(n):
        for th in range(TH):
            r = 2 * th
            d0, d1 = rows[b, r], rows[b, r + 1]
            d2, d3 = _row(rows[b], r + 2, zero), _row(rows[b], r + 3, zero)
            for u in range(U):  # the rows of Bᵀ d, one loop each: 1 written and 2 read arrays
                R2[0, u] = d0[u] - d2[u]
            for u in range(U):
                R2[1, u] = d1[u] + d2[u]
            for u in range(U):
                R2[2, u] = d2[u] - d1[u]
            for u in range(U):
                R2[3, u] = d1[u] - d3[u]
            _bt_columns(R, V, (b * TH + th) * TW)


@_kernel
def _bt_columns(R, V, t0):
    """``V[4k + l, t0 + tw] = ((Bᵀ d) B)[k, l]`` for the tiles of a tile row, from its Bᵀ d
    rows ``R`` (4, Wq, C)."""
    TW = (R.shape[1] - 2) // 2
    for k in range(4):
        for tw in range(TW):
            s, t = 2 * tw, t0 + tw
            for c in range(R.shape[2]):
                j0, j1, j2, j3 = R[k, s, c], R[k, s + 1, c], R[k, s + 2, c], R[k, s + 3, c]
                V[4 * k, t, c] = j0 - j2
                V[4 * k + 1, t, c] = j1 + j2
                V[4 * k + 2, t, c] = j2 - j1
                V[4 * k + 3, t, c] = j1 - j3


@_kernel
def output_transform(M, bias, y, relu):
    """``y`` (n, OH, OW, C_out) = Aᵀ m A + ``bias`` (C_out,) for every tile m of ``M`` (16, T,
    C_out), then max(·, 0) when ``relu``; the row and column of the last tiles beyond an odd OH
    or OW are dropped."""
    n, OH, OW, C = y.shape
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    U = TW * C
    planes = M.reshape(16, n * TH, U)  # (16, tile rows, TW·C)
    P = np.empty((2, 4, TW, C), dtype=y.dtype)  # Aᵀ m of a tile row: (a, l, tw, c)
    P2 = P.reshape(2, 4, U)
    for b in range(n):
        for th in range(TH):
            o = b * TH + th
            for l in range(4):  # the rows of Aᵀ m, one loop each
                for u in range(U):
                    P2[0, l, u] = planes[l, o, u] + planes[4 + l, o, u] + planes[8 + l, o, u]
                for u in range(U):
                    P2[1, l, u] = planes[4 + l, o, u] - planes[8 + l, o, u] - planes[12 + l, o, u]
            for a in range(min(2, OH - 2 * th)):
                _at_columns(P[a], bias, y[b, 2 * th + a], relu)


@_kernel
def _at_columns(P, bias, y, relu):
    """The output row ``y`` (OW, C) = (Aᵀ m) A + bias from its tile row's Aᵀ m row ``P``
    (4, TW, C), then max(·, 0) when ``relu`` (the fused ReLU, while the row is in cache)."""
    OW, C = y.shape
    for tw in range(OW // 2):
        for c in range(C):
            y[2 * tw, c] = P[0, tw, c] + P[1, tw, c] + P[2, tw, c] + bias[c]
            y[2 * tw + 1, c] = P[1, tw, c] - P[2, tw, c] - P[3, tw, c] + bias[c]
    if OW % 2:
        tw = OW // 2
        for c in range(C):
            y[2 * tw, c] = P[0, tw, c] + P[1, tw, c] + P[2, tw, c] + bias[c]
    if relu:
        row = y.reshape(OW * C)
        for u in range(OW * C):
            row[u] = max(row[u], 0.0)


@_kernel
def output_transform_adjoint(dy, y, dM, db):
    """``dM`` (16, T, C_out) = A g Aᵀ for every 2×2 block g of ``dy`` (n, OH, OW, C_out), with
    zeros beyond an odd OH or OW. A non-empty ``y`` (dy's shape: a fused ReLU's output) masks
    dy by y > 0 first; a non-empty ``db`` (C_out,) gets the sum of the (masked) dy added: the
    ReLU's and the bias's gradients without a pass of their own over dY."""
    n, OH, OW, C = dy.shape
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    U = OW * C
    rows = dy.reshape(n, OH, U)
    masks = y.reshape(n, OH, U) if y.size else rows  # unused when y is empty
    masked, summed = y.size > 0, db.size > 0
    zero = np.zeros(U, dtype=dy.dtype)
    G = np.empty((2, U), dtype=dy.dtype)  # a tile row's two rows of dy, masked
    sums = np.zeros(U, dtype=np.float64)  # Σ of dy over rows, per (column, channel): float64
    # keeps a long float32 sum as accurate as NumPy's pairwise one
    Q = np.zeros((4, 2 * TW + 2, C), dtype=dy.dtype)  # A g of a tile row; zero column past OW
    Q2 = Q.reshape(4, (2 * TW + 2) * C)
    for b in range(n):
        for th in range(TH):
            g0, g1 = rows[b, 2 * th], _row(rows[b], 2 * th + 1, zero)
            if masked:
                m0, m1 = masks[b, 2 * th], _row(masks[b], 2 * th + 1, zero)
                for u in range(U):
                    G[0, u] = g0[u] if m0[u] > 0 else 0.0
                for u in range(U):
                    G[1, u] = g1[u] if m1[u] > 0 else 0.0
                g0, g1 = G[0], G[1]
            if summed:
                for u in range(U):
                    sums[u] += g0[u] + g1[u]
            for u in range(U):  # the rows of A g, one loop each
                Q2[0, u] = g0[u]
            for u in range(U):
                Q2[1, u] = g0[u] + g1[u]
            for u in range(U):
                Q2[2, u] = g0[u] - g1[u]
            for u in range(U):
                Q2[3, u] = -g1[u]
            t0 = (b * TH + th) * TW
            for k in range(4):  # each row k of A g times Aᵀ
                for tw in range(TW):
                    s, t = 2 * tw, t0 + tw
                    for c in range(C):
                        m0, m1 = Q[k, s, c], Q[k, s + 1, c]
                        dM[4 * k, t, c] = m0
                        dM[4 * k + 1, t, c] = m0 + m1
                        dM[4 * k + 2, t, c] = m0 - m1
                        dM[4 * k + 3, t, c] = -m1
    if summed:
        for w in range(OW):
            for c in range(C):
                db[c] += sums[w * C + c]


@_kernel
def input_transform_adjoint(dV, dx):
    """``dx`` (n, Hp, Wp, C) = the sum of B v Bᵀ over the tiles v of ``dV`` (16, T, C), each in
    its 4×4 window (windows overlap by 2); overwrites ``dx``. Gather form: row 2th of dx is row
    0 of tile row th plus row 2 of tile row th - 1, row 2th + 1 rows 1 and 3."""
    n, Hp, Wp, C = dx.shape
    TH, TW = (Hp - 1) // 2, (Wp - 1) // 2
    U = Wp * C
    rows = dx.reshape(n, Hp, U)
    R = np.zeros((2, 4, 2 * TW + 2, C), dtype=dx.dtype)  # v Bᵀ rows of this and the last tile row
    R2 = R.reshape(2, 4, (2 * TW + 2) * C)
    zero = np.zeros((4, U), dtype=dx.dtype)
    for b in range(n):
        for th in range(TH + 1):
            r, now, last = 2 * th, R2[th % 2], R2[(th + 1) % 2]
            if th < TH:
                _b_columns(dV, (b * TH + th) * TW, R[th % 2])
            else:
                now = zero
            if th == 0:
                last = zero
            # B (v Bᵀ): row i of a tile is w0 (i = 0), w1 - w2 + w3, w1 + w2 - w0, -w3 (i = 3)
            for u in range(U):
                rows[b, r, u] = now[0, u] + (last[1, u] + last[2, u] - last[0, u])
            if r + 1 < Hp:
                for u in range(U):
                    rows[b, r + 1, u] = (now[1, u] - now[2, u] + now[3, u]) - last[3, u]


@_kernel
def _b_columns(dV, t0, R):
    """``R[k, w]`` (4, Wq, C) = column w of v Bᵀ summed over the tiles v of a tile row (tile
    tw covers columns 2tw..2tw+3): column 2m is column 0 of tile m plus column 2 of tile
    m - 1, column 2m + 1 columns 1 and 3; a missing tile adds nothing."""
    TW, C = (R.shape[1] - 2) // 2, R.shape[2]
    for k in range(4):
        p = 4 * k
        for c in range(C):  # m = 0: tile 0 alone
            R[k, 0, c] = dV[p, t0, c]
            R[k, 1, c] = dV[p + 1, t0, c] - dV[p + 2, t0, c] + dV[p + 3, t0, c]
        for m in range(1, TW):
            t = t0 + m
            for c in range(C):
                R[k, 2 * m, c] = dV[p, t, c] + (
                    dV[p + 1, t - 1, c] + dV[p + 2, t - 1, c] - dV[p, t - 1, c]
                )
                R[k, 2 * m + 1, c] = (dV[p + 1, t, c] - dV[p + 2, t, c] + dV[p + 3, t, c]) - dV[
                    p + 3, t - 1, c
                ]
        t = t0 + TW - 1
        for c in range(C):  # m = TW: the last tile alone
            R[k, 2 * TW, c] = dV[p + 1, t, c] + dV[p + 2, t, c] - dV[p, t, c]
            R[k, 2 * TW + 1, c] = -dV[p + 3, t, c]
