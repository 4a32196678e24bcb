"""Turn what users pass to ``fit`` into batches: arrays, or an iterable of ``(x, y)`` batches.

Mini-batch SGD as the lecture states it: shuffle the M training samples each epoch (with an
explicit seed), cut them into batches of X, so an epoch is ceil(M / X) steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy

from ..backend import to_numpy


def as_sample_arrays(x, y=None, sample_weight=None):
    """NumPy arrays (or a list of them for several inputs) with one sample count, checked."""
    x = [to_numpy(a) for a in x] if isinstance(x, (list, tuple)) else to_numpy(x)
    first = x[0] if isinstance(x, list) else x
    count = len(first)
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None and len(value) != count:
            raise ValueError(
                f"x has {count} samples but {name} has {len(value)}; they must have the same "
                "number of samples (first axis)."
            )
    if isinstance(x, list) and any(len(a) != count for a in x):
        raise ValueError(
            f"every input array must have {count} samples, received {[len(a) for a in x]}."
        )
    y = None if y is None else to_numpy(y)
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight).astype("float32", copy=False)
    return x, y, sample_weight


def take(x, index):
    return [a[index] for a in x] if isinstance(x, list) else x[index]


def sample_count(x) -> int:
    return len(x[0] if isinstance(x, list) else x)


class ArrayBatches:
    """Batches of in-memory arrays, reshuffled each epoch by a seeded generator."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=True, seed=None):
        self.x, self.y, self.sample_weight = as_sample_arrays(x, y, sample_weight)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, received {batch_size!r}.")
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.count = sample_count(self.x)

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)  # steps per epoch = ceil(M / X)

    def epoch(self, index: int = 0) -> Iterator[tuple]:
        """The batches of epoch ``index``: its order depends only on (seed, index), so a run
        resumed at epoch k shuffles exactly as an uninterrupted one."""
        order = None
        if self.shuffle:
            seed = None if self.seed is None else (self.seed, index)
            order = numpy.random.default_rng(seed).permutation(self.count)
        for start in range(0, self.count, self.batch_size):
            index = slice(start, start + self.batch_size)
            if order is not None:
                index = numpy.sort(order[index])  # sorted: contiguous-ish reads, same batches
            yield (
                take(self.x, index),
                None if self.y is None else self.y[index],
                None if self.sample_weight is None else self.sample_weight[index],
            )


class IterableBatches:
    """Batches from an iterable of ``(x, y)`` or ``(x, y, sample_weight)`` tuples.

    A re-iterable (a list, a dataset object) is iterated afresh each epoch; a one-shot
    iterator (a generator) needs ``steps_per_epoch`` to last more than one epoch.
    """

    def __init__(self, data: Iterable, steps_per_epoch=None):
        self.data, self.steps = data, steps_per_epoch
        self.one_shot = iter(data) is data
        self.iterator = data if self.one_shot else None
        self.exhausted = False

    def __len__(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.data)
        except TypeError:
            return None

    def epoch(self, index: int = 0) -> Iterator[tuple]:
        if self.exhausted:
            raise ValueError(
                "The generator passed as training data ran out in the previous epoch; pass "
                "steps_per_epoch, or a re-iterable dataset (a list or an object with __iter__)."
            )
        iterator = self.iterator if self.one_shot else iter(self.data)
        produced = 0
        while self.steps is None or produced < self.steps:
            try:
                batch = next(iterator)
            except StopIteration:
                self.exhausted = self.one_shot
                return
            produced += 1
            yield unpack(batch)


def unpack(batch) -> tuple:
    """``(x, y, sample_weight)`` from a batch tuple of length 1 to 3."""
    if not isinstance(batch, (tuple, list)) or not 1 <= len(batch) <= 3:
        raise ValueError(
            "Each batch of a dataset must be a tuple (x, y) or (x, y, sample_weight), received "
            f"{type(batch).__name__}."
        )
    x, y, sample_weight = (tuple(batch) + (None, None))[:3]
    return x, y, sample_weight


def batches(x, y=None, sample_weight=None, batch_size=None, shuffle=False, seed=None, steps=None):
    """The right batcher for ``x``: arrays (and lists of arrays) or an iterable of batches."""
    if _is_array_like(x):
        return ArrayBatches(x, y, sample_weight, batch_size or 32, shuffle, seed)
    if y is not None:
        raise ValueError("y must not be given when x is a dataset of (x, y) batches.")
    return IterableBatches(x, steps)


def _is_array_like(x) -> bool:
    """Arrays, nested lists of numbers and lists of input arrays; not a list of batch tuples."""
    if hasattr(x, "__array__"):
        return True
    if isinstance(x, list) and x and isinstance(x[0], tuple):
        return False
    return isinstance(x, (list, tuple))


def split_validation(x, y, sample_weight, validation_split: float):
    """Keras's rule: the LAST ``validation_split`` fraction of the samples, before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), received {validation_split}.")
    x, y, sample_weight = as_sample_arrays(x, y, sample_weight)
    count = sample_count(x)
    cut = int(count * (1 - validation_split))
    if cut == 0 or cut == count:
        raise ValueError(
            f"validation_split={validation_split} of {count} samples leaves an empty training or "
            "validation set."
        )
    train = (
        take(x, slice(0, cut)),
        None if y is None else y[:cut],
        None if sample_weight is None else sample_weight[:cut],
    )
    valid = (
        take(x, slice(cut, None)),
        None if y is None else y[cut:],
        None if sample_weight is None else sample_weight[cut:],
    )
    return train, valid
