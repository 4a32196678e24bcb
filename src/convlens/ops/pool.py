"""Pooling: max, min (the lecture pools with max, min or mean; no framework has min) and average,
and the global poolings.

The lecture's pooling walks a window over each feature map and keeps one value per window. These
ops check their arguments, pad, ask the pool plan (kernels/conv_plan.py) which route pools, and
record a Function: 2×2 windows at stride 2 that tile the input take single-pass compiled loops
or contiguous NumPy passes (kernels/pool2x2.py), every other pooling strided views of whole
windows (kernels/pool.py).

``padding="same"`` follows TensorFlow: the odd pixel of padding goes to the bottom/right, max and
min ignore the padded cells (padded with -inf / +inf) and the average divides by the number of
real cells in each window (PyTorch's ``count_include_pad=False``).
"""

from __future__ import annotations

from .. import backend, config
from ..kernels import pool as windows
from ..kernels.geometry import conv_output_size, resolve_padding
from ..kernels.pool2x2 import extreme_2x2, route_2x2
from ..kernels.pool_plan import pool_plan
from ..tensor import Function, Tensor, as_tensor
from .padding import spatial_axes, to_pair
from .reduce import max as reduce_max
from .reduce import mean as reduce_mean

_LAYOUTS = {(1, 2): "(batch, height, width, channels)", (2, 3): "(batch, channels, height, width)"}


class ExtremePool2D(Function):
    """Max pooling, or min pooling with ``kind="min"``: one code path, two comparisons; each
    pass by the route of its plan (``self.plan``)."""

    def forward(self, x, *, pool, strides, amounts, out_hw, axes, kind):
        xp = backend.xp
        fill = -xp.inf if kind == "max" else xp.inf  # padded cells never win
        x_padded = windows.pad_with(x, amounts, axes, fill)  # (N, Hp, Wp, C) or (N, C, Hp, Wp)
        self.geometry = pool, strides, out_hw, axes
        self.padded_shape, self.amounts = x_padded.shape, amounts
        self.plan = pool_plan(x_padded.shape, pool, strides, axes, x.dtype)
        if self.plan.forward == "windows":
            out, self.arg = windows.extreme(x_padded, self.geometry, kind)
            return out
        (h, w), (OH, OW) = axes, out_hw
        compiled = self.plan.forward == "compiled_2x2"
        x_padded = xp.ascontiguousarray(x_padded)
        out, arg = extreme_2x2(
            x_padded, w, kind, with_index=self.needs_grad[0], compiled_loops=compiled
        )
        shape = (*x.shape[:h], OH, OW, *x.shape[w + 1 :])  # (N, OH, OW, C) or (N, C, OH, OW)
        self.arg = None if arg is None else arg.reshape(shape)
        return out.reshape(shape)

    def backward(self, grad):
        # dx[cell k of a window] = dY where that cell won (arg == k), else 0
        if self.plan.backward == "compiled_2x2":
            dx = route_2x2(grad, self.arg, self.padded_shape, self.geometry[3][1])
        else:
            dx = windows.route(grad, self.arg, self.padded_shape, self.geometry)
        return windows.crop(dx, self.amounts, self.geometry[3])


class AvgPool2D(Function):
    """Average pooling over the real cells of each window."""

    def forward(self, x, *, pool, strides, amounts, out_hw, axes):
        x_padded = windows.pad_with(x, amounts, axes, 0)  # (N, Hp, Wp, C) or (N, C, Hp, Wp)
        self.geometry = pool, strides, out_hw, axes
        self.padded_shape, self.amounts = x_padded.shape, amounts
        out, self.count = windows.average(x_padded, x.shape, amounts, self.geometry)
        return out

    def backward(self, grad):  # every real cell of a window receives dY / count
        dx = windows.spread(grad, self.count, self.padded_shape, self.geometry)
        return windows.crop(dx, self.amounts, self.geometry[3])


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


def _keras_pool(pool2d, name, inputs, pool_size, strides, padding, data_format):
    x = as_tensor(inputs)
    if x.ndim != 4:
        raise ValueError(
            f"{name}: convlens pools images only: expected a 4-D input (batch, height, width, "
            f"channels), received shape {x.shape}."
        )
    return pool2d(x, pool_size, strides, padding, data_format or config.image_data_format())


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Keras 3's ``ops.max_pool`` on images: :func:`max_pool2d` with Keras's argument names."""
    return _keras_pool(max_pool2d, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Keras 3's ``ops.average_pool`` on images: :func:`avg_pool2d` with Keras's names."""
    return _keras_pool(avg_pool2d, "average_pool", inputs, pool_size, strides, padding, data_format)
