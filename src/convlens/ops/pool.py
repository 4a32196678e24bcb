"""Pooling: max, min (the lecture pools with max, min or mean; no framework has min) and average,
and the global poolings.

The lecture's pooling walks a window over each feature map and keeps one value per window. Here
no loop runs over the batch or the pixels: a window reduction is separable, so the rows' windows
are reduced first (PW strided views along W) and those results are then reduced along H (PH
strided views of whole rows, long contiguous runs), each step one vectorised pass. Max and min
pooling keep, in the same pass, the index ``k = i * PW + j`` of the winning cell in its window;
the backward pass routes dY through it with PH×PW strided writes (never ``np.add.at``). The
common 2×2 windows at stride 2 that tile the input take a path of contiguous passes instead.

``padding="same"`` follows TensorFlow: the odd pixel of padding goes to the bottom/right, max and
min ignore the padded cells (padded with -inf / +inf) and the average divides by the number of
real cells in each window (PyTorch's ``count_include_pad=False``).
"""

from __future__ import annotations

import numpy

from .. import backend
from ..kernels import parallel
from ..kernels.geometry import conv_output_size, resolve_padding
from ..kernels.pool2x2 import extreme_2x2, route_2x2
from ..kernels.pool2x2 import pixels as _pixels
from ..tensor import Function, Tensor, as_tensor
from .padding import spatial_axes, to_pair
from .reduce import max as reduce_max
from .reduce import mean as reduce_mean

_LAYOUTS = {(1, 2): "(batch, height, width, channels)", (2, 3): "(batch, channels, height, width)"}


