"""Elementwise arithmetic with NumPy broadcasting; each primitive's gradient sits beside it."""

from __future__ import annotations

from .. import backend
from ..tensor import Function, Tensor


def unbroadcast(grad, shape: tuple[int, ...]):
    """Sum ``grad`` back to ``shape``: the gradient of broadcasting an input of that shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    stretched = tuple(axis for axis, n in enumerate(shape) if n == 1 and grad.shape[axis] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):  # d(a+b) = da + db
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Subtract(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):
        b_grad = unbroadcast(-grad, self.shapes[1]) if self.needs_grad[1] else None
        return unbroadcast(grad, self.shapes[0]), b_grad


class Multiply(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):  # d(ab) = b da + a db
        a_grad = unbroadcast(grad * self.b, self.a.shape) if self.needs_grad[0] else None
        b_grad = unbroadcast(grad * self.a, self.b.shape) if self.needs_grad[1] else None
        return a_grad, b_grad


class Divide(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):  # d(a/b) = da / b - a db / b²
        a_grad = unbroadcast(grad / self.b, self.a.shape) if self.needs_grad[0] else None
        b_grad = None
        if self.needs_grad[1]:
            b_grad = unbroadcast(-grad * self.a / (self.b * self.b), self.b.shape)
        return a_grad, b_grad


class Power(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):  # d(a^b) = b a^(b-1) da + a^b ln(a) db
        xp = backend.xp
        a_grad = b_grad = None
        if self.needs_grad[0]:
            a_grad = unbroadcast(grad * self.b * self.a ** (self.b - 1), self.a.shape)
        if self.needs_grad[1]:
            log_a = xp.log(xp.where(self.a > 0, self.a, 1))  # a^b ln a -> 0 where a = 0
            b_grad = unbroadcast(grad * self.out * log_a, self.b.shape)
        return a_grad, b_grad


class Negative(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Exp(Function):
    def forward(self, a):
        self.out = backend.xp.exp(a)
        return self.out

    def backward(self, grad):  # d e^a = e^a da
        return grad * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return backend.xp.log(a)

    def backward(self, grad):  # d ln a = da / a
        return grad / self.a


class Sqrt(Function):
    def forward(self, a):
        self.out = backend.xp.sqrt(a)
        return self.out

    def backward(self, grad):  # d sqrt(a) = da / (2 sqrt(a))
        return grad / (2 * self.out)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return backend.xp.abs(a)

    def backward(self, grad):  # d|a| = sign(a) da, 0 at a = 0 (as NumPy, PyTorch and TF)
        return grad * backend.xp.sign(self.a)


class Maximum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return backend.xp.maximum(a, b)

    def backward(self, grad):
        # The larger input takes the gradient; a tie splits it in half, as TensorFlow does.
        xp = backend.xp
        share = xp.where(self.a > self.b, 1.0, xp.where(self.a == self.b, 0.5, 0.0)).astype(
            grad.dtype
        )
        a_grad = unbroadcast(grad * share, self.a.shape) if self.needs_grad[0] else None
        b_grad = unbroadcast(grad * (1 - share), self.b.shape) if self.needs_grad[1] else None
        return a_grad, b_grad


class Clip(Function):
    def forward(self, a, low, high):
        self.inside = (a >= low) & (a <= high)
        return backend.xp.clip(a, low, high)

    def backward(self, grad):  # the gradient passes where a was not clipped
        return grad * self.inside, None, None


class Where(Function):
    def forward(self, condition, a, b):
        self.condition, self.shapes = condition.astype(bool), (a.shape, b.shape)
        return backend.xp.where(self.condition, a, b)

    def backward(self, grad):
        zero = grad.dtype.type(0)
        a_grad = unbroadcast(backend.xp.where(self.condition, grad, zero), self.shapes[0])
        b_grad = unbroadcast(backend.xp.where(self.condition, zero, grad), self.shapes[1])
        return None, a_grad, b_grad


def add(a, b) -> Tensor:
    """``a + b`` with broadcasting."""
    return Add.apply(a, b)


def subtract(a, b) -> Tensor:
    """``a - b`` with broadcasting."""
    return Subtract.apply(a, b)


def multiply(a, b) -> Tensor:
    """``a * b`` with broadcasting."""
    return Multiply.apply(a, b)


def divide(a, b) -> Tensor:
    """``a / b`` with broadcasting."""
    return Divide.apply(a, b)


def power(a, b) -> Tensor:
    """``a ** b``; differentiable in both (the exponent's gradient takes ln a, 0 where a <= 0)."""
    return Power.apply(a, b)


def negative(a) -> Tensor:
    """``-a``."""
    return Negative.apply(a)


def exp(a) -> Tensor:
    """e to the power ``a``."""
    return Exp.apply(a)


def log(a) -> Tensor:
    """The natural logarithm."""
    return Log.apply(a)


def sqrt(a) -> Tensor:
    """The square root."""
    return Sqrt.apply(a)


def abs(a) -> Tensor:  # noqa: A001 - the NumPy name
    """The absolute value; its gradient at 0 is 0."""
    return Abs.apply(a)


def maximum(a, b) -> Tensor:
    """The elementwise larger of ``a`` and ``b``; a tie shares the gradient equally."""
    return Maximum.apply(a, b)


def minimum(a, b) -> Tensor:
    """The elementwise smaller of ``a`` and ``b``."""
    return negative(maximum(negative(a), negative(b)))


def clip(a, low, high) -> Tensor:
    """``a`` limited to ``[low, high]``; no gradient flows where it was clipped.

    Raises:
        ValueError: when ``low > high``.
    """
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: low ({low}) must not exceed high ({high}).")
    return Clip.apply(
        a, -float("inf") if low is None else low, float("inf") if high is None else high
    )


def where(condition, a=None, b=None) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; ``condition`` gets no gradient.

    With only ``condition`` (Keras's ``ops.where(condition)``), the indices of its true
    elements: one int Tensor per axis, as ``numpy.nonzero``.

    Raises:
        ValueError: when only one of ``a`` and ``b`` is given.
    """
    condition = condition.data if isinstance(condition, Tensor) else condition
    if a is None and b is None:
        indices = backend.xp.nonzero(backend.xp.asarray(condition))
        return tuple(Tensor(i, dtype=i.dtype) for i in indices)
    if a is None or b is None:
        raise ValueError("where: pass both x1 and x2, or neither (to get the true indices).")
    return Where.apply(backend.xp.asarray(condition, dtype=bool), a, b)
