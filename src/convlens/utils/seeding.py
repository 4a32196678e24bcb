"""``set_random_seed``: one call makes every random draw of a run repeat, as Keras's."""

from __future__ import annotations

import random as python_random

import numpy

from .. import rng


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and convlens's global stream.

    Afterwards everything drawn without an explicit seed repeats from run to run: weights of
    layers created later (initializers), ``Dropout`` and ``convlens.random`` draws with
    ``seed=None``, new ``SeedGenerator()`` streams, and ``fit``'s shuffling.

    Args:
        seed: a non-negative int.

    Raises:
        ValueError: for a seed that is not a non-negative int (Keras's error type).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a non-negative int, received {seed!r}.")
    seed = int(seed)
    python_random.seed(seed)
    numpy.random.seed(seed % 2**32)
    rng.set_global_seed(seed)
