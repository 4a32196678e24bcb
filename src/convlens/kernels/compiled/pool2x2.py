"""Max and min pooling by 2×2 windows at stride 2 as single-pass Numba kernels (NumPy arrays).

kernels/pool2x2.py calls these on blocks of window rows. The forward kernels read the input once
and write the values (and the winning cell) once, where the NumPy passes they replace made 7
passes over the input with the index and 2 without; the backward kernels write each cell of dX
once (the windows tile the input) where NumPy zero-filled dX and made four strided passes.
Kernel time alone (one thread, float32, batch 128, median µs):

    input (H, W, C)   forward + index   values only   backward
    28×28×6           181               166           226
    28×28×6, NCHW     134               103           131
    10×10×16           23                18            25
    16×16×64          172               149           145

Layout. The input is seen as rows of windows ``(R, 2, OW, 2, U)``: R window rows (N·OH channels
last, N·C·OH channels first), a window's two image rows, OW windows, their two columns, and U
contiguous values per pixel (C channels last, 1 channels first); values, index and dY are
``(R, OW, U)``. Channels last, the inner loops run over the U channels of a pixel, the only
run contiguous in every array: they vectorise in full for U = 16, 32, 64 and mostly run scalar
for LeNet-5's 6 (~1.2 ns a window). Channels first (U = 1) they run along a row instead,
reading columns 2·ow and 2·ow + 1, which LLVM de-interleaves with vector permutes. Tried for 6
channels and slower or no faster (µs, as above): rows compared at a shift of one pixel, then
the even pixels kept (forward 230; backward, dY spread first, 211), an offset table (270: LLVM
does not gather), a constant 6 channels (250), one loop storing all four cells of dX (750 on
random winners: LLVM turns its selects into branches; one loop per cell pays off only when U
is a multiple of 8, otherwise ``_backward_scatter``).

The winner ``k = 2i + j`` is decided as the NumPy passes decide it, so both routes give the same
values and index, NaN and infinities included: the better cell of each window row first (``j``;
strict, so the first of equal values wins), then the better of the two rows (``i``); a NaN in a
window makes its value NaN (np.maximum's rule) and wins only where a strict comparison says so.

``nogil``: kernels/parallel.py runs blocks of rows on its thread pool, so these stay
single-threaded; the ``*_in_parallel`` loops split the rows over Numba's own threads instead,
where kernels/compiled_threads.py allows.
``cache``: compiled once per dtype (~4.5 s for the three kernels) and kept in ``__pycache__``
(then ~0.5 s to load).
"""

from __future__ import annotations

import numba
import numpy as np

_kernel = numba.njit(nogil=True, cache=True)
_rows_in_parallel = numba.njit(nogil=True, cache=True, parallel=True)  # Numba's own pool


@_kernel
def _window(a, b, c, d, is_max):
    """The max (min unless ``is_max``) of the window ``[[a, b], [c, d]]`` and its winning cell.
    Each extreme takes two comparisons (``>=`` and a NaN test); reusing ``j0`` instead, as
    ``b if j0 or b != b else a``, ran 1.8x slower with 6 channels (1.3x written with ``|``)."""
    if is_max:
        j0, j1 = b > a, d > c  # the winning column of each window row
        top = a if (a >= b or a != a) else b  # np.maximum(a, b): NaN if either is
        bottom = c if (c >= d or c != c) else d
        i = bottom > top
        value = top if (top >= bottom or top != top) else bottom
    else:
        j0, j1 = b < a, d < c
        top = a if (a <= b or a != a) else b
        bottom = c if (c <= d or c != c) else d
        i = bottom < top
        value = top if (top <= bottom or top != top) else bottom
    return value, np.uint8(2 + j1) if i else np.uint8(j0)


@_kernel
def forward(x, values, arg, is_max):
    """``values``, ``arg`` (R, OW, U) = the max (min unless ``is_max``) of each window of ``x``
    (R, 2, OW, 2, U) and its winning cell ``k = 2i + j`` (uint8)."""
    R, _, OW, _, U = x.shape
    if U == 1:
        _forward_columns(x.reshape(R, 2, 2 * OW), values.reshape(R, OW), arg.reshape(R, OW), is_max)
        return
    for r in range(R):
        top, bottom, out, k = x[r, 0], x[r, 1], values[r], arg[r]
        for ow in range(OW):
            for u in range(U):
                a, b, c, d = top[ow, 0, u], top[ow, 1, u], bottom[ow, 0, u], bottom[ow, 1, u]
                out[ow, u], k[ow, u] = _window(a, b, c, d, is_max)


@_kernel
def _forward_columns(x, values, arg, is_max):
    """:func:`forward` with one value per pixel: ``x`` (R, 2, W), ``values``, ``arg`` (R, OW)."""
    R, OW = values.shape
    for r in range(R):
        top, bottom, out, k = x[r, 0], x[r, 1], values[r], arg[r]
        for ow in range(OW):
            a, b, c, d = top[2 * ow], top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]
            out[ow], k[ow] = _window(a, b, c, d, is_max)


