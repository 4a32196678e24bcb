"""More of Keras 3's ``keras.ops`` math: powers, logs, trigonometry and reductions.

Primitives whose gradient is not a composite of existing ops (``log1p``, ``expm1``, ``sin``,
``cos``, ``prod``, ``cumsum``) keep forward and backward side by side; the rest are built from
primitives and need no backward.
"""

from __future__ import annotations

import math

from .. import backend, config
from ..arguments import check_axes, check_axis
from ..tensor import Function, Tensor, as_tensor
from .activation import Erf
from .arrange import broadcast_to
from .creation import _array, cast, stop_gradient, wrap
from .elementwise import abs as abs_
from .elementwise import add, divide, exp, log, maximum, multiply, power, sqrt, subtract
from .reduce import max as max_
from .reduce import min as min_
from .reduce import normalize_axes, var
from .reduce import sum as sum_
from .shape import reshape, squeeze


class Log1p(Function):
    def forward(self, a):
        self.a = a
        return backend.xp.log1p(a)

    def backward(self, grad):  # d ln(1 + a) = da / (1 + a)
        return grad / (1 + self.a)


class Expm1(Function):
    def forward(self, a):
        self.out = backend.xp.expm1(a)
        return self.out

    def backward(self, grad):  # d (e^a - 1) = e^a da
        return grad * (self.out + 1)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return backend.xp.sin(a)

    def backward(self, grad):
        return grad * backend.xp.cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return backend.xp.cos(a)

    def backward(self, grad):
        return -grad * backend.xp.sin(self.a)


class Prod(Function):
    def forward(self, a, axes, keepdims):
        xp = backend.xp
        self.shape, self.axes = a.shape, axes
        kept = [i for i in range(a.ndim) if i not in axes]
        self.order = kept + list(axes)
        moved = a.transpose(self.order)  # reduced axes last
        flat = moved.reshape(moved.shape[: len(kept)] + (-1,))  # (..., K)
        # The product of all the others, without dividing (zeros allowed): exclusive products
        # from the left times exclusive products from the right.
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=a.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        self.others, self.moved_shape = left * right, moved.shape
        return a.prod(axis=axes, keepdims=keepdims)

    def backward(self, grad):  # d Π a / d a_i = Π_{j != i} a_j
        grad = grad.reshape(self.others.shape[:-1] + (1,))
        moved = (grad * self.others).reshape(self.moved_shape)
        inverse = [0] * len(self.order)
        for position, axis in enumerate(self.order):
            inverse[axis] = position
        return moved.transpose(inverse)


class Cumsum(Function):
    def forward(self, a, axis):
        self.axis = axis
        return backend.xp.cumsum(a, axis=axis)

    def backward(self, grad):  # each input feeds every later output: reversed cumulative sum
        xp = backend.xp
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


def square(x) -> Tensor:
    """``x * x``."""
    x = as_tensor(x)
    return multiply(x, x)


