"""Regularising noise, active only when called with ``training=True`` (the identity otherwise):
SpatialDropout1D/2D drop whole feature maps, GaussianNoise adds noise, GaussianDropout
multiplies by noise of mean 1, AlphaDropout keeps SELU's mean and variance. Each layer draws
from its own generator, seeded by ``seed`` (no global seeding), so runs reproduce exactly."""

from __future__ import annotations

import math
import numbers

from .. import backend, ops
from ..rng import rng_for
from ..tensor import Tensor
from .layer import InputSpec, Layer
from .reshaping import check_data_format

# SELU's constants (Klambauer et al., 2017): AlphaDropout sets dropped units to SELU's limit.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _fraction(layer, value, name, high_included=False):
    """``value`` as a float in [0, 1) (or [0, 1]); a ValueError naming layer and argument."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not (0 <= value <= 1 if high_included else 0 <= value < 1):
        interval = "[0, 1]" if high_included else "[0, 1)"
        raise ValueError(
            f'{type(layer).__name__} "{layer.name}": {name} must be a number in {interval}, '
            f"received {value!r}."
        )
    return float(value)


class _Noise(Layer):
    """A layer whose ``noise(inputs)`` applies only in training; holds the seeded generator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": seed must be an int or None, '
                f"received {seed!r}."
            )
        self.seed = seed
        self._rng = rng_for(seed)  # None: the global stream (utils.set_random_seed)

    def normal(self, shape, mean, stddev, dtype) -> Tensor:
        """A constant Tensor of normal draws (no gradient flows into the noise)."""
        draws = self._rng.normal(mean, stddev, size=shape)  # on the host, for any backend
        return Tensor(backend.xp.asarray(draws, dtype=dtype))

    def call(self, inputs, training=False):
        return self.noise(inputs) if training and self.active() else inputs

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class _SpatialDropout(_Noise):
    """Dropout of whole channels: the mask has size 1 on the spatial axes (Tompson et al.,
    2015), since neighbouring pixels are correlated and single-pixel dropout barely
    regularises convolutions."""

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _fraction(self, rate, "rate")
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def active(self):
        return self.rate > 0

    def noise(self, inputs):
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        channel = 1 if self.data_format == "channels_first" else -1
        shape[channel] = inputs.shape[channel]
        return ops.dropout(inputs, self.rate, rng=self._rng, noise_shape=tuple(shape))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "data_format": self.data_format}


class SpatialDropout1D(_SpatialDropout):
    """Drop whole channels of sequences ``(N, L, C)`` with probability ``rate`` in training.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> y = layers.SpatialDropout1D(0.5, seed=1)(np.ones((1, 4, 3)), training=True).numpy()
        >>> bool((y == y[:, :1]).all())  # a channel is kept or dropped at every step
        True
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("data_format")
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drop whole feature maps of images with probability ``rate`` in training, scaling the
    kept ones by 1 / (1 - rate).

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an int for a reproducible sequence of masks.
    """


class GaussianNoise(_Noise):
    """Add zero-mean normal noise of ``stddev`` in training (a data augmentation).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.GaussianNoise(0.1)(np.ones((1, 2))).numpy().tolist()  # inference: identity
        [[1.0, 1.0]]
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _fraction(self, stddev, "stddev", high_included=True)  # Keras's range

    def active(self):
        return self.stddev > 0

    def noise(self, inputs):
        return ops.add(inputs, self.normal(inputs.shape, 0.0, self.stddev, inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_Noise):
    """Multiply by normal noise of mean 1 and standard deviation sqrt(rate / (1 - rate)) in
    training (Srivastava et al., 2014, section 10): dropout's variance without zeros."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _fraction(self, rate, "rate")

    def active(self):
        return self.rate > 0

    def noise(self, inputs):
        stddev = math.sqrt(self.rate / (1 - self.rate))
        return ops.multiply(inputs, self.normal(inputs.shape, 1.0, stddev, inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_Noise):
    """Dropout for SELU networks (Klambauer et al., 2017): dropped units take SELU's negative
    limit and an affine map restores the inputs' mean and variance, so self-normalisation holds.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _fraction(self, rate, "rate")
        if noise_shape is not None:
            accepted = "a tuple of sizes (None: the input's)"
            noise_shape = self.int_tuple(noise_shape, "noise_shape", accepted, allow_none=True)
        self.noise_shape = noise_shape

    def active(self):
        return self.rate > 0

    def noise(self, inputs):
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(n if m is None else m for m, n in zip(self.noise_shape, inputs.shape))
        kept = self._rng.random(shape) >= self.rate
        kept = Tensor(backend.xp.asarray(kept, dtype=inputs.dtype))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE  # SELU's value at -infinity
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        dropped = ops.add(ops.multiply(inputs, kept), ops.multiply(1 - kept, alpha_p))
        return ops.add(ops.multiply(dropped, a), b)

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape}
