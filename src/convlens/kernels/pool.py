"""Pooling over strided views of whole windows: any pool size, stride and padding (NHWC or NCHW).

The lecture's pooling walks a window over each feature map and keeps one value per window. Here
no loop runs over the batch or the pixels: a window reduction is separable, so the rows' windows
are reduced first (PW strided views along W) and those results are then reduced along H (PH
strided views of whole rows, long contiguous runs), each step one vectorised pass. Max and min
pooling keep, in the same pass, the index ``k = i * PW + j`` of the winning cell in its window;
the backward pass routes dY through it with PH×PW strided writes (never ``np.add.at``).

This is the ``windows`` route of the pool plan (kernels/conv_plan.py): the general one. 2×2
windows at stride 2 that tile the input take kernels/pool2x2.py's forward instead. A
``geometry`` here is ``(pool, strides, out_hw, axes)``, pairs each, ``axes`` the spatial axes
(1, 2) or (2, 3). Plain arrays of ``backend.xp`` in and out.
"""

from __future__ import annotations

import numpy

from .. import backend
from . import parallel
from .pool2x2 import pixels as _pixels


def _taps(x, axis: int, start: int, count: int, stride: int):
    """The view of ``x`` along ``axis`` at ``start, start + S, ...`` (``count`` items)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + (count - 1) * stride + 1, stride)
    return x[tuple(index)]


def _window_cell(x, i: int, j: int, geometry):
    """The view of ``x`` (padded) holding cell (i, j) of every window: (N, OH, OW, C) or NCHW."""
    _, (SH, SW), (OH, OW), (h, w) = geometry
    return _taps(_taps(x, h, i, OH, SH), w, j, OW, SW)


def pad_with(x, amounts, axes, fill):
    """``x`` padded by ``amounts`` along ``axes`` with the constant ``fill`` (no copy if none)."""
    if not any(v for pair in amounts for v in pair):
        return x
    widths = [(0, 0)] * x.ndim
    for axis, pair in zip(axes, amounts, strict=True):
        widths[axis] = tuple(pair)
    return backend.xp.pad(x, widths, mode="constant", constant_values=fill)


def crop(dx, amounts, axes):
    """The inverse of padding: the real cells of a padded gradient."""
    index = [slice(None)] * dx.ndim
    for axis, (before, after) in zip(axes, amounts, strict=True):
        index[axis] = slice(before, dx.shape[axis] - after)
    return dx[tuple(index)]


def _extreme_along(
    x, axis, size, stride, count, better, extreme, index_dtype, carry=None, weight=1
):
    """Running max (or min) over ``size`` strided views along ``axis``, and where it was found.

    ``better`` is strict (``>`` or ``<``), so among equal values the first one wins, as in
    PyTorch and TensorFlow. Without ``carry`` the index is the position along ``axis``; with it,
    ``position * weight + carry`` taken from the winning view of ``carry``.
    """
    xp = backend.xp

    def index_at(i):  # the index a win at position i records: an int, or a view of the carry
        return i if carry is None else _taps(carry, axis, i, count, stride) + i * weight

    values = _taps(x, axis, 0, count, stride)
    if size == 1:
        index = xp.zeros(values.shape, index_dtype) if carry is None else index_at(0)
        return values.copy(), index
    candidate = _taps(x, axis, 1, count, stride)
    wins = better(candidate, values)
    values = extreme(values, candidate)  # the first two positions, without a copy
    if carry is None:
        index = wins.astype(index_dtype)  # position 1 where it won, else 0
    else:
        index = xp.where(wins, index_at(1), index_at(0)).astype(index_dtype, copy=False)
    for i in range(2, size):
        candidate = _taps(x, axis, i, count, stride)
        wins = better(candidate, values)
        extreme(values, candidate, out=values)
        xp.copyto(index, index_at(i), where=wins)
    return values, index


def extreme(x_padded, geometry, kind: str):
    """Max (``kind="max"``) or min pooling of the padded ``x``: the pooled values and the winning
    cell ``k = i * PW + j`` of each window (first of equal values), both of the output's
    shape."""
    xp = backend.xp
    (PH, PW), (SH, SW), (OH, OW), (h, w) = geometry
    # Each row's windows first (index j), then down the rows (index k = i * PW + j).
    better, reduce = (xp.greater, xp.maximum) if kind == "max" else (xp.less, xp.minimum)
    index_dtype = numpy.min_scalar_type(PH * PW - 1)  # uint8 for pools up to 16×16
    rows, column = _extreme_along(x_padded, w, PW, SW, OW, better, reduce, index_dtype)
    return _extreme_along(rows, h, PH, SH, OH, better, reduce, index_dtype, column, PW)


def route(grad, arg, padded_shape, geometry):
    """dX of the padded input for :func:`extreme`: dY where a cell won (``arg == k``), else 0;
    overlapping windows (stride < pool) add their shares."""
    (PH, PW), (SH, SW) = geometry[:2]
    overlap = SH < PH or SW < PW
    dx = _blank_gradient(padded_shape, grad.dtype, geometry)

    def images(dx_part, grad_part, arg):  # a block of images (batch axis first in both)
        share = backend.xp.empty(grad_part.shape, dtype=grad.dtype)  # C-contiguous
        for i in range(PH):
            for j in range(PW):
                cell = _window_cell(dx_part, i, j, geometry)
                wins, pixels = arg == i * PW + j, _pixels(cell)
                if overlap:
                    cell += grad_part * wins
                elif pixels is None:
                    backend.xp.multiply(grad_part, wins, out=cell)
                else:  # a few channels: one contiguous pass, then a copy a pixel at a time
                    numpy.multiply(grad_part, wins, out=share)
                    numpy.copyto(pixels, _pixels(share))

    parallel.by_rows(images, dx, grad, arg)
    return dx


def average(x_padded, x_shape, amounts, geometry):
    """Average pooling over the real cells of each window: the means, and the count of real
    cells per window (a number, or an array broadcasting with the output) for the backward."""
    (PH, PW), (SH, SW), (OH, OW), (h, w) = geometry
    rows = _sum_along(x_padded, w, PW, SW, OW)  # (N, Hp, OW, C): each row's window sums
    total = _sum_along(rows, h, PH, SH, OH)  # (N, OH, OW, C)
    count = _real_cells(x_shape, geometry, amounts, x_padded.dtype)
    return total / count, count


def spread(grad, count, padded_shape, geometry):
    """dX of the padded input for :func:`average`: every real cell of a window gets dY / count."""
    (PH, PW), (SH, SW) = geometry[:2]
    overlap = SH < PH or SW < PW
    share = grad / count
    dx = _blank_gradient(padded_shape, grad.dtype, geometry)
    for i in range(PH):
        for j in range(PW):
            cell = _window_cell(dx, i, j, geometry)
            if overlap:
                cell += share
            else:
                cell[...] = share
    return dx


def _sum_along(x, axis, size, stride, count):
    total = _taps(x, axis, 0, count, stride).copy()
    for i in range(1, size):
        total += _taps(x, axis, i, count, stride)
    return total


def _real_cells(shape, geometry, amounts, dtype):
    """How many real (not padded) cells each window covers, shaped to broadcast with the output.

    Separable too: (real rows of window oh) × (real columns of window ow). A plain number when
    nothing is padded.
    """
    xp = backend.xp
    pool, strides, out_hw, axes = geometry
    if not any(v for pair in amounts for v in pair):
        return dtype.type(pool[0] * pool[1])
    per_axis = []
    for n, f, s, (before, _), o in zip(
        (shape[a] for a in axes), pool, strides, amounts, out_hw, strict=True
    ):
        starts = xp.arange(o) * s - before  # first cell of each window, in unpadded coordinates
        per_axis.append(xp.minimum(starts + f, n) - xp.maximum(starts, 0))
    count = (per_axis[0][:, None] * per_axis[1][None, :]).astype(dtype)  # (OH, OW)
    return count[:, :, None] if axes == (1, 2) else count  # (OH, OW, 1) or (OH, OW)


def _tiles(padded_shape, geometry) -> bool:
    """Whether the windows cover the padded input exactly once."""
    (PH, PW), (SH, SW), (OH, OW), (h, w) = geometry
    return (SH, SW) == (PH, PW) and (OH * PH, OW * PW) == (padded_shape[h], padded_shape[w])


def _blank_gradient(padded_shape, dtype, geometry):
    """The padded input's gradient buffer: uninitialised when the windows tile it exactly."""
    blank = backend.xp.empty if _tiles(padded_shape, geometry) else backend.xp.zeros
    return blank(padded_shape, dtype=dtype)