def _taps(x, axis: int, start: int, count: int, stride: int):
    """The view of ``x`` along ``axis`` at ``start, start + S, ...`` (``count`` items)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + (count - 1) * stride + 1, stride)
    return x[tuple(index)]


def _window_cell(x, i: int, j: int, geometry):
    """The view of ``x`` (padded) holding cell (i, j) of every window: (N, OH, OW, C) or NCHW."""
    _, (SH, SW), (OH, OW), (h, w) = geometry
    return _taps(_taps(x, h, i, OH, SH), w, j, OW, SW)


def _pad_with(x, amounts, axes, fill):
    """``x`` padded by ``amounts`` along ``axes`` with the constant ``fill`` (no copy if none)."""
    if not any(v for pair in amounts for v in pair):
        return x
    widths = [(0, 0)] * x.ndim
    for axis, pair in zip(axes, amounts, strict=True):
        widths[axis] = tuple(pair)
    return backend.xp.pad(x, widths, mode="constant", constant_values=fill)


def _crop(dx, amounts, axes):
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


class ExtremePool2D(Function):
    """Max pooling, or min pooling with ``kind="min"``: one code path, two comparisons."""

    def forward(self, x, *, pool, strides, amounts, out_hw, axes, kind):
        xp = backend.xp
        fill = -xp.inf if kind == "max" else xp.inf  # padded cells never win
        x_padded = _pad_with(x, amounts, axes, fill)  # (N, Hp, Wp, C) or (N, C, Hp, Wp)
        (PH, PW), (SH, SW), (OH, OW), (h, w) = pool, strides, out_hw, axes
        self.geometry = pool, strides, out_hw, axes
        self.padded_shape, self.amounts = x_padded.shape, amounts
        self.tiled_2x2 = pool == strides == (2, 2) and _tiles(x_padded.shape, self.geometry)
        if self.tiled_2x2:
            x_padded = xp.ascontiguousarray(x_padded)
            out, arg = extreme_2x2(x_padded, w, kind, with_index=self.needs_grad[0])
            shape = (*x.shape[:h], OH, OW, *x.shape[w + 1 :])  # (N, OH, OW, C) or (N, C, OH, OW)
            self.arg = None if arg is None else arg.reshape(shape)
            return out.reshape(shape)
        # Each row's windows first (index j), then down the rows (index k = i * PW + j).
        better, extreme = (xp.greater, xp.maximum) if kind == "max" else (xp.less, xp.minimum)
        index_dtype = numpy.min_scalar_type(PH * PW - 1)  # uint8 for pools up to 16×16
        rows, column = _extreme_along(x_padded, w, PW, SW, OW, better, extreme, index_dtype)
        out, self.arg = _extreme_along(
            rows, h, PH, SH, OH, better, extreme, index_dtype, column, PW
        )
        return out

    def backward(self, grad):
        # dx[cell k of a window] = dY where that cell won (arg == k), else 0; overlapping
        # windows (stride < pool) add their shares.
        if self.tiled_2x2:  # the kernels' route, when they can run
            dx = route_2x2(grad, self.arg, self.padded_shape, self.geometry[3][1])
            if dx is not None:
                return _crop(dx, self.amounts, self.geometry[3])
        (PH, PW), (SH, SW) = self.geometry[:2]
        overlap = SH < PH or SW < PW
        dx = _blank_gradient(self.padded_shape, grad.dtype, self.geometry)

        def images(dx_part, grad_part, arg):  # a block of images (batch axis first in both)
            share = backend.xp.empty(grad_part.shape, dtype=grad.dtype)  # C-contiguous
            for i in range(PH):
                for j in range(PW):
                    cell = _window_cell(dx_part, i, j, self.geometry)
                    wins, pixels = arg == i * PW + j, _pixels(cell)
                    if overlap:
                        cell += grad_part * wins
                    elif pixels is None:
                        backend.xp.multiply(grad_part, wins, out=cell)
                    else:  # a few channels: one contiguous pass, then a copy a pixel at a time
                        numpy.multiply(grad_part, wins, out=share)
                        numpy.copyto(pixels, _pixels(share))

        parallel.by_rows(images, dx, grad, self.arg)
        return _crop(dx, self.amounts, self.geometry[3])


class AvgPool2D(Function):
    """Average pooling over the real cells of each window."""

    def forward(self, x, *, pool, strides, amounts, out_hw, axes):
        (PH, PW), (SH, SW), (OH, OW), (h, w) = pool, strides, out_hw, axes
        x_padded = _pad_with(x, amounts, axes, 0)  # (N, Hp, Wp, C) or (N, C, Hp, Wp)
        rows = _sum_along(x_padded, w, PW, SW, OW)  # (N, Hp, OW, C): each row's window sums
        total = _sum_along(rows, h, PH, SH, OH)  # (N, OH, OW, C)
        self.count = _real_cells(x.shape, pool, strides, amounts, out_hw, axes, x.dtype)
        self.geometry = pool, strides, out_hw, axes
        self.padded_shape, self.amounts = x_padded.shape, amounts
        return total / self.count

    def backward(self, grad):  # every real cell of a window receives dY / count
        (PH, PW), (SH, SW) = self.geometry[:2]
        overlap = SH < PH or SW < PW
        share = grad / self.count
        dx = _blank_gradient(self.padded_shape, grad.dtype, self.geometry)
        for i in range(PH):
            for j in range(PW):
                cell = _window_cell(dx, i, j, self.geometry)
                if overlap:
                    cell += share
                else:
                    cell[...] = share
        return _crop(dx, self.amounts, self.geometry[3])


def _sum_along(x, axis, size, stride, count):
    total = _taps(x, axis, 0, count, stride).copy()
    for i in range(1, size):
        total += _taps(x, axis, i, count, stride)
    return total


def _real_cells(shape, pool, strides, amounts, out_hw, axes, dtype):
    """How many real (not padded) cells each window covers, shaped to broadcast with the output.

    Separable too: (real rows of window oh) × (real columns of window ow). A plain number when
    nothing is padded.
    """
    xp = backend.xp
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


def _prepare(op, x, pool_size, strides, padding, data_format):
    """Validate a pooling call; the arguments of the primitive (``pool``, ``amounts``, ...)."""
    x = as_tensor(x)
    axes = spatial_axes(data_format, op)
    pool = to_pair(pool_size, f"{op}: pool_size")
    strides = pool if strides is None else to_pair(strides, f"{op}: strides")
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in ("valid", "same"):
        raise ValueError(f'{op}: padding must be "valid" or "same", received {padding!r}.')
    _check_input(op, x, axes)
    spatial = tuple(x.shape[a] for a in axes)
    amounts = resolve_padding(mode, spatial, pool, strides)
    try:
        out_hw = tuple(
            conv_output_size(n, f, s, p)
            for n, f, s, p in zip(spatial, pool, strides, amounts, strict=True)
        )
    except ValueError as error:
        raise ValueError(
            f"{op}: the pool {pool} does not fit the input: {error} Received input shape "
            f'{x.shape}; use a smaller pool_size or padding="same".'
        ) from None
    return x, dict(pool=pool, strides=strides, amounts=amounts, out_hw=out_hw, axes=axes)


def _check_input(op, x, axes):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input {_LAYOUTS[axes]}, received shape {x.shape}.")
    if 0 in x.shape:
        raise ValueError(f"{op}: expected a non-empty input, received shape {x.shape}.")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating input, received dtype {x.dtype}.")


def max_pool2d(
    x, pool_size=2, strides=None, padding="valid", data_format="channels_last"
) -> Tensor:
    """Keep the largest value of each window (the lecture's max pooling).

    Args:
        x: a 4-D Tensor or array, (N, H, W, C) or (N, C, H, W).
        pool_size: an int or a pair (PH, PW).
        strides: an int or a pair; ``None`` (default) means the pool size, as Keras.
        padding: ``"valid"`` or ``"same"`` (TensorFlow's: output ``ceil(H / S)``, the odd pixel
            of padding at the bottom/right; padded cells never win).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A Tensor (N, OH, OW, C) (or channels first), ``OH = floor((H + P - PH) / SH) + 1``.
        float32 stays float32. Among equal values the first in the window (row by row) takes the
        gradient, as PyTorch and TensorFlow.

    Raises:
        ValueError: for a wrong rank, an empty input, an unknown padding or data_format,
            non-positive sizes, or a pool larger than the input with ``"valid"``.
        TypeError: for a non-floating array.

    Example:
        >>> import numpy as np
        >>> image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
        >>> max_pool2d(image[None, :, :, None], 2).numpy()[0, :, :, 0]
        array([[6., 8.],
               [3., 4.]])
    """
    x, options = _prepare("max_pool2d", x, pool_size, strides, padding, data_format)
    return ExtremePool2D.apply(x, kind="max", **options)


def min_pool2d(
    x, pool_size=2, strides=None, padding="valid", data_format="channels_last"
) -> Tensor:
    """Keep the smallest value of each window: the lecture's min pooling. Arguments, shapes and
    errors as :func:`max_pool2d` (padded cells never win; the first minimum takes the gradient).

    Example:
        >>> import numpy as np
        >>> image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
        >>> min_pool2d(image[None, :, :, None], 2).numpy()[0, :, :, 0]
        array([[1., 2.],
               [1., 0.]])
    """
    x, options = _prepare("min_pool2d", x, pool_size, strides, padding, data_format)
    return ExtremePool2D.apply(x, kind="min", **options)


def avg_pool2d(
    x, pool_size=2, strides=None, padding="valid", data_format="channels_last"
) -> Tensor:
    """Keep the mean of each window. Arguments, shapes and errors as :func:`max_pool2d`; with
    ``"same"`` each window is averaged over its real cells only (as TensorFlow).

    Example:
        >>> import numpy as np
        >>> image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
        >>> avg_pool2d(image[None, :, :, None], 2).numpy()[0, :, :, 0]
        array([[3.25, 5.25],
               [2.  , 2.  ]])
    """
    x, options = _prepare("avg_pool2d", x, pool_size, strides, padding, data_format)
    return AvgPool2D.apply(x, **options)


def _global(op, x, data_format, keepdims, reduce):
    x = as_tensor(x)
    axes = spatial_axes(data_format, op)
    _check_input(op, x, axes)
    return reduce(x, axis=axes, keepdims=keepdims)


def global_avg_pool2d(x, data_format="channels_last", keepdims=False) -> Tensor:
    """The mean of each feature map: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with ``keepdims``.

    Raises:
        ValueError: for a wrong rank, an empty input or an unknown data_format.

    Example:
        >>> import numpy as np
        >>> global_avg_pool2d(np.arange(8.0).reshape(1, 2, 2, 2)).numpy()
        array([[3., 4.]])
    """
    return _global("global_avg_pool2d", x, data_format, keepdims, reduce_mean)


def global_max_pool2d(x, data_format="channels_last", keepdims=False) -> Tensor:
    """The maximum of each feature map: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with
    ``keepdims``. Equal maxima share the gradient (as TensorFlow's ``reduce_max``).

    Example:
        >>> import numpy as np
        >>> global_max_pool2d(np.arange(8.0).reshape(1, 2, 2, 2)).numpy()
        array([[6., 7.]])
    """
    return _global("global_max_pool2d", x, data_format, keepdims, reduce_max)
