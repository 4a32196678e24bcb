"""Dropout and batch normalisation: the math of the Dropout and BatchNormalization layers.

Both are pure: dropout draws its mask from the ``seed`` or ``rng`` it is given (no global
seeding), and batch normalisation returns the batch statistics to the caller instead of keeping
moving averages (the layer owns those).
"""

from __future__ import annotations

import numbers

import numpy

from .. import backend
from ..arguments import check_axis
from ..rng import rng_for
from ..tensor import Function, Tensor, as_tensor
from .elementwise import multiply


def dropout(x, rate, seed=None, rng=None, training=True, noise_shape=None) -> Tensor:
    """Zero each input with probability ``rate`` and scale the rest by 1 / (1 - rate).

    Inverted dropout, as Keras: the expected value of every output equals its input, so nothing
    changes at inference (``training=False`` returns the input).

    Args:
        x: a Tensor or array.
        rate: the fraction to drop, in [0, 1).
        seed: an int for a reproducible mask. A fresh draw each call when neither ``seed`` nor
            ``rng`` is given.
        rng: a ``numpy.random.Generator`` to draw from (a layer keeps one, so that successive
            calls draw different masks from one reproducible stream).
        training: ``False`` returns ``x`` unchanged.
        noise_shape: the mask's shape, broadcast against ``x`` (e.g. ``(N, 1, 1, C)`` drops
            whole feature maps); ``None`` entries take ``x``'s size on that axis.

    Returns:
        A Tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: for a rate outside [0, 1), both ``seed`` and ``rng``, or a noise_shape that
            does not broadcast to ``x``.
        TypeError: for an ``rng`` that is not a ``numpy.random.Generator``.

    Example:
        >>> import numpy as np
        >>> dropout(np.ones((2, 4)), 0.5, seed=6).numpy()  # kept values scaled by 1 / (1 - 0.5)
        array([[0., 2., 2., 0.],
               [2., 0., 2., 0.]])
    """
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be a number in [0, 1), received {rate!r}.")
    if seed is not None and rng is not None:
        raise ValueError("dropout: pass either seed or rng, not both.")
    if rng is not None and not isinstance(rng, numpy.random.Generator):
        raise TypeError(f"dropout: rng must be a numpy.random.Generator, received {type(rng)}.")
    x = as_tensor(x)
    if not training or rate == 0:
        return x
    shape = _noise_shape(x.shape, noise_shape)
    rng = rng_for(seed) if rng is None else rng  # None: the global stream (set_random_seed)
    keep = rng.random(shape, dtype=numpy.float32) >= rate  # on the host: one mask, any backend
    scale = backend.xp.asarray(keep, dtype=x.dtype) * x.dtype.type(1 / (1 - rate))
    return multiply(x, Tensor(scale))  # the gradient is the same mask, unbroadcast


def _noise_shape(shape, noise_shape):
    if noise_shape is None:
        return shape
    filled = tuple(n if m is None else m for m, n in zip(noise_shape, shape, strict=False))
    if len(filled) != len(shape) or any(
        m not in (1, n) for m, n in zip(filled, shape, strict=True)
    ):
        raise ValueError(
            f"dropout: noise_shape {tuple(noise_shape)} does not broadcast to the input shape "
            f"{shape}; each entry must be 1, None or the input's size."
        )
    return filled


# ----- batch normalisation (Ioffe & Szegedy 2015, Algorithm 1) -----


def _channel_axis(op, x, axis):
    return check_axis(axis, x.ndim, op)


def _parameter(op, name, value, channels, dtype, default):
    """A (C,) parameter as a Tensor; ``default`` (0 or 1) when it is ``None``."""
    if value is None:
        return Tensor(backend.xp.full((channels,), default, dtype=dtype))
    value = as_tensor(value, dtype=None if isinstance(value, Tensor) else dtype)
    if value.shape != (channels,):
        raise ValueError(
            f"{op}: expected {name} of shape ({channels},), one value per channel, received shape "
            f"{value.shape}."
        )
    return value


class BatchNorm(Function):
    """Inference: y = (x - mean) γ / sqrt(var + ε) + β, with given statistics."""

    def forward(self, x, mean, variance, gamma, beta, *, epsilon, shape, axes):
        self.inv = 1 / backend.xp.sqrt(variance + epsilon)  # 1/σ, (C,)
        self.scale = (gamma * self.inv).reshape(shape)  # γ/σ, (1, ..., C, ..., 1)
        self.x, self.mean, self.axes = x, mean.reshape(shape), axes
        self.dtypes = [a.dtype for a in (mean, variance, gamma, beta)]
        return x * self.scale + (beta.reshape(shape) - self.mean * self.scale)  # 2 passes over x

    def backward(self, grad):
        x_grad = grad * self.scale if self.needs_grad[0] else None  # dx = γ/σ dy
        if not any(self.needs_grad[1:]):
            return x_grad, None, None, None, None
        g_sum = grad.sum(axis=self.axes)  # Σ dy, (C,)
        gx_sum = (grad * (self.x - self.mean)).sum(axis=self.axes)  # Σ dy (x - mean)
        scale = self.scale.reshape(-1)
        grads = (
            -g_sum * scale,  # d/dmean = -γ/σ Σ dy
            -0.5 * gx_sum * scale * self.inv**2,  # d/dvar = -γ/(2σ³) Σ dy (x - mean)
            gx_sum * self.inv,  # dγ = Σ dy x̂
            g_sum,  # dβ = Σ dy
        )
        return x_grad, *(g.astype(d, copy=False) for g, d in zip(grads, self.dtypes, strict=True))


