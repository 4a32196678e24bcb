"""Max and min pooling by 2×2 windows at stride 2, the common case, in contiguous passes.

The general path (ops/pool.py) reduces strided views of whole windows; channels last, those
views run C values at a time and NumPy's overhead per run dominates for few channels
((128, 28, 28, 6): 1.7 -> 0.5 ms here). When the windows tile the input exactly, each pixel is
compared with the next by a flat shift of one pixel (pairs that start at odd columns are
dropped), then each window's two rows, and a copy keeps the even columns.
"""

from __future__ import annotations

import math

import numpy

from .. import backend
from . import parallel

POOL_CHUNK_BYTES = 1 << 20
"""The 2×2 path pools this many bytes of input at a time (whole images), so its full-size
temporaries stay in cache. Measured at (128, 32, 32, 32): the general path 9.6 ms, this one
15.8 ms in one piece, 3.6 ms in 1 MiB chunks (8 MiB chunks: 8 ms)."""


def extreme_2x2(x, w, better, extreme, with_index: bool = True):
    """Max (or min) pooling of a C-contiguous ``x`` whose 2×2 stride-2 windows tile it, along
    spatial axes ``w - 1, w``; ``better`` is strict (``>`` or ``<``), so the first of equal
    values wins, as in PyTorch and TensorFlow. Returns the pooled values and the winning cell
    ``k = 2i + j`` of each window (None without ``with_index``: inference), both (rows,
    W/2·unit): reshape them to the output's shape."""
    xp = backend.xp
    unit = math.prod(x.shape[w + 1 :])  # values per pixel: C channels last, 1 channels first
    row = x.shape[w] * unit  # a window row of x: W·unit contiguous values
    rows_per_image = x[0].size // (2 * row)  # window rows: OH, or C·OH channels first
    values = xp.empty((len(x) * rows_per_image, row // 2), dtype=x.dtype)  # (rows, W/2·unit)
    arg = xp.empty(values.shape, dtype=numpy.uint8) if with_index else None

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
    parallel.for_each_chunk(chunk if with_index else values_only, bounds)
    return values, arg


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
