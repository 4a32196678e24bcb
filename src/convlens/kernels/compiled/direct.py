"""Direct convolution for few input channels: Numba kernels with NB images in the vector lanes.

kernels/direct.py calls these (NHWC in, NHWC out). A *block* holds NB images side by side in its
last axis: the padded input as X (C, Hp, Wp·NB) with ``X[c, h, w·NB + b] = x[b, h, w, c]``, an
output as Y (F, OH, OW·NB). Every kernel tap (i, j, c) then reads one contiguous run of X for a
whole output row, ``X[c, oh + i, j·NB :][: OW·NB]``, so the three products are long loops of
one multiply-add per element, with no patch matrix and no band of zeros (kernels/banded.py):

    forward   Y[f, oh]  = b_f + Σ_{i, c, j} w[f, i, j, c] · X[c, oh + i, j·NB :]     correlate
    input     dX        = correlate(dY padded by KH-1, KW-1 all round, w rotated 180°, C <-> F)
    kernel    dW[f, t]  = Σ_{oh, v} dY[f, oh, v] · X[c, oh + i, j·NB + v],  t = (i, j, c)

What makes LLVM vectorise them (one thread, batch 128, LeNet-5's layers 28×28×1 -> 6 "same" and
14×14×6 -> 16; ms per batch, the same loops written otherwise in brackets):

- correlate: the loop over v is innermost and its body unrolls the KW taps of a kernel row, so
  one load and store of the output row serve KW multiply-adds: 0.30 and 0.80 ms (85 to 95 and
  ~75 GFLOP/s). KW must be a compile-time constant for that: it is passed as the length of the
  tuple ``width``, and Numba compiles one version per width. All KH·KW·C taps unrolled ran at
  the same speed for one channel but 18 ms for six (LLVM no longer unrolled them, and
  vectorised the tap loop instead); KW at run time, 9 ms.
- kernel_grad is a reduction: 4 filters × 2 taps of scalar accumulators in one loop over v,
  which LLVM keeps in vector registers (``fastmath`` reassociation lets it split the sums into
  lanes): 6 loads per 8 multiply-adds, 0.50 and 0.95 ms (60 and 65 GFLOP/s, the first with 6
  of its 8 filters real); one (filter, tap) sum per loop, 2 loads per multiply-add, ran at 20.
  Each output row's sums end in horizontal adds; one loop over all rows (shifted copies of X)
  avoided them but read its six streams from L2, slower for the first layer.
- The block transposes loop over the NB images innermost (a constant trip count).
- Indices inside the vector loop are a range variable plus a compile-time constant (j·NB + v);
  anything else gets Numba's negative-index wraparound, which LLVM cannot vectorise.

Lanes past the last image of the batch repeat it (finite values); their outputs are dropped and
their gradient lanes are zero, so no sum sees them. ``nogil``: kernels/parallel.py runs blocks of
images on its threads. ``cache``: compiled once per dtype, width and layout, kept in
``__pycache__``.
"""

from __future__ import annotations

import numba
import numpy as np

NB = 16
"""Images per block: one AVX-512 vector of float32 per pixel. 16 and 32 ran the LeNet-5 layers
at the same speed, 8 and 64 slower (short rows; rows out of L1)."""

_kernel = numba.njit(nogil=True, cache=True)
_products = numba.njit(nogil=True, cache=True, fastmath={"contract"})  # fused multiply-adds
_reduction = numba.njit(nogil=True, cache=True, fastmath={"reassoc", "nsz", "contract"})
_blocks_in_parallel = numba.njit(nogil=True, cache=True, parallel=True)  # Numba's own pool


@_kernel
def to_blocks(x, b0, top, left, X):
    """Images ``b0 .. b0 + NB`` of ``x`` (N, H, W, C) into the block ``X`` (C, Hp, Wp·NB) from
    row ``top`` and column ``left`` on; the rest of X (its zero border) is not touched."""
    N, H, W, C = x.shape
    for c in range(C):
        for h in range(H):
            row = X[c, top + h]
            for w in range(W):
                at = (left + w) * NB
                for b in range(NB):
                    row[at + b] = x[min(b0 + b, N - 1), h, w, c]


@_kernel
def from_blocks(Y, b0, y, relu):
    """The block ``Y`` (F, OH, OW·NB) into images ``b0 ..`` of ``y`` (N, OH, OW, F), ReLU'd
    on the way when ``relu`` (the fused activation)."""
    N, OH, OW, F = y.shape
    n, zero = min(NB, N - b0), Y.dtype.type(0)
    for oh in range(OH):
        for ow in range(OW):
            for f in range(F):
                row = Y[f, oh]
                if n == NB:  # a constant trip count: twice as fast as range(n)
                    for b in range(NB):
                        y[b0 + b, oh, ow, f] = _activated(row[ow * NB + b], relu, zero)
                else:  # the batch's last block
                    for b in range(n):
                        y[b0 + b, oh, ow, f] = _activated(row[ow * NB + b], relu, zero)