@_kernel
def forward_values(x, values, is_max):
    """:func:`forward` without the index (inference): ``values`` (R, OW, U) only."""
    R, _, OW, _, U = x.shape
    if U == 1:
        _values_columns(x.reshape(R, 2, 2 * OW), values.reshape(R, OW), is_max)
        return
    for r in range(R):
        top, bottom, out = x[r, 0], x[r, 1], values[r]
        for ow in range(OW):
            for u in range(U):
                a, b, c, d = top[ow, 0, u], top[ow, 1, u], bottom[ow, 0, u], bottom[ow, 1, u]
                out[ow, u] = _window(a, b, c, d, is_max)[0]


@_kernel
def _values_columns(x, values, is_max):
    """:func:`forward_values` with one value per pixel: ``x`` (R, 2, W), ``values`` (R, OW)."""
    R, OW = values.shape
    for r in range(R):
        top, bottom, out = x[r, 0], x[r, 1], values[r]
        for ow in range(OW):
            a, b, c, d = top[2 * ow], top[2 * ow + 1], bottom[2 * ow], bottom[2 * ow + 1]
            out[ow] = _window(a, b, c, d, is_max)[0]


@_kernel
def backward(grad, arg, dx):
    """``dx`` (R, 2, OW, 2, U) = dY ``grad`` (R, OW, U) at each window's winning cell ``arg``,
    0 at its other three; overwrites ``dx``."""
    R, OW, U = grad.shape
    if U == 1:
        _backward_columns(grad.reshape(R, OW), arg.reshape(R, OW), dx.reshape(R, 2, 2 * OW))
    elif U % 8:  # a scalar tail in each loop over U: zero a row of windows, then place dY
        _backward_scatter(grad, arg, dx)
    else:  # one loop over U per cell of the window, each vectorised in full
        zero = np.zeros(1, dx.dtype)[0]
        for r in range(R):
            for ow in range(OW):
                g, k = grad[r, ow], arg[r, ow]
                for cell in range(4):
                    target = dx[r, cell // 2, ow, cell % 2]
                    for u in range(U):
                        gg, kk = g[u], k[u]
                        target[u] = gg if kk == cell else zero


@_kernel
def _backward_scatter(grad, arg, dx):
    """:func:`backward` for any U: each row of windows in dX zeroed in one loop (it stays in
    cache), then dY stored at the winning cells."""
    R, OW, U = grad.shape
    zero = np.zeros(1, dx.dtype)[0]
    for r in range(R):
        cells, flat = dx[r], dx[r].reshape(4 * OW * U)
        for v in range(flat.size):
            flat[v] = zero
        g, k = grad[r], arg[r]
        for ow in range(OW):
            for u in range(U):
                cell = k[ow, u] & 3  # always 0-3; the mask keeps the store inside dx regardless
                cells[cell >> 1, ow, cell & 1, u] = g[ow, u]


@_kernel
def _backward_columns(grad, arg, dx):
    """:func:`backward` with one value per pixel: ``grad``, ``arg`` (R, OW), ``dx`` (R, 2, W),
    one loop per image row of the windows."""
    R, OW = grad.shape
    zero = np.zeros(1, dx.dtype)[0]
    for r in range(R):
        g, k, top, bottom = grad[r], arg[r], dx[r, 0], dx[r, 1]
        for ow in range(OW):
            gg, kk = g[ow], k[ow]  # loaded first: a load inside a condition stays a branch
            top[2 * ow] = gg if kk == 0 else zero
            top[2 * ow + 1] = gg if kk == 1 else zero
        for ow in range(OW):
            gg, kk = g[ow], k[ow]
            bottom[2 * ow] = gg if kk == 2 else zero
            bottom[2 * ow + 1] = gg if kk == 3 else zero


@_rows_in_parallel
def forward_in_parallel(x, values, arg, is_max, parts):
    """:func:`forward` on ``parts`` blocks of window rows spread over Numba's threads."""
    R = x.shape[0]
    for p in numba.prange(parts):
        a, b = R * p // parts, R * (p + 1) // parts
        forward(x[a:b], values[a:b], arg[a:b], is_max)


@_rows_in_parallel
def forward_values_in_parallel(x, values, is_max, parts):
    """:func:`forward_values` on ``parts`` blocks of window rows spread over Numba's threads."""
    R = x.shape[0]
    for p in numba.prange(parts):
        a, b = R * p // parts, R * (p + 1) // parts
        forward_values(x[a:b], values[a:b], is_max)


@_rows_in_parallel
def backward_in_parallel(grad, arg, dx, parts):
    """:func:`backward` on ``parts`` blocks of window rows spread over Numba's threads."""
    R = grad.shape[0]
    for p in numba.prange(parts):
        a, b = R * p // parts, R * (p + 1) // parts
        backward(grad[a:b], arg[a:b], dx[a:b])
