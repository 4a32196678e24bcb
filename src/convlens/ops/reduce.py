"""Reductions over axes (sum, mean, max, min, var), with ``keepdims`` as in NumPy."""

from __future__ import annotations

from .. import backend
from ..arguments import check_axes
from ..tensor import Function, Tensor
from .elementwise import divide, multiply, negative, subtract


def normalize_axes(axis, ndim: int, owner: str = "reduce") -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence, negatives allowed) as sorted non-negative axes.

    Raises:
        ValueError: for an axis outside ``[-ndim, ndim)`` or a repeated axis.
    """
    return tuple(sorted(check_axes(axis, ndim, owner)))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, a, axes, keepdims):
        self.shape, self.axes = a.shape, axes
        return a.sum(axis=axes, keepdims=keepdims)

    def backward(self, grad):  # every summed element receives the output's gradient
        grad = grad.reshape(_kept_shape(self.shape, self.axes))
        return backend.xp.broadcast_to(grad, self.shape)


class Max(Function):
    def forward(self, a, axes, keepdims):
        self.a, self.axes = a, axes
        self.out = a.max(axis=axes, keepdims=True)
        return self.out if keepdims else self.out.reshape(_drop(a.shape, axes))

    def backward(self, grad):
        # The maximum takes the gradient; ties share it equally (as TensorFlow's reduce_max).
        winners = (self.a == self.out).astype(grad.dtype)
        winners /= winners.sum(axis=self.axes, keepdims=True)
        return winners * grad.reshape(self.out.shape)


def _drop(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _reduce(function, a, axis, keepdims):
    a = a if isinstance(a, Tensor) else Tensor(a)
    axes = normalize_axes(axis, a.ndim, function.__name__.lower())
    return function.apply(a, axes=axes, keepdims=keepdims)


def sum(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - the NumPy name
    """The sum over ``axis`` (all axes when None)."""
    return _reduce(Sum, a, axis, keepdims)


def max(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest value over ``axis``; ties share the gradient equally.

    Raises:
        ValueError: for an empty reduction.
    """
    a = a if isinstance(a, Tensor) else Tensor(a)
    if a.size == 0:
        raise ValueError(f"max of an empty tensor of shape {a.shape} has no value.")
    return _reduce(Max, a, axis, keepdims)


def min(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest value over ``axis``."""
    return negative(max(negative(a), axis=axis, keepdims=keepdims))


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    """The arithmetic mean over ``axis`` (NaN over an empty axis, as NumPy's and Keras's)."""
    a = a if isinstance(a, Tensor) else Tensor(a)
    count = 1
    for axis_index in normalize_axes(axis, a.ndim, "mean"):
        count *= a.shape[axis_index]
    if count == 0:  # NaN, as NumPy and Keras give (0 / 0), without a division warning
        return multiply(sum(a, axis=axis, keepdims=keepdims), float("nan"))
    return divide(sum(a, axis=axis, keepdims=keepdims), count)


def var(a, axis=None, keepdims: bool = False) -> Tensor:
    """The population variance (divided by N, as NumPy's default and Keras's ``ops.var``)."""
    centered = subtract(a, mean(a, axis=axis, keepdims=True))
    return mean(multiply(centered, centered), axis=axis, keepdims=keepdims)