@numba.njit(inline="always")
def _activated(value, relu, zero):
    if relu:  # a select, not a branch: the sign of a value is a coin toss
        value = zero if value < 0 else value  # NaN stays NaN, as in np.maximum
    return value


@_kernel
def grad_blocks(dy, y, b0, G):
    """dY of images ``b0 ..`` (N, OH, OW, F) into the block ``G`` (F, OH, OW·NB), times
    [y > 0] where ``y`` (the fused ReLU's output, dY's shape) is not empty. Lanes past the last
    image are zeros."""
    N, OH, OW, F = dy.shape
    n, masked = min(NB, N - b0), y.size > 0
    if n < NB:
        G[:] = 0
    for oh in range(OH):
        for ow in range(OW):
            at = ow * NB
            for f in range(F):
                row = G[f, oh]
                if n == NB:  # the same loop twice: see from_blocks
                    for b in range(NB):
                        row[at + b] = _masked(dy, y, masked, b0 + b, oh, ow, f)
                else:
                    for b in range(n):
                        row[at + b] = _masked(dy, y, masked, b0 + b, oh, ow, f)


@numba.njit(inline="always")
def _masked(dy, y, masked, image, oh, ow, f):
    g = dy[image, oh, ow, f]
    if masked:  # a select; `not masked or y > 0`, or `g - g` for the zero, made it branch and
        g = g if y[image, oh, ow, f] > 0 else dy.dtype.type(0)  # took 2.6x as long
    return g


@_reduction
def add_sums(G, db):
    """``db`` (F,) += the sum of each filter's dY in the block ``G`` (F, OH, OW·NB): the
    bias's gradient, accumulated in ``db``'s dtype."""
    for f in range(G.shape[0]):
        total = G.dtype.type(0)
        for oh in range(G.shape[1]):
            row = G[f, oh]
            for v in range(row.size):
                total += row[v]
        db[f] += total


@_kernel
def pad_into(G, padded, top, left):
    """The block ``G`` (F, OH, OW·NB) into ``padded`` from row ``top`` and column ``left``
    on: its zero border stays. (The kernel gradient reads the compact G: 120 µs per block of
    LeNet's second layer, against 139 µs from the padded one, for an 8 µs copy.)"""
    F, OH, V = G.shape
    for f in range(F):
        for oh in range(OH):
            padded[f, top + oh, left * NB : left * NB + V] = G[f, oh]


@_products
def correlate(X, w, bias, Y, rows, width):
    """``Y`` (F, OH, OW·NB) = bias + the valid correlation of the block ``X`` (C, Hp, Wp·NB)
    with ``w`` (F, KH, KW, C). Rows of X outside ``rows`` = (first, stop) are known to be zeros
    and skipped. ``width`` is any tuple of KW items: its length unrolls a kernel row's taps."""
    F, OH, V = Y.shape
    KH, C = w.shape[1], w.shape[3]
    KW = len(width)
    for f in range(F):
        for oh in range(OH):
            first, stop = max(0, rows[0] - oh), min(KH, rows[1] - oh)
            out = Y[f, oh]
            for v in range(V):
                out[v] = bias[f]
            for i in range(first, stop):
                for c in range(C):
                    row = X[c, oh + i]
                    taps = w[f, i, :, c]
                    for v in range(V):
                        total = out[v]
                        for j in range(KW):
                            total += taps[j] * row[j * NB + v]
                        out[v] = total


@_reduction
def kernel_grad(X, G, kernel_hw, dw):
    """``dw`` (F, KH·KW·C) += Σ_{oh, v} G[f, oh, v] · X[c, oh + i, j·NB + v] for the block G
    (F, OH, OW·NB)
    and every filter f and tap t = (i·KW + j)·C + c: 4 filters × 2 taps of a kernel row per
    loop over v (a tile past the last filter or tap repeats it and drops the result)."""
    KH, KW = kernel_hw
    C, (F, OH, V) = X.shape[0], G.shape
    R = KW * C  # taps per kernel row
    for i in range(KH):
        for f in range(0, F, 4):
            f1, f2, f3 = min(f + 1, F - 1), min(f + 2, F - 1), min(f + 3, F - 1)
            for t in range(0, R, 2):
                j0, c0 = t // C, t % C
                j1, c1 = min(t + 1, R - 1) // C, min(t + 1, R - 1) % C
                s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = X.dtype.type(0)
                for oh in range(OH):
                    x0 = X[c0, oh + i, j0 * NB : j0 * NB + V]
                    x1 = X[c1, oh + i, j1 * NB : j1 * NB + V]
                    g0, g1, g2, g3 = G[f, oh], G[f1, oh], G[f2, oh], G[f3, oh]
                    for v in range(V):
                        a, b = x0[v], x1[v]
                        s00 += g0[v] * a
                        s01 += g0[v] * b
                        s10 += g1[v] * a
                        s11 += g1[v] * b
                        s20 += g2[v] * a
                        s21 += g2[v] * b
                        s30 += g3[v] * a
                        s31 += g3[v] * b
                sums = (s00, s01, s10, s11, s20, s21, s30, s31)
                for k in range(4):  # the filters and taps that exist
                    for l in range(2):
                        if f + k < F and t + l < R:
                            dw[f + k, i * R + t + l] += sums[2 * k + l]


