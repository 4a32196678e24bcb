"""The random streams every draw of convlens takes its generator from.

:func:`rng_for` turns a ``seed=`` argument into a ``numpy.random.Generator``: an int gives a
fresh generator (the same numbers each time), a :class:`SeedGenerator` or a Generator continues
its stream, and ``None`` takes a child of the global stream, which
:func:`convlens.utils.set_random_seed` seeds (fresh entropy until then). Initializers, dropout,
``fit``'s shuffling and :mod:`convlens.random` all ask here, so one seed repeats a whole run.
This module imports nothing of convlens: ops and layers can use it without a circle.
"""

from __future__ import annotations

import numbers

import numpy

_global = {"rng": None}  # the stream unseeded draws come from, once set_global_seed was called


def set_global_seed(seed: int | None) -> None:
    """Seed the global stream that every unseeded draw of convlens takes its generator from.

    :func:`convlens.utils.set_random_seed` calls this; ``None`` returns to fresh OS entropy.
    """
    _global["rng"] = None if seed is None else numpy.random.default_rng(_check_int_seed(seed))


def rng_for(seed=None) -> numpy.random.Generator:
    """The NumPy generator a draw with ``seed`` should use.

    Args:
        seed: an int (a new generator, the same numbers each time), a
            ``numpy.random.Generator`` or :class:`SeedGenerator` (its stream continues), or
            ``None`` (a child of the global stream when :func:`set_global_seed` was called,
            else fresh entropy).

    Raises:
        ValueError: for any other seed (Keras's error type).
    """
    if seed is None:
        stream = _global["rng"]
        if stream is None:
            return numpy.random.default_rng()
        return numpy.random.default_rng(int(stream.integers(2**63)))
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, numpy.random.Generator):
        return seed
    return numpy.random.default_rng(_check_int_seed(seed))


def _check_int_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(
            "seed must be a non-negative int, a SeedGenerator or None, received "
            f"{seed!r} ({type(seed).__name__})."
        )
    return int(seed)


class SeedGenerator:
    """A stream of random numbers: each draw with ``seed=generator`` continues it.

    Args:
        seed: an int for a reproducible stream; ``None`` takes one from the global stream
            (reproducible after ``utils.set_random_seed``).
        name: accepted for Keras's signature.

    Example:
        >>> from convlens import random
        >>> g = random.SeedGenerator(1)
        >>> first, second = random.uniform((2,), seed=g), random.uniform((2,), seed=g)
        >>> bool((first.numpy() != second.numpy()).all())
        True
    """

    def __init__(self, seed=None, name: str | None = None, **kwargs):
        if seed is not None:
            seed = _check_int_seed(seed)
        self.initial_seed, self.name = seed, name
        self.generator = rng_for(seed)

    def next(self, ordered: bool = True) -> int:
        """A fresh int seed drawn from this stream (Keras returns a seed tensor here)."""
        return int(self.generator.integers(2**31))

    def get_config(self) -> dict:
        return {"seed": self.initial_seed}

    @classmethod
    def from_config(cls, config_: dict) -> SeedGenerator:
        return cls(**config_)
