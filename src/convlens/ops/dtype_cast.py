"""Casting between float dtypes, with the gradient cast back: how a layer's autocast and
``ops.cast`` keep float64 inputs from turning a float32 model's work into float64 work."""

from __future__ import annotations

from ..tensor import Function, Tensor, as_tensor


class CastFloat(Function):
    def forward(self, x, dtype):
        self.source = x.dtype
        return x.astype(dtype)

    def backward(self, grad):  # the identity, in the input's dtype
        return (grad.astype(self.source, copy=False),)


def cast_float(x, dtype) -> Tensor:
    """``x`` as a Tensor of the float ``dtype``; differentiable (the gradient is cast back).

    Example:
        >>> import numpy
        >>> cast_float(numpy.ones(2), "float32").dtype
        dtype('float32')
    """
    x = as_tensor(x)
    if x.dtype == dtype:
        return x
    return CastFloat.apply(x, dtype=dtype)
