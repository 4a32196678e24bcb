"""Comparisons, logic, rounding and index-of-extremum ops, with Keras 3's ``keras.ops`` names.

All of them are piecewise constant, so they return Tensors outside the graph: boolean masks for
comparisons and logic, int32 indices for ``argmax``/``argmin``, and the input's dtype for
``round``/``floor``/``ceil``/``sign`` (whose gradient is zero almost everywhere, as in Keras).
Cast a mask with ``ops.cast(mask, "float32")`` to use it in arithmetic.
"""

from __future__ import annotations

import operator

import numpy

from .. import backend, config
from ..arguments import broadcast_error
from ..tensor import Tensor
from .creation import _array, wrap
from .reduce import normalize_axes


def _pair(x1, x2):
    """Both operands as backend arrays; Python numbers take the other operand's dtype."""
    a, b = _array(x1), _array(x2)
    xp = backend.xp
    return xp.asarray(a), xp.asarray(b)


def _elementwise(name, function, x1, x2) -> Tensor:
    """``function(x1, x2)`` as a Tensor; shapes that do not broadcast are an error naming the
    op ``name`` and both shapes (NumPy's own names neither)."""
    a, b = _pair(x1, x2)
    try:
        return wrap(function(a, b))
    except ValueError as error:
        if "could not be broadcast" not in str(error):
            raise
        raise broadcast_error(name, (a.shape, b.shape)) from None


def equal(x1, x2) -> Tensor:
    """Elementwise ``x1 == x2`` as a boolean Tensor (``Tensor.__eq__`` stays identity)."""
    return _elementwise("equal", operator.eq, x1, x2)


def not_equal(x1, x2) -> Tensor:
    """Elementwise ``x1 != x2`` as a boolean Tensor."""
    return _elementwise("not_equal", operator.ne, x1, x2)


def greater(x1, x2) -> Tensor:
    """Elementwise ``x1 > x2``."""
    return _elementwise("greater", operator.gt, x1, x2)


def greater_equal(x1, x2) -> Tensor:
    """Elementwise ``x1 >= x2``."""
    return _elementwise("greater_equal", operator.ge, x1, x2)


def less(x1, x2) -> Tensor:
    """Elementwise ``x1 < x2``."""
    return _elementwise("less", operator.lt, x1, x2)


def less_equal(x1, x2) -> Tensor:
    """Elementwise ``x1 <= x2``."""
    return _elementwise("less_equal", operator.le, x1, x2)


def logical_and(x1, x2) -> Tensor:
    """Elementwise AND of the truth values (nonzero is true)."""
    return _elementwise("logical_and", backend.xp.logical_and, x1, x2)


def logical_or(x1, x2) -> Tensor:
    """Elementwise OR of the truth values."""
    return _elementwise("logical_or", backend.xp.logical_or, x1, x2)


def logical_xor(x1, x2) -> Tensor:
    """Elementwise XOR of the truth values."""
    return _elementwise("logical_xor", backend.xp.logical_xor, x1, x2)


def logical_not(x) -> Tensor:
    """Elementwise NOT of the truth values."""
    return wrap(backend.xp.logical_not(_array(x)))


def isnan(x) -> Tensor:
    """Where ``x`` is NaN."""
    return wrap(backend.xp.isnan(_array(x)))


def isinf(x) -> Tensor:
    """Where ``x`` is +inf or -inf."""
    return wrap(backend.xp.isinf(_array(x)))


def isfinite(x) -> Tensor:
    """Where ``x`` is neither NaN nor infinite."""
    return wrap(backend.xp.isfinite(_array(x)))


def _axes(x, axis, owner):
    array = _array(x)
    return array, normalize_axes(axis, array.ndim, owner)


def any(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether any element over ``axis`` is true (nonzero)."""
    array, axes = _axes(x, axis, "any")
    return wrap(backend.xp.any(array, axis=axes, keepdims=keepdims))


def all(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Whether every element over ``axis`` is true (nonzero)."""
    array, axes = _axes(x, axis, "all")
    return wrap(backend.xp.all(array, axis=axes, keepdims=keepdims))


def _arg_extremum(pick, x, axis, keepdims, name):
    array = _array(x)
    if array.size == 0:
        raise ValueError(f"{name} of an empty tensor of shape {array.shape} has no index.")
    if axis is not None:
        axis = normalize_axes(axis, array.ndim, name)[0] if isinstance(axis, int) else axis
        if not isinstance(axis, int):
            raise ValueError(f"{name}: axis must be an int or None, received {axis!r}.")
    index = pick(array, axis=axis, keepdims=keepdims)  # the first extremum wins ties, as Keras
    return wrap(backend.xp.asarray(index, dtype=numpy.int32))


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """The index of the largest value over ``axis`` (of the flattened tensor when None), int32."""
    return _arg_extremum(backend.xp.argmax, x, axis, keepdims, "argmax")


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """The index of the smallest value over ``axis`` (of the flattened tensor when None), int32."""
    return _arg_extremum(backend.xp.argmin, x, axis, keepdims, "argmin")


def sign(x) -> Tensor:
    """-1, 0 or 1 by the sign of each element, in ``x``'s dtype."""
    return wrap(backend.xp.sign(_array(x)))


def floor(x) -> Tensor:
    """The largest integer not above each element (floats stay floats)."""
    return wrap(_as_float(backend.xp.floor(_array(x))))


def ceil(x) -> Tensor:
    """The smallest integer not below each element (floats stay floats)."""
    return wrap(_as_float(backend.xp.ceil(_array(x))))


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras's name
    """Round half to even, to ``decimals`` places (as NumPy and Keras)."""
    return wrap(backend.xp.round(_array(x), decimals))


def _as_float(array):
    return array if array.dtype.kind == "f" else array.astype(config.floatx())
