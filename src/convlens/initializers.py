"""Weight initializers with Keras 3's names, arguments, defaults and constants.

An initializer is called as ``init(shape, dtype="float32")`` and returns an array of
``convlens.backend.xp``. Randomness is explicit (STYLE.md, convention 10):

- ``seed=<int>``: every call gives the same values (a seeded Keras 3 initializer object is
  reproducible); two layers sharing one such object get equal weights, so give each its own seed;
- ``seed=<numpy.random.Generator>``: each call draws the next values of that stream;
- ``seed=None``: fresh entropy on every call.

Numbers are drawn on the host in float64 with NumPy, then cast and moved to the backend.

Example:
    >>> from convlens import initializers
    >>> init = initializers.get("glorot_uniform")
    >>> init((3, 3, 1, 6)).shape, init((3, 3, 1, 6)).dtype
    ((3, 3, 1, 6), dtype('float32'))
"""

from __future__ import annotations

import math

import numpy

from . import backend, registry
from .arguments import check_number
from .rng import rng_for

TRUNCATED_NORMAL_STDDEV = 0.87962566103423978
"""The std of a unit normal truncated to [-2, 2]; Keras divides by it so the kept std is right."""


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as Keras's ``compute_fans``.

    Dense kernels ``(in, out)``; conv kernels ``(..., C_in, C_out)`` multiply both by the
    receptive field (``KH * KW`` in 2D); a vector counts its length for both.

    Example:
        >>> compute_fans((5, 5, 3, 16))
        (75, 400)
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class: subclasses write ``__call__(shape, dtype)`` and ``get_config``."""

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({options})"


def _shape(shape) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
    if any(not isinstance(d, (int, numpy.integer)) or d < 0 for d in shape):
        raise ValueError(f"An initializer needs a shape of non-negative ints, received {shape}.")
    return tuple(int(d) for d in shape)


def _float_dtype(dtype) -> numpy.dtype:
    dtype = numpy.dtype(dtype or "float32")
    if dtype.kind != "f":
        raise ValueError(f"Random initializers need a floating dtype, received {dtype.name}.")
    return dtype


def _check_seed(seed):
    if seed is None or isinstance(seed, numpy.random.Generator):
        return seed
    if isinstance(seed, (int, numpy.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise TypeError(f"seed must be an int, a numpy.random.Generator or None, received {seed!r}.")


class RandomInitializer(Initializer):
    """A base for initializers that draw numbers: holds the seed and makes the generator."""

    def __init__(self, seed=None):
        self.seed = _check_seed(seed)

    def _rng(self) -> numpy.random.Generator:
        if isinstance(self.seed, numpy.random.Generator):
            return self.seed  # a stream: each call continues it
        return rng_for(self.seed)  # an int repeats; None: the global stream (set_random_seed)

    def _finish(self, values: numpy.ndarray, dtype):
        return backend.xp.asarray(values.astype(_float_dtype(dtype), copy=False))

    def get_config(self) -> dict:
        # A Generator is a live stream, not data: it is saved as None (fresh entropy on load).
        return {"seed": self.seed if isinstance(self.seed, int) else None}


def _truncated_normal(rng, shape, mean, stddev):
    """Normal samples redrawn until all lie within 2 stddev of the mean (TF's truncated_normal)."""
    values = rng.standard_normal(shape)
    outside = numpy.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = numpy.abs(values) > 2
    return mean + stddev * values


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype="float32"):
        return backend.xp.zeros(_shape(shape), dtype=numpy.dtype(dtype or "float32"))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype="float32"):
        return backend.xp.ones(_shape(shape), dtype=numpy.dtype(dtype or "float32"))