def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)``."""
    return divide(1.0, sqrt(x))


def reciprocal(x) -> Tensor:
    """``1 / x``."""
    return divide(1.0, x)


def log1p(x) -> Tensor:
    """``log(1 + x)``, accurate for small ``x``."""
    return Log1p.apply(x)


def expm1(x) -> Tensor:
    """``exp(x) - 1``, accurate for small ``x``."""
    return Expm1.apply(x)


def sin(x) -> Tensor:
    """The sine."""
    return Sin.apply(x)


def cos(x) -> Tensor:
    """The cosine."""
    return Cos.apply(x)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Tensor:
    """The product over ``axis`` (all axes when None); differentiable, zeros included."""
    x = as_tensor(x)
    out = Prod.apply(x, axes=normalize_axes(axis, x.ndim, "prod"), keepdims=keepdims)
    if dtype is not None:
        out = cast(out, dtype)
    return out


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """The running sum along ``axis`` (of the flattened tensor when None)."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    out = Cumsum.apply(x, axis=normalize_axes(axis, x.ndim, "cumsum")[0])
    if dtype is not None:
        out = cast(out, dtype)
    return out


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """The population standard deviation (divided by N), as Keras's ``ops.std``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum so it never overflows."""
    x = as_tensor(x)
    shift = stop_gradient(max_(x, axis=axis, keepdims=True))
    shift_data = backend.xp.where(backend.xp.isfinite(shift.data), shift.data, 0)
    shift = wrap(shift_data)
    total = sum_(exp(subtract(x, shift)), axis=axis, keepdims=True)
    out = add(log(total), shift)
    if keepdims:
        return out
    return squeeze(out, axis=normalize_axes(axis, x.ndim, "logsumexp"))


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002 - Keras's name
    """A vector or matrix norm, with ``numpy.linalg.norm``'s meaning of ``ord`` and ``axis``.

    Vector norms (``axis`` an int, or ``x`` 1-D): ``None``/2, 1, ``inf``, ``-inf``, 0 and any
    other power p. Matrix norms (``axis`` a pair, or ``x`` 2-D with ``ord`` given): ``None``/
    ``"fro"``, 1, -1, ``inf``, ``-inf``.

    Raises:
        ValueError: for an ``ord`` that needs singular values (2, -2, ``"nuc"``) or one that
            does not apply to the chosen axes.
    """
    x = as_tensor(x)
    if axis is None:
        if ord is None:
            return sqrt(sum_(multiply(x, x), axis=None, keepdims=keepdims))
        axis = tuple(range(x.ndim))
    axes = (
        normalize_axes(axis, x.ndim, "norm")
        if not isinstance(axis, int)
        else (check_axis(axis, x.ndim, "norm"),)
    )
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axis if not isinstance(axis, int) else axes, keepdims)
    raise ValueError(f"norm: axis must name one or two axes, received {axis!r}.")


