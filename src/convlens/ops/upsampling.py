"""Enlarging along axes: repeat each value (nearest neighbour) or interpolate linearly between
neighbours, the math of UpSampling1D/2D and RepeatVector.

Bilinear upsampling samples the input at the half-pixel centres of the output (TensorFlow's and
JAX's ``resize`` convention, so Keras's ``UpSampling2D(interpolation="bilinear")``): output cell
``o`` reads input coordinate ``(o + 0.5) / size - 0.5``, clamped to the first and last cells.
"""

from __future__ import annotations

import numbers

import numpy

from .. import backend
from ..arguments import check_axis
from ..tensor import Function, Tensor, as_tensor
from .elementwise import add, multiply
from .shape import getitem


class Repeat(Function):
    """Each value ``size`` times in a row along ``axis`` (NumPy's ``repeat``)."""

    def forward(self, x, *, size, axis):
        self.shape, self.size, self.axis = x.shape, size, axis
        return backend.xp.repeat(x, size, axis=axis)

    def backward(self, grad):  # each input cell receives the sum of the gradients of its copies
        n, axis = self.shape[self.axis], self.axis
        blocks = grad.reshape(self.shape[:axis] + (n, self.size) + self.shape[axis + 1 :])
        return blocks.sum(axis=axis + 1)


def _check(op, x, size, axis):
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"{op}: size must be a positive int, received {size!r}.")
    return int(size), check_axis(axis, x.ndim, op)


def repeat(x, size, axis) -> Tensor:
    """Repeat every value ``size`` times along ``axis``: nearest-neighbour upsampling.

    Args:
        x: a Tensor or array.
        size: a positive int.
        axis: the axis to enlarge.

    Returns:
        A Tensor whose ``axis`` is ``size`` times longer.

    Raises:
        ValueError: for a size that is not a positive int or an axis out of range.

    Example:
        >>> import numpy as np
        >>> repeat(np.array([[1.0, 2.0]]), 2, axis=1).numpy().tolist()
        [[1.0, 1.0, 2.0, 2.0]]
    """
    x = as_tensor(x)
    size, axis = _check("repeat", x, size, axis)
    return Repeat.apply(x, size=size, axis=axis)


def interpolate_linear(x, size, axis) -> Tensor:
    """Enlarge ``axis`` ``size`` times by linear interpolation at half-pixel centres.

    Composed of gathers and products, so the gradient needs no rule of its own: each input cell
    receives the gradients of the outputs it contributes to, weighted as in the forward pass.

    Example:
        >>> import numpy as np
        >>> interpolate_linear(np.array([[0.0, 4.0]]), 2, axis=1).numpy().tolist()
        [[0.0, 1.0, 3.0, 4.0]]
    """
    x = as_tensor(x)
    size, axis = _check("interpolate_linear", x, size, axis)
    n = x.shape[axis]
    coordinate = numpy.clip((numpy.arange(n * size) + 0.5) / size - 0.5, 0, n - 1)
    low = numpy.floor(coordinate).astype(numpy.int64)
    high = numpy.minimum(low + 1, n - 1)
    weight = (coordinate - low).reshape((-1,) + (1,) * (x.ndim - axis - 1))  # broadcasts
    xp, before = backend.xp, (slice(None),) * axis
    below = getitem(x, before + (xp.asarray(low),))
    above = getitem(x, before + (xp.asarray(high),))
    return add(
        multiply(below, Tensor(xp.asarray(1 - weight, dtype=x.dtype))),
        multiply(above, Tensor(xp.asarray(weight, dtype=x.dtype))),
    )


def upsample(x, size, axes, interpolation="nearest") -> Tensor:
    """Enlarge each of ``axes`` by its factor in ``size``.

    Args:
        x: a Tensor or array.
        size: one positive int per axis.
        axes: the axes to enlarge, e.g. ``(1, 2)`` for the rows and columns of NHWC images.
        interpolation: ``"nearest"`` (repeat) or ``"bilinear"`` (linear along each axis).

    Raises:
        ValueError: for an unknown interpolation, a bad size or axis.

    Example:
        >>> import numpy as np
        >>> upsample(np.ones((1, 2, 2, 1)), (2, 3), (1, 2)).shape
        (1, 4, 6, 1)
    """
    enlarge = {"nearest": repeat, "bilinear": interpolate_linear}.get(interpolation)
    if enlarge is None:
        raise ValueError(
            f'upsample: interpolation must be "nearest" or "bilinear", received {interpolation!r}.'
        )
    x = as_tensor(x)
    for factor, axis in zip(size, axes, strict=True):
        if factor != 1:
            x = enlarge(x, factor, axis)
    return x
