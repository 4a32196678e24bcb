"""Random tensors with Keras 3's ``keras.random`` names: ``normal``, ``uniform``, ``randint``,
``truncated_normal``, ``dropout``, ``shuffle``, ``categorical``, ``gamma``, ``beta``,
``binomial`` and ``SeedGenerator``.

Every function takes ``seed=``: an int gives the same numbers on every call (as Keras); a
:class:`SeedGenerator` continues its own stream, so successive calls differ but a run repeats;
``None`` draws from the global stream, which :func:`convlens.utils.set_random_seed` seeds. The
numbers come from NumPy's PCG64, so they follow Keras's distributions but are not the same
numbers as Keras on JAX.

Example:
    >>> from convlens import random
    >>> a = random.normal((2, 3), seed=7)
    >>> b = random.normal((2, 3), seed=7)
    >>> bool((a.numpy() == b.numpy()).all()), a.dtype
    (True, dtype('float32'))
"""

from __future__ import annotations

import numpy

from . import backend, config
from .arguments import check_shape
from .ops.arrange import take
from .ops.nn import dropout as dropout_op
from .rng import SeedGenerator, rng_for, set_global_seed
from .tensor import Tensor, as_tensor

__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "rng_for",
    "set_global_seed",
    "shuffle",
    "truncated_normal",
    "uniform",
]


def _shape(shape) -> tuple[int, ...]:
    return check_shape(shape, "shape", "random")


def _float(values, dtype) -> Tensor:
    dtype = numpy.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"expected a floating dtype, received {dtype.name}.")
    return Tensor(backend.xp.asarray(values.astype(dtype, copy=False)), dtype=dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Samples of a normal distribution with ``mean`` and ``stddev``."""
    values = rng_for(seed).standard_normal(_shape(shape)) * stddev + mean
    return _float(values, dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Samples uniform in ``[minval, maxval)``.

    Raises:
        ValueError: for an integer dtype (use :func:`randint`).
    """
    values = rng_for(seed).uniform(minval, maxval, _shape(shape))
    return _float(values, dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers uniform in ``[minval, maxval)``.

    Raises:
        ValueError: for ``maxval <= minval`` or a floating dtype.
    """
    if maxval <= minval:
        raise ValueError(f"randint: maxval ({maxval}) must exceed minval ({minval}).")
    dtype = numpy.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"randint: dtype must be an integer type, received {dtype.name}.")
    values = rng_for(seed).integers(minval, maxval, _shape(shape)).astype(dtype)
    return Tensor(backend.xp.asarray(values), dtype=dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Normal samples redrawn until within two standard deviations of the mean (as Keras)."""
    rng = rng_for(seed)
    values = rng.standard_normal(_shape(shape))
    outside = numpy.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = numpy.abs(values) > 2
    return _float(values * stddev + mean, dtype)


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """Zero each input with probability ``rate`` and scale the rest by 1 / (1 - rate)."""
    return dropout_op(inputs, rate, rng=rng_for(seed), noise_shape=noise_shape)


def shuffle(x, axis=0, seed=None) -> Tensor:
    """``x`` with its slices along ``axis`` in a random order (differentiable in ``x``)."""
    x = as_tensor(x)
    order = rng_for(seed).permutation(x.shape[axis])
    return take(x, order, axis=axis)


def categorical(logits, num_samples, dtype="int32", seed=None) -> Tensor:
    """Class indices drawn from the softmax of each row of 2-D ``logits`` (batch, classes).

    Returns:
        An int Tensor of shape (batch, num_samples).

    Raises:
        ValueError: for logits that are not 2-D.
    """
    values = backend.to_numpy(logits.data if isinstance(logits, Tensor) else numpy.asarray(logits))
    if values.ndim != 2:
        raise ValueError(
            f"categorical: logits must be 2-D (batch, classes), received shape {values.shape}."
        )
    rng = rng_for(seed)
    # The Gumbel-max trick: argmax(logits + Gumbel noise) is a draw from softmax(logits).
    noise = rng.gumbel(size=(values.shape[0], int(num_samples), values.shape[1]))
    samples = numpy.argmax(values[:, None, :] + noise, axis=-1).astype(dtype)
    return Tensor(backend.xp.asarray(samples), dtype=samples.dtype)


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Samples of a gamma distribution with shape ``alpha`` and scale 1."""
    return _float(rng_for(seed).gamma(alpha, 1.0, _shape(shape)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:  # noqa: A002 - Keras's name
    """Samples of a beta distribution with parameters ``alpha`` and ``beta``."""
    return _float(rng_for(seed).beta(alpha, beta, _shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    """Successes in ``counts`` trials of probability ``probabilities`` (floats, as Keras)."""
    values = rng_for(seed).binomial(numpy.asarray(counts, dtype=int), probabilities, _shape(shape))
    return _float(values.astype(numpy.float64), dtype)