def _vector_norm(x, ord, axes, keepdims):  # noqa: A002
    magnitude = abs_(x)
    if ord is None or ord == 2:
        return sqrt(sum_(multiply(x, x), axis=axes, keepdims=keepdims))
    if ord == math.inf:
        return max_(magnitude, axis=axes, keepdims=keepdims)
    if ord == -math.inf:
        return min_(magnitude, axis=axes, keepdims=keepdims)
    if ord == 0:
        count = (_array(x) != 0).sum(axis=axes, keepdims=keepdims)
        return wrap(count.astype(x.dtype))
    if isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; a vector norm takes a number.")
    return power(sum_(power(magnitude, float(ord)), axis=axes, keepdims=keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):  # noqa: A002
    rows, cols = check_axes(tuple(axis), x.ndim, "norm")
    if ord in (None, "fro"):
        return sqrt(sum_(multiply(x, x), axis=(rows, cols), keepdims=keepdims))
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = sum_(abs_(x), axis=summed, keepdims=True)
        pick = max_ if ord in (1, math.inf) else min_
        out = pick(sums, axis=other, keepdims=True)
        return out if keepdims else squeeze(out, axis=(rows, cols))
    raise ValueError(
        f"norm: matrix ord={ord!r} is not supported (it needs singular values); use None, "
        "'fro', 1, -1, inf or -inf."
    )


def moments(x, axes, keepdims: bool = False, synchronized: bool = False):
    """The mean and the population variance over ``axes`` (Keras's ``ops.moments``)."""
    if synchronized:
        raise ValueError("moments: synchronized=True needs several devices; not supported.")
    x = as_tensor(x)
    mean = divide(sum_(x, axis=axes, keepdims=True), _count(x.shape, axes))
    variance = var(x, axis=axes, keepdims=True)
    if keepdims:
        return mean, variance
    axes = normalize_axes(axes, x.ndim, "moments")
    return squeeze(mean, axes), squeeze(variance, axes)


def _count(shape, axes):
    total = 1
    for axis in normalize_axes(axes, len(shape), "count"):
        total *= shape[axis]
    return total


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """``x`` divided by its ``order``-norm over ``axis`` (Keras's ``ops.normalize``).

    The L2 case multiplies by ``min(1/sqrt(Σx²), 1/epsilon)``, as Keras, so zero vectors stay
    zero (with a zero gradient); other orders divide by ``max(norm, epsilon)``.

    Raises:
        ValueError: for an ``order`` that is not an int >= 1.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, received {order!r}.")
    x = as_tensor(x)
    if x.ndim == 0:
        x = reshape(x, (1,))
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        square_sum = sum_(multiply(x, x), axis=axis, keepdims=True)
        # min(1/sqrt(s), 1/eps) written as 1/sqrt(max(s, eps²)): equal, and a zero vector
        # gets a zero gradient instead of 0 · inf.
        return multiply(x, rsqrt(maximum(square_sum, epsilon * epsilon)))
    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), epsilon))


def erf(x) -> Tensor:
    """The error function, to float64 accuracy; its gradient is 2/sqrt(pi) e^(-x²)."""
    return Erf.apply(x)


def mod(x1, x2) -> Tensor:
    """The remainder of floor division, with the sign of ``x2`` (NumPy's and Keras's).

    Written as ``x1 - floor(x1 / x2) · x2`` with the floor held constant, so the gradient is
    1 for ``x1`` and ``-floor(x1 / x2)`` for ``x2``, as JAX's.
    """
    x1, x2 = as_tensor(x1), as_tensor(x2, dtype=None)
    quotient = wrap(backend.xp.floor_divide(_array(x1), _array(x2)))
    return subtract(x1, multiply(cast(quotient, x1.dtype), x2))


def floor_divide(x1, x2) -> Tensor:
    """``floor(x1 / x2)`` elementwise (no gradient: it is piecewise constant)."""
    return wrap(backend.xp.floor_divide(_array(x1), _array(x2)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (NumPy's ``linspace``)."""
    values, step = backend.xp.linspace(
        _array(start), _array(stop), int(num), endpoint=endpoint, retstep=True, axis=axis
    )
    values = values.astype(config.floatx() if dtype is None else dtype)
    return (wrap(values), step) if retstep else wrap(values)


def count_nonzero(x, axis=None) -> Tensor:
    """How many elements over ``axis`` are not zero (int32)."""
    array = _array(x)
    axes = None if axis is None else normalize_axes(axis, array.ndim, "count_nonzero")
    return wrap(backend.xp.asarray((array != 0).sum(axis=axes), dtype="int32"))


def average(x, axis=None, weights=None) -> Tensor:
    """The mean over ``axis``, weighted by ``weights`` (1-D along ``axis``, or ``x``'s shape)."""
    x = as_tensor(x)
    if weights is None:
        return divide(sum_(x, axis=axis), _count(x.shape, axis))
    weights = as_tensor(weights, dtype=x.dtype if x.dtype.kind == "f" else None)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[check_axis(axis, x.ndim, "average")] = weights.shape[0]
        weights = reshape(weights, tuple(shape))
    total = sum_(multiply(x, weights), axis=axis)
    return divide(total, sum_(broadcast_to(weights, x.shape), axis=axis))


def in_top_k(targets, predictions, k) -> Tensor:
    """Whether each row's target class is among its ``k`` largest predictions (ties count in).

    Args:
        targets: (N,) integer class indices.
        predictions: (N, classes) scores.
        k: how many of the top classes count.
    """
    scores = _array(predictions)
    labels = backend.xp.asarray(_array(targets)).astype("int64")
    target_scores = backend.xp.take_along_axis(scores, labels[:, None], axis=1)  # (N, 1)
    better = (scores > target_scores).sum(axis=1)  # how many classes beat the target
    return wrap(better < int(k))
