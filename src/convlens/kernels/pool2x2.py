"""Max and min pooling by 2×2 windows at stride 2, the common case: compiled kernels, or
contiguous NumPy passes.

With Numba (the ``fast`` extra) and NumPy arrays of float32 or float64, single-pass kernels
(kernels/compiled/pool2x2.py) pool each window and keep its winner in one read of the input, and
route dY back writing each cell of dX once. Measured per call of ExtremePool2D (one thread,
float32, batch 128, channels last, median µs; NumPy passes -> kernels):

    input (H, W, C)   forward + index   backward      values only (inference)
    28×28×6           620 -> 195        506 -> 210    340 -> 180
    10×10×16          192 -> 35         152 -> 36     109 -> 29
    32×32×32          3710 -> 670       4060 -> 760   2640 -> 800
    16×16×64          1640 -> 194       890 -> 183    960 -> 168

LeNet-5's training step went from 11.9 to 10.6 ms at batch 128 (2 threads: 8.9 to 7.9 ms),
3.5 to 3.1 ms at batch 32, its inference at batch 256 from 7.4 to 6.9 ms (one thread).
Otherwise (no Numba, CuPy, float16) NumPy passes over the whole input: the general route
(kernels/pool.py) reduces strided views of whole windows; channels last, those views run C values at
a time and NumPy's overhead per run dominates for few channels ((128, 28, 28, 6): 1.7 -> 0.5 ms
here). When the windows tile the input exactly, each pixel is compared with the next by a flat
shift of one pixel (pairs that start at odd columns are dropped), then each window's two rows,
and a copy keeps the even columns.
"""

from __future__ import annotations

import math

import numpy

from .. import backend
from . import compiled_threads, parallel
from .compiled import compiled as load_kernels

POOL_CHUNK_BYTES = 1 << 20
"""The NumPy passes pool this many bytes of input at a time (whole images), so their full-size
temporaries stay in cache. Measured at (128, 32, 32, 32): the general path 9.6 ms, these passes
15.8 ms in one piece, 3.6 ms in 1 MiB chunks (8 MiB chunks: 8 ms). The kernels keep no
temporaries: each thread takes one block of window rows."""


NUMBA_THREADS_BYTES = 1 << 19
"""Inputs (or dX) of at least this many bytes are pooled on Numba's threads where they may be
used (kernels/compiled_threads.py). Measured on 2 cores, float32, µs, one thread (or Python
threads from 1 MiB) -> Numba's two: (32, 28, 28, 6) forward 72 -> 47, backward 77 -> 44;
(128, 32, 32, 32) forward 890 -> 458, backward 1031 -> 397; (128, 16, 16, 64) backward 390 ->
122. Below this size a launch can cost what it saves: (32, 10, 10, 16), 205 KB, forward 8 -> 15."""


def compiled():
    """kernels/compiled/pool2x2.py (Numba), or None when it cannot be imported (NumPy takes
    over)."""
    return load_kernels("pool2x2")