class BatchNormTrain(Function):
    """Training: normalise with the batch's own statistics, which depend on x."""

    def forward(self, x, gamma, beta, *, centered, variance, epsilon, shape, axes):
        # ``centered`` (x - batch mean) comes from the caller, who needed it for the variance.
        self.inv = (1 / backend.xp.sqrt(variance + epsilon)).reshape(shape)  # 1/σ
        self.x_hat = centered * self.inv  # x̂
        self.gamma, self.axes, self.dtypes = gamma.reshape(shape), axes, (gamma.dtype, beta.dtype)
        return self.x_hat * self.gamma + beta.reshape(shape)

    def backward(self, grad):
        g_sum = grad.sum(axis=self.axes, keepdims=True)  # Σ dy
        gx_sum = (grad * self.x_hat).sum(axis=self.axes, keepdims=True)  # Σ dy x̂
        x_grad = None
        if self.needs_grad[0]:
            # The fused closed form: dx = (1/N) γ/σ (N dy - Σ dy - x̂ Σ dy x̂)
            n = grad.size // g_sum.size
            x_grad = (self.gamma * self.inv / n) * (n * grad - g_sum - self.x_hat * gx_sum)
        gamma_grad = gx_sum.reshape(-1).astype(self.dtypes[0], copy=False)  # dγ = Σ dy x̂
        beta_grad = g_sum.reshape(-1).astype(self.dtypes[1], copy=False)  # dβ = Σ dy
        return x_grad, gamma_grad, beta_grad


def _batch_norm_setup(op, x, axis):
    x = as_tensor(x)
    channel = _channel_axis(op, x, axis)
    shape = tuple(n if i == channel else 1 for i, n in enumerate(x.shape))  # broadcasts (C,)
    axes = tuple(i for i in range(x.ndim) if i != channel)
    return x, x.shape[channel], shape, axes


def batch_norm(x, mean, variance, gamma=None, beta=None, epsilon=1e-3, axis=-1) -> Tensor:
    """Normalise ``x`` with given statistics (inference): ``(x - mean) γ / sqrt(var + ε) + β``.

    Args:
        x: a Tensor or array.
        mean, variance: (C,) for the C channels on ``axis`` (the moving averages).
        gamma, beta: (C,) scale and offset, or ``None`` for 1 and 0.
        epsilon: added to the variance, Keras's default 1e-3.
        axis: the channel axis (``-1`` channels last, ``1`` channels first).

    Returns:
        A Tensor of ``x``'s shape. Every input gets a gradient if it needs one.

    Raises:
        ValueError: for an axis out of range or a parameter not of shape (C,).

    Example:
        >>> import numpy as np
        >>> batch_norm(np.array([[1.0, 2.0]]), np.array([1.0, 0.0]), np.array([4.0, 1.0]),
        ...            epsilon=0.0).numpy()
        array([[0., 2.]])
    """
    x, channels, shape, axes = _batch_norm_setup("batch_norm", x, axis)
    params = [
        _parameter("batch_norm", name, value, channels, x.dtype, default)
        for name, value, default in (
            ("mean", mean, 0),
            ("variance", variance, 1),
            ("gamma", gamma, 1),
            ("beta", beta, 0),
        )
    ]
    return BatchNorm.apply(x, *params, epsilon=epsilon, shape=shape, axes=axes)


def batch_norm_train(x, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Normalise ``x`` with the batch's statistics over every axis but ``axis`` (training).

    The statistics are the batch mean and the biased variance (divided by N, as Keras); the op
    keeps no state and returns them so the layer can update its moving averages.

    Args:
        x: a Tensor or array.
        gamma, beta: (C,) scale and offset, or ``None`` for 1 and 0.
        epsilon: added to the variance, Keras's default 1e-3.
        axis: the channel axis.

    Returns:
        ``(y, batch_mean, batch_variance)``: a Tensor of ``x``'s shape and two (C,) arrays of
        ``backend.xp`` (not recorded in the graph).

    Raises:
        ValueError: for an axis out of range or a parameter not of shape (C,).

    Example:
        >>> import numpy as np
        >>> y, mean, variance = batch_norm_train(np.array([[1.0], [3.0]]), epsilon=0.0)
        >>> y.numpy().ravel().tolist(), mean.tolist(), variance.tolist()
        ([-1.0, 1.0], [2.0], [1.0])
    """
    x, channels, shape, axes = _batch_norm_setup("batch_norm_train", x, axis)
    gamma = _parameter("batch_norm_train", "gamma", gamma, channels, x.dtype, 1)
    beta = _parameter("batch_norm_train", "beta", beta, channels, x.dtype, 0)
    mean = x.data.mean(axis=axes)  # (C,)
    centered = x.data - mean.reshape(shape)
    variance = (centered * centered).mean(axis=axes)  # (C,), biased: divided by N
    y = BatchNormTrain.apply(
        x,
        gamma,
        beta,
        centered=centered,
        variance=variance,
        epsilon=epsilon,
        shape=shape,
        axes=axes,
    )
    return y, mean, variance


# ----- Keras 3's ``keras.ops.nn`` names: the activations and helpers defined elsewhere -----
from .activation import (  # noqa: E402, F401  (re-exported as ops.nn.*, as Keras has them)
    elu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from .creation import one_hot  # noqa: E402, F401
from .numeric import moments, normalize  # noqa: E402, F401


def gelu(x, approximate: bool = True) -> Tensor:
    """Keras's ``ops.nn.gelu``: the tanh approximation by default (``approximate=True``)."""
    from .activation import gelu as exact_or_tanh

    return exact_or_tanh(x, approximate=approximate)