class Constant(Initializer):
    """Every value ``value`` (a number, or an array that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        try:
            finite = numpy.isfinite(numpy.asarray(value, numpy.float64)).all()
        except (TypeError, ValueError):
            finite = False
        if isinstance(value, bool) or not finite:
            raise ValueError(
                f"Constant: value must be a finite number or an array of them, received {value!r}."
            )
        self.value = value

    def __call__(self, shape, dtype="float32"):
        values = numpy.broadcast_to(numpy.asarray(self.value), _shape(shape))
        return backend.xp.asarray(values.astype(numpy.dtype(dtype or "float32")))

    def get_config(self) -> dict:
        value = numpy.asarray(self.value)
        return {"value": value.item() if value.ndim == 0 else value.tolist()}


class RandomNormal(RandomInitializer):
    """Normal samples with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        owner = type(self).__name__
        self.mean = check_number(mean, "mean", owner)
        self.stddev = check_number(stddev, "stddev", owner, minimum=0)

    def __call__(self, shape, dtype="float32"):
        values = self._rng().normal(self.mean, self.stddev, _shape(shape))
        return self._finish(values, dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """Normal samples, those beyond 2 ``stddev`` from the mean redrawn (so the kept std is
    about ``0.88 * stddev``)."""

    def __call__(self, shape, dtype="float32"):
        values = _truncated_normal(self._rng(), _shape(shape), self.mean, self.stddev)
        return self._finish(values, dtype)


class RandomUniform(RandomInitializer):
    """Uniform samples in ``[minval, maxval)``.

    Raises:
        ValueError: when ``minval > maxval``.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        minval = check_number(minval, "minval", "RandomUniform")
        maxval = check_number(maxval, "maxval", "RandomUniform")
        if minval > maxval:
            raise ValueError(f"RandomUniform: minval ({minval}) must not exceed maxval ({maxval}).")
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype="float32"):
        values = self._rng().uniform(self.minval, self.maxval, _shape(shape))
        return self._finish(values, dtype)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Samples whose variance is ``scale / n``, n the fan chosen by ``mode``.

    ``distribution="truncated_normal"`` draws with std ``sqrt(scale / n) / 0.8796...`` (the
    correction for the truncation at 2 std), ``"untruncated_normal"`` with ``sqrt(scale / n)``,
    ``"uniform"`` within ``±sqrt(3 scale / n)``. ``"normal"`` means truncated, as in Keras.

    Args:
        scale: a positive float.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: an int, a Generator, or None.

    Raises:
        ValueError: for a non-positive scale, or an unknown mode or distribution.
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        scale = check_number(scale, "scale", "VarianceScaling", minimum=0, strict=True)
        mode, distribution = str(mode).lower(), str(distribution).lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if mode not in self.MODES:
            raise ValueError(
                f"VarianceScaling: mode must be one of {', '.join(self.MODES)}, received {mode!r}."
            )
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: distribution must be one of "
                f"{', '.join(self.DISTRIBUTIONS)}, received {distribution!r}."
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype="float32"):
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
            values = _truncated_normal(rng, shape, 0.0, stddev)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)  # a uniform on [-a, a] has variance a²/3
            values = rng.uniform(-limit, limit, shape)
        return self._finish(values, dtype)

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed constants; only the seed is configurable."""

    def get_config(self) -> dict:
        return RandomInitializer.get_config(self)


class GlorotUniform(_Preset):
    """Glorot & Bengio (2010): uniform in ``±sqrt(6 / (fan_in + fan_out))``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(_Preset):
    """Glorot & Bengio (2010): truncated normal with std ``sqrt(2 / (fan_in + fan_out))``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeUniform(_Preset):
    """He et al. (2015), for ReLU: uniform in ``±sqrt(6 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(_Preset):
    """He et al. (2015), for ReLU: truncated normal with std ``sqrt(2 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class LecunUniform(_Preset):
    """LeCun et al. (1998): uniform in ``±sqrt(3 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class LecunNormal(_Preset):
    """LeCun et al. (1998), for SELU: truncated normal with std ``sqrt(1 / fan_in)``."""

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix times ``gain`` (Saxe et al. 2014).

    A kernel of shape ``(..., C_out)`` is generated as the matrix ``(prod(...), C_out)``, as
    Keras does: its columns are orthonormal when it is tall, its rows when it is wide.

    Raises:
        ValueError: for a shape of fewer than two dimensions.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = check_number(gain, "gain", "Orthogonal")

    def __call__(self, shape, dtype="float32"):
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the shape must have at least two dimensions, received "
                f"{shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = numpy.linalg.qr(a)  # (max, min), orthonormal columns
        q = q * numpy.sign(numpy.diag(r))  # makes the distribution uniform (Mezzadri 2007)
        if rows < cols:
            q = q.T  # (rows, cols), orthonormal rows
        return self._finish(self.gain * q.reshape(shape), dtype)

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular allowed); 2D shapes only.

    Raises:
        ValueError: for a shape that is not 2D.
    """

    def __init__(self, gain=1.0):
        self.gain = check_number(gain, "gain", "Identity")

    def __call__(self, shape, dtype="float32"):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: the shape must be 2D, received {shape} of rank {len(shape)}."
            )
        return backend.xp.asarray(self.gain * numpy.eye(*shape), dtype=_float_dtype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


_RANDOM = (RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, Orthogonal)
_PRESETS = (GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal)
_CLASSES = {cls.__name__: cls for cls in (Zeros, Ones, Constant, Identity, *_RANDOM, *_PRESETS)}
_BY_NAME = {registry.snake_case(name): cls for name, cls in _CLASSES.items()}  # "he_normal"...
_BY_NAME.update(zero=Zeros, one=Ones, normal=RandomNormal, uniform=RandomUniform)  # Keras aliases
_CLASSES.update(OrthogonalInitializer=Orthogonal, IdentityInitializer=Identity)  # Keras 3 names


def get(identifier):
    """An initializer from a name (``"he_normal"``), a config dict, an object, or a callable.

    None gives None (the layer chooses its default).

    Raises:
        ValueError: for an unknown name, listing the accepted ones.

    Example:
        >>> get("he_normal")
        HeNormal(seed=None)
    """
    return registry.get("initializer", identifier, _BY_NAME, _CLASSES, Initializer)


def serialize(initializer) -> dict:
    """``{"class_name": ..., "config": ...}`` for an initializer (JSON-able)."""
    return registry.serialize(initializer)


def deserialize(config) -> Initializer:
    """The initializer described by :func:`serialize`'s dict."""
    return registry.deserialize("initializer", config, _CLASSES, _BY_NAME)
