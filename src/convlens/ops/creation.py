"""Creating tensors and changing their type, with Keras 3's ``keras.ops`` names.

``ones``, ``zeros``, ``full``, ``arange``, ``eye``, ``one_hot`` build new tensors (no gradient);
``cast`` and ``convert_to_tensor`` change the dtype; ``stop_gradient`` cuts the graph. Integer and
boolean results keep their dtype (a plain ``Tensor(...)`` would turn them into floatx), so
``argmax`` indices and comparison masks behave as in Keras.
"""

from __future__ import annotations

import numpy

from .. import backend, config
from ..arguments import check_int, check_shape
from ..tensor import Tensor
from .dtype_cast import cast_float


def wrap(array) -> Tensor:
    """A Tensor holding ``array`` exactly as it is (any dtype), outside the graph."""
    xp = backend.xp
    tensor = Tensor.__new__(Tensor)
    tensor.data = array if isinstance(array, xp.ndarray) else xp.asarray(array)
    tensor.grad, tensor._ctx, tensor.name, tensor.requires_grad = None, None, None, False
    return tensor


def standardize_dtype(dtype, default=None) -> numpy.dtype:
    """A NumPy dtype from a Keras dtype name, a NumPy dtype or None (then ``default`` or floatx).

    Raises:
        ValueError: for a name NumPy does not know.
    """
    if dtype is None:
        dtype = default or config.floatx()
    if isinstance(dtype, Tensor):
        dtype = dtype.dtype
    try:
        return numpy.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"Unknown dtype {dtype!r}; expected a name such as 'float32'.") from error


def _shape(shape, owner) -> tuple[int, ...]:
    return check_shape(shape, "shape", owner)


def zeros(shape, dtype=None) -> Tensor:
    """A tensor of zeros (floatx unless ``dtype`` says otherwise)."""
    return wrap(backend.xp.zeros(_shape(shape, "zeros"), dtype=standardize_dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    """A tensor of ones (floatx unless ``dtype`` says otherwise)."""
    return wrap(backend.xp.ones(_shape(shape, "ones"), dtype=standardize_dtype(dtype)))


def full(shape, fill_value, dtype=None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    fill = fill_value.data if isinstance(fill_value, Tensor) else fill_value
    return wrap(backend.xp.full(_shape(shape, "full"), fill, dtype=standardize_dtype(dtype)))


def _like_dtype(x, dtype):
    return standardize_dtype(dtype, default=_array(x).dtype)


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros of ``x``'s shape and (unless given) dtype."""
    return wrap(backend.xp.zeros(numpy.shape(_array(x)), dtype=_like_dtype(x, dtype)))


def ones_like(x, dtype=None) -> Tensor:
    """Ones of ``x``'s shape and (unless given) dtype."""
    return wrap(backend.xp.ones(numpy.shape(_array(x)), dtype=_like_dtype(x, dtype)))


def full_like(x, fill_value, dtype=None) -> Tensor:
    """``fill_value`` in ``x``'s shape and (unless given) dtype."""
    return full(numpy.shape(_array(x)), fill_value, _like_dtype(x, dtype))


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; integer arguments give int32, as Keras."""
    step = 1 if step is None else step
    if dtype is None:
        values = [v for v in (start, stop, step) if v is not None]
        is_int = all(isinstance(v, (int, numpy.integer)) for v in values)
        dtype = "int32" if is_int else config.floatx()
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError(f"arange: step must not be 0, received step={step!r}.")
    return wrap(backend.xp.arange(start, stop, step, dtype=standardize_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None) -> Tensor:  # noqa: N803 - Keras's names
    """An ``N`` x ``M`` matrix with ones on diagonal ``k``."""
    N = check_int(N, "N", "eye", minimum=0)  # noqa: N806
    M = check_int(M, "M", "eye", minimum=0, allow_none=True)  # noqa: N806
    return wrap(backend.xp.eye(N, M, check_int(k, "k", "eye"), standardize_dtype(dtype)))


def identity(n, dtype=None) -> Tensor:
    """The ``n`` x ``n`` identity matrix."""
    return eye(n, dtype=dtype)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """Class indices as one-hot vectors along a new ``axis``; negative indices give all zeros.

    Raises:
        ValueError: for ``sparse=True`` (no sparse tensors here) or a non-positive
            ``num_classes``.
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported; convlens tensors are dense.")
    if int(num_classes) < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int, received {num_classes}.")
    xp = backend.xp
    indices = xp.asarray(_array(x)).astype(xp.int64)
    classes = xp.arange(int(num_classes))
    hot = indices[..., None] == classes  # (..., num_classes); -1 and out-of-range match nothing
    hot = xp.moveaxis(hot, -1, axis) if axis not in (-1, hot.ndim - 1) else hot
    return wrap(hot.astype(standardize_dtype(dtype)))


def cast(x, dtype) -> Tensor:
    """``x`` in ``dtype``; a cast between floating dtypes keeps the gradient, others cut it."""
    dtype = standardize_dtype(dtype)
    x = x if isinstance(x, Tensor) else convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    if dtype.kind == "f" and x.dtype.kind == "f":
        return cast_float(x, dtype)
    return wrap(x.data.astype(dtype))


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """A Tensor from a Tensor, an array, a list or a number (Keras's ``convert_to_tensor``).

    Python floats become floatx and Python ints int32, as in Keras; arrays keep their dtype
    (float64 included: this engine computes in float64 where asked). A Tensor is returned as
    it is, so the gradient still flows through it, unless ``dtype`` asks for a cast.
    """
    if sparse or ragged:
        raise ValueError("convert_to_tensor: sparse and ragged tensors are not supported.")
    if isinstance(x, Tensor):
        return x if dtype is None else cast(x, dtype)
    if dtype is not None:
        return wrap(backend.xp.asarray(_array(x), dtype=standardize_dtype(dtype)))
    array = numpy.asarray(x) if not backend.is_array(x) else x
    if not backend.is_array(x) and not isinstance(x, numpy.generic):
        # Python numbers and lists: Keras's defaults, not NumPy's 64-bit ones.
        kind = array.dtype.kind
        array = array.astype(
            "int32" if kind in "iu" else config.floatx() if kind == "f" else array.dtype
        )
    return wrap(backend.xp.asarray(array))


def convert_to_numpy(x) -> numpy.ndarray:
    """A NumPy array of ``x``'s values (copied to the host on CuPy)."""
    return backend.to_numpy(_array(x))


def stop_gradient(variable) -> Tensor:
    """The same values, cut from the graph: no gradient flows back through the result."""
    return wrap(_array(variable))


def shape(x) -> tuple[int, ...]:
    """The shape as a tuple of ints."""
    return tuple(numpy.shape(_array(x)))


def size(x) -> int:
    """The number of elements."""
    return int(numpy.size(_array(x)))


def ndim(x) -> int:
    """The number of axes."""
    return len(shape(x))


def dtype(x) -> str:
    """The dtype's name, as Keras's ``ops.dtype`` (``"float32"``)."""
    return numpy.dtype(_array(x).dtype).name


def is_tensor(x) -> bool:
    """Whether ``x`` is a convlens Tensor."""
    return isinstance(x, Tensor)


def _array(x):
    """The array behind ``x`` (a Tensor's data, or ``x`` itself as an array)."""
    if isinstance(x, Tensor):
        return x.data
    return x if backend.is_array(x) else numpy.asarray(x)