def _windows(shape, w):
    """(R, 2, OW, 2, U): a C-contiguous array of ``shape`` seen as R rows of 2×2 windows along
    axes ``w - 1, w``, U values per pixel (C channels last, 1 channels first)."""
    unit = math.prod(shape[w + 1 :])
    return (math.prod(shape) // (2 * shape[w] * unit), 2, shape[w] // 2, 2, unit)


def extreme_2x2(x, w, kind, with_index: bool = True, compiled_loops: bool = True):
    """Max (``kind="max"``) or min pooling of a C-contiguous ``x`` whose 2×2 stride-2 windows
    tile it, along spatial axes ``w - 1, w``; the first of equal values wins, as in PyTorch and
    TensorFlow. Returns the pooled values and the winning cell ``k = 2i + j`` of each window
    (None without ``with_index``: inference), both (rows, W/2·unit): reshape them to the
    output's shape. ``compiled_loops``: the Numba loops (the plan's ``compiled_2x2``, for
    NumPy arrays of float32 or float64), else NumPy passes (``passes_2x2``)."""
    xp = backend.xp
    kernels = compiled() if compiled_loops else None
    R, _, OW, _, unit = _windows(x.shape, w)
    values = xp.empty((R, OW * unit), dtype=x.dtype)  # (rows, W/2·unit)
    arg = xp.empty(values.shape, dtype=numpy.uint8) if with_index else None
    if kernels is None:
        _passes(x, w, kind, values, arg)
        return values, arg
    is_max, windows = kind == "max", x.reshape(R, 2, OW, 2, unit)  # (R, 2, OW, 2, U)
    out = values.reshape(R, OW, unit)  # (R, OW, U)
    parts = _numba_threads(x)
    if with_index:
        index = arg.reshape(R, OW, unit)  # (R, OW, U)
        if parts:
            kernels.forward_in_parallel(windows, out, index, is_max, parts)
        else:
            parallel.by_rows(lambda *a: kernels.forward(*a, is_max), windows, out, index)
    elif parts:
        kernels.forward_values_in_parallel(windows, out, is_max, parts)
    else:
        parallel.by_rows(lambda *a: kernels.forward_values(*a, is_max), windows, out)
    return values, arg


def _numba_threads(x) -> int:
    """Numba's threads for the kernels on ``x`` (kernels/compiled_threads.py), or 0: the
    Python threads then take blocks of rows (:func:`parallel.by_rows`, above 1 MiB)."""
    return compiled_threads.threads() if x.nbytes >= NUMBA_THREADS_BYTES else 0


def _passes(x, w, kind, values, arg):
    """:func:`extreme_2x2` in NumPy passes over image chunks: ``values`` and ``arg`` (None:
    values only) filled in."""
    xp = backend.xp
    better, extreme = (xp.greater, xp.maximum) if kind == "max" else (xp.less, xp.minimum)
    unit = math.prod(x.shape[w + 1 :])  # values per pixel: C channels last, 1 channels first
    row = x.shape[w] * unit  # a window row of x: W·unit contiguous values
    rows_per_image = x[0].size // (2 * row)  # window rows: OH, or C·OH channels first

    # Without the index (inference), 2 passes instead of 7: the CIFAR CNN's inference at batch
    # 256 went from 75 to 66 ms, LeNet-5's from 5.5 to 5.0 ms (2 cores, three runs each).
    def values_only(start, stop, _):  # the two rows of each window first: half the data left
        window_rows = x[start:stop].reshape(-1, 2, row)  # (n·OH, 2, W·unit)
        best = extreme(window_rows[:, 0], window_rows[:, 1]).reshape(-1)  # (n·OH·W·unit,)
        extreme(best[:-unit], best[unit:], out=best[:-unit])  # each pixel and its right one
        rows = slice(start * rows_per_image, stop * rows_per_image)
        _keep_even_columns(values[rows], best.reshape(-1, row), unit)

    def chunk(start, stop, _):
        flat = x[start:stop].reshape(-1)
        pairs = xp.empty_like(flat)
        pair_wins = xp.zeros(flat.shape, numpy.uint8)
        extreme(flat[:-unit], flat[unit:], out=pairs[:-unit])  # pixel against its right one
        better(flat[unit:], flat[:-unit], out=pair_wins[:-unit].view(bool))  # first wins ties
        pairs[-unit:] = flat[-unit:]  # the last pixel's pair is dropped; keep it defined
        pairs = pairs.reshape(-1, 2, row)  # (n·OH, 2, W·C) or (n·C·OH, 2, W): rows i = 0, 1
        j = pair_wins.reshape(-1, 2, row)  # the column j that won in each window row
        i = better(pairs[:, 1], pairs[:, 0]).view(numpy.uint8)  # the bottom row won
        # k = 2 + j_bottom where the bottom row won, else j_top; np.where is 10x slower on uint8
        k = (j[:, 1] + 2 - j[:, 0]) * i + j[:, 0]  # j1 + 2 - j0 >= 1: no uint8 wraps around
        rows = slice(start * rows_per_image, stop * rows_per_image)
        _keep_even_columns(values[rows], extreme(pairs[:, 0], pairs[:, 1]), unit)
        _keep_even_columns(arg[rows], k, unit)

    bounds = parallel.chunk_ranges(len(x), x[0].nbytes, POOL_CHUNK_BYTES)
    parallel.for_each_chunk(values_only if arg is None else chunk, bounds)


def route_2x2(grad, arg, padded_shape, w):
    """dX (``padded_shape``) of :func:`extreme_2x2`: dY ``grad`` at each window's winning cell
    ``arg`` (dY's shape), 0 at the other three, by the compiled loops (the windows route's
    backward, kernels/pool.py, serves the NumPy passes)."""
    kernels = compiled()
    R, _, OW, _, unit = _windows(padded_shape, w)
    dx = numpy.empty(padded_shape, dtype=grad.dtype)
    grad = numpy.ascontiguousarray(grad).reshape(R, OW, unit)  # (R, OW, U)
    index = arg.reshape(R, OW, unit)  # (R, OW, U)
    windows = dx.reshape(R, 2, OW, 2, unit)  # (R, 2, OW, 2, U); first: by_rows sizes blocks by it
    parts = _numba_threads(dx)
    if parts:
        kernels.backward_in_parallel(grad, index, windows, parts)
    else:
        parallel.by_rows(lambda d, g, k: kernels.backward(g, k, d), windows, grad, index)
    return dx


def _keep_even_columns(target, a, unit):
    """``target`` (rows, W/2·unit) = the even pixel columns of rows ``a`` (rows, W·unit)."""
    kept = a.reshape(len(a), -1, 2, unit)[:, :, 0]  # (rows, W/2, unit), a view
    target = target.reshape(kept.shape)
    if pixels(target) is None:
        target[...] = kept
    else:
        numpy.copyto(pixels(target), pixels(kept))


def pixels(a):
    """``a`` (..., C) as one void item per pixel, (...), when its C values are contiguous and
    few (NumPy only), else None: a strided copy of such items loops over pixels, not over runs
    of C values, each with NumPy's per-run overhead (measured 2x faster for C = 6)."""
    if not isinstance(a, numpy.ndarray) or a.strides[-1] != a.itemsize or a.shape[-1] >= 16:
        return None
    return a.view(numpy.dtype((numpy.void, a.shape[-1] * a.itemsize)))[..., 0]