@_kernel
def forward_images(x, top, left, w, bias, relu, rows, width, blocks, first, last, y):
    """Blocks ``first .. last`` of images: ``y`` (N, OH, OW, F) = correlate(x padded by zeros
    at (top, left), w) + bias, ReLU'd when ``relu``. ``blocks`` (count, C, Hp, Wp·NB), zero
    where x does not reach, receives each block's input (kept for the kernel gradient); an
    empty ``blocks`` means one zeroed scratch block instead."""
    _, OH, OW, F = y.shape
    Y = np.empty((F, OH, OW * NB), dtype=y.dtype)
    kept = blocks.shape[0] > 0
    if not kept:
        Hp, Wp = OH + w.shape[1] - 1, OW + len(width) - 1
        blocks = np.zeros((1, x.shape[3], Hp, Wp * NB), dtype=y.dtype)
    for k in range(first, last):
        X = blocks[k if kept else 0]
        to_blocks(x, k * NB, top, left, X)
        correlate(X, w, bias, Y, rows, width)
        from_blocks(Y, k * NB, y, relu)


@_kernel
def backward_images(blocks, first, last, dy, y, rotated, width, dx, dw, db):
    """Blocks ``first .. last`` of images: ``db`` (F,) and, when the forward pass kept the input
    ``blocks``, ``dw`` (F, KH·KW·C) += their gradients from dY (N, OH, OW, F), masked by y > 0
    where the fused ReLU's ``y`` is not empty; when ``dx`` (N, Hp, Wp, C) is not empty, their
    input gradient: the correlation of dY, zero-padded by (KH - 1, KW - 1), with the
    ``rotated`` kernel (C, KH, KW, F)."""
    N, OH, OW, F = dy.shape
    C, KH, KW = rotated.shape[0], rotated.shape[1], len(width)
    input_grad, weight_grad = dx.size > 0, blocks.shape[0] > 0
    G = np.empty((F, OH, OW * NB), dtype=dy.dtype)
    padded = np.zeros((F, OH + 2 * KH - 2, (OW + 2 * KW - 2) * NB), dtype=dy.dtype)
    dX = np.empty((C, OH + KH - 1, (OW + KW - 1) * NB), dtype=dy.dtype)
    no_bias = np.zeros(C, dtype=dy.dtype)
    for k in range(first, last):
        grad_blocks(dy, y, k * NB, G)
        add_sums(G, db)
        if weight_grad:
            kernel_grad(blocks[k], G, (KH, KW), dw)
        if input_grad:
            pad_into(G, padded, KH - 1, KW - 1)
            correlate(padded, rotated, no_bias, dX, (KH - 1, KH - 1 + OH), width)
            from_blocks(dX, k * NB, dx, False)


@_blocks_in_parallel
def forward_in_parallel(x, top, left, w, bias, relu, rows, width, blocks, count, y):
    """:func:`forward_images` for ``count`` blocks spread over Numba's threads
    (kernels/compiled_threads.py says when); without kept ``blocks`` each block fills a
    scratch block of its own."""
    for k in numba.prange(count):
        forward_images(x, top, left, w, bias, relu, rows, width, blocks, k, k + 1, y)


@_blocks_in_parallel
def backward_in_parallel(blocks, count, dy, y, rotated, width, dx, dw, db):
    """:func:`backward_images` for ``count`` blocks spread over Numba's threads, block k adding
    its kernel and bias gradients into its own ``dw[k]`` and ``db[k]`` (summed by the caller)."""
    for k in numba.prange(count):
        backward_images(blocks, k, k + 1, dy, y, rotated, width, dx, dw[k], db[k])


@_blocks_in_parallel
def touch(a):
    """A loop of ``a``'s length that adds 0: launching it starts Numba's thread pool."""
    for k in numba.prange(a.shape[0]):
        a[k] += 0
