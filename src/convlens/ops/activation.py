"""Activation functions, with Keras's names and defaults.

The hot ones (relu, sigmoid, tanh, softmax, log_softmax) are primitives with a hand-written
gradient; the rest are built from primitives and need none.
"""

from __future__ import annotations

import math

from .. import backend
from ..arguments import check_axis
from ..kernels import parallel
from ..kernels.epilogue import relu_gradient
from ..tensor import Function, Tensor, as_tensor
from .elementwise import abs as abs_
from .elementwise import add, divide, exp, log, maximum, minimum, multiply, subtract, where

SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017, eq. 14
SELU_SCALE = 1.0507009873554804934193349852946


class ReLU(Function):
    def forward(self, x):
        xp = backend.xp
        self.out = xp.empty_like(x)
        parallel.by_rows(lambda x, out: xp.maximum(x, 0, out=out), x, self.out)
        return self.out

    def backward(self, grad):  # 1 where x > 0 (that is, y > 0), else 0
        return relu_gradient(grad, self.out)


class Sigmoid(Function):
    def forward(self, x):
        xp = backend.xp
        # exp of -|x| never overflows: sigmoid(x) = 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
        e = xp.exp(-xp.abs(x))
        self.out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.out

    def backward(self, grad):  # s' = s (1 - s)
        return grad * self.out * (1 - self.out)


class Tanh(Function):
    def forward(self, x):
        self.out = backend.xp.tanh(x)
        return self.out

    def backward(self, grad):  # tanh' = 1 - tanh²
        return grad * (1 - self.out * self.out)


class Softmax(Function):
    def forward(self, x, axis):
        xp = backend.xp
        e = xp.exp(x - x.max(axis=axis, keepdims=True))  # max-shifted: never overflows
        self.out, self.axis = e / e.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad):  # dx = s * (g - Σ g s)
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, x, axis):
        xp = backend.xp
        shifted = x - x.max(axis=axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, grad):  # dx = g - softmax * Σ g
        return grad - backend.xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


class Erf(Function):
    def forward(self, x):
        self.x = x
        return _erf(x)

    def backward(self, grad):  # erf'(x) = 2/sqrt(pi) e^(-x²)
        return grad * (2 / math.sqrt(math.pi)) * backend.xp.exp(-self.x * self.x)


def _erf(x):
    """erf to float64 accuracy (about 1e-15), as NumPy has none and SciPy is not a dependency.

    Below |x| = 2.5 the Maclaurin series; above it the continued fraction of erfc
    (Abramowitz & Stegun 7.1.2 and 7.1.14), each where it converges fast.
    """
    xp = backend.xp
    dtype = x.dtype
    x = x.astype(xp.float64)
    small = xp.abs(x) < 2.5
    xs = xp.where(small, x, 0.0)
    term, total = xs.copy(), xs.copy()
    for n in range(1, 60):  # Σ (-1)^n x^(2n+1) / (n! (2n+1))
        term = term * -(xs * xs) / n
        total = total + term / (2 * n + 1)
    series = total * (2 / math.sqrt(math.pi))
    z = xp.where(small, 3.0, xp.abs(x))
    fraction = xp.zeros_like(z)
    for k in range(
        60, 0, -1
    ):  # erfc z = e^-z² / sqrt(pi) · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))
        fraction = (k / 2) / (z + fraction)
    erfc = xp.exp(-z * z) / math.sqrt(math.pi) / (z + fraction)
    large = xp.sign(x) * (1 - erfc)
    return xp.where(small, series, large).astype(dtype)


def relu(x) -> Tensor:
    """max(x, 0)."""
    return ReLU.apply(x)


def sigmoid(x) -> Tensor:
    """1 / (1 + e^-x), computed without overflow."""
    return Sigmoid.apply(x)


def tanh(x) -> Tensor:
    """The hyperbolic tangent."""
    return Tanh.apply(x)


def softmax(x, axis: int = -1) -> Tensor:
    """e^x / Σ e^x over ``axis``, max-shifted so large logits never overflow."""
    x = as_tensor(x)
    return Softmax.apply(x, axis=check_axis(axis, x.ndim, "softmax"))


def log_softmax(x, axis: int = -1) -> Tensor:
    """log(softmax(x)), computed directly (never the log of a rounded-to-zero probability)."""
    x = as_tensor(x)
    return LogSoftmax.apply(x, axis=check_axis(axis, x.ndim, "log_softmax"))


def linear(x) -> Tensor:
    """The identity, Keras's ``activation=None``."""
    return as_tensor(x)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x`` (Keras's ``ops.leaky_relu`` default 0.2)."""
    x = as_tensor(x)
    return where(x.data > 0, x, multiply(x, negative_slope))


def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha (e^x - 1)."""
    x = as_tensor(x)
    negative_part = multiply(subtract(exp(minimum(x, 0.0)), 1.0), alpha)  # exp only of x <= 0
    return where(x.data > 0, x, negative_part)


def selu(x) -> Tensor:
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return multiply(elu(x, SELU_ALPHA), SELU_SCALE)


def gelu(x, approximate: bool = False) -> Tensor:
    """x Φ(x): exact with erf by default (Keras 3), or the tanh approximation."""
    x = as_tensor(x)
    if approximate:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))
        inner = multiply(
            add(x, multiply(multiply(multiply(x, x), x), 0.044715)), math.sqrt(2 / math.pi)
        )
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(Erf.apply(divide(x, math.sqrt(2.0))), 1.0))


def hard_sigmoid(x) -> Tensor:
    """relu6(x + 3) / 6, Keras 3's definition: 0 below -3, 1 above 3, linear between."""
    return divide(minimum(maximum(add(x, 3.0), 0.0), 6.0), 6.0)


def softplus(x) -> Tensor:
    """log(1 + e^x), as max(x, 0) + log(1 + e^-|x|) so it never overflows."""
    x = as_tensor(x)
    return add(maximum(x, 0.0), log(add(exp(multiply(abs_(x), -1.0)), 1.0)))


def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return divide(x, add(abs_(x), 1.0))


def silu(x) -> Tensor:
    """x · sigmoid(x), also called swish."""
    return multiply(x, sigmoid(x))


swish = silu


def relu6(x) -> Tensor:
    """min(max(x, 0), 6)."""
    return minimum(relu(x), 6.0)


def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    x = as_tensor(x)
    return multiply(softplus(multiply(x, -1.0)), -1.0)


def hard_silu(x) -> Tensor:
    """x · hard_sigmoid(x) (Keras's ``hard_silu``, also ``hard_swish``)."""
    return multiply(x, hard_sigmoid(x))


hard_swish = hard_silu
