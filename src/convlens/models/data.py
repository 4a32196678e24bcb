"""Turn what users pass to ``fit`` into batches: arrays, a PyDataset, or an iterable of
``(x, y)`` batches.

Mini-batch SGD as the lecture states it: shuffle the M training samples each epoch (with an
explicit seed), cut them into batches of X, so an epoch is ceil(M / X) steps.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator

import numpy

from ..backend import to_numpy
from ..rng import rng_for
from ..utils.prefetch import ordered_map


def structure_map(function, value):
    """``function`` applied to each array of ``value``: one array, a list/tuple, or a dict
    (several inputs or outputs, by position or by name)."""
    if isinstance(value, dict):
        return {key: structure_map(function, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and value and not _is_number_list(value):
        return [structure_map(function, item) for item in value]
    return function(value)


def leaves(value) -> list:
    """The arrays of ``value`` (see :func:`structure_map`), in order."""
    found = []
    structure_map(found.append, value)
    return found


def _is_number_list(value) -> bool:
    """A nested list of numbers (one array written as a list), not a list of arrays."""
    first = value[0]
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return isinstance(first, (int, float, numpy.number)) and not any(
        hasattr(item, "__array__") for item in value
    )


def number_list_as_array(x):
    """``x``, or one array when ``x`` is one array written as a (nested) list of numbers."""
    if isinstance(x, (list, tuple)) and x and _is_number_list(x):
        return numpy.asarray(x)
    return x


def as_sample_arrays(x, y=None, sample_weight=None):
    """NumPy arrays (or lists/dicts of them for several inputs or outputs) with one sample
    count, checked."""
    x = structure_map(to_numpy, x)
    count = len(leaves(x)[0])
    for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if value is None:
            continue
        sizes = [len(array) for array in leaves(value) if array is not None]
        if any(size != count for size in sizes):
            raise ValueError(
                f"x has {count} samples but {name} has {sizes if len(sizes) > 1 else sizes[0]}; "
                "every array must have the same number of samples (first axis)."
            )
    y = None if y is None else structure_map(lambda a: None if a is None else to_numpy(a), y)
    if sample_weight is not None:
        sample_weight = structure_map(
            lambda a: to_numpy(a).astype("float32", copy=False), sample_weight
        )
    return x, y, sample_weight


def take(x, index):
    return structure_map(lambda a: None if a is None else a[index], x)


def sample_count(x) -> int:
    return len(leaves(x)[0])


class ArrayBatches:
    """Batches of in-memory arrays, reshuffled each epoch by a seeded generator."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=True, seed=None):
        self.x, self.y, self.sample_weight = as_sample_arrays(x, y, sample_weight)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, received {batch_size!r}.")
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.count = sample_count(self.x)
        # Without a seed, the run's base seed comes from the global stream: reproducible after
        # utils.set_random_seed, fresh entropy otherwise.
        self.base_seed = seed
        if seed is None and shuffle:
            self.base_seed = int(rng_for(None).integers(2**63))

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)  # steps per epoch = ceil(M / X)

    def epoch(self, index: int = 0) -> Iterator[tuple]:
        """The batches of epoch ``index``: its order depends only on (seed, index), so a run
        resumed at epoch k shuffles exactly as an uninterrupted one."""
        order = None
        if self.shuffle:
            order = numpy.random.default_rng((self.base_seed, index)).permutation(self.count)
        for start in range(0, self.count, self.batch_size):
            index = slice(start, start + self.batch_size)
            if order is not None:
                index = numpy.sort(order[index])  # sorted: contiguous-ish reads, same batches
            yield (
                take(self.x, index),
                None if self.y is None else take(self.y, index),
                None if self.sample_weight is None else take(self.sample_weight, index),
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


class PyDatasetBatches:
    """The batches of a :class:`convlens.utils.PyDataset`: batch ``i`` is ``dataset[i]``.

    The dataset owns the order (nothing is shuffled here); its ``on_epoch_end()`` runs after
    each epoch, as in Keras, so it may reshuffle itself. A batch is ``(x, y)``,
    ``(x, y, sample_weight)`` or, for ``predict``, ``x`` alone. With ``steps_per_epoch`` the
    batches continue where the last epoch stopped, wrapping around.
    """

    def __init__(self, dataset, steps_per_epoch=None):
        self.dataset, self.steps, self.next_index = dataset, steps_per_epoch, 0
        if self.steps is None and _dataset_length(dataset) is None:
            raise ValueError(
                f"{type(dataset).__name__}: a PyDataset without a length (its __len__ or "
                "num_batches returned None) needs steps_per_epoch."
            )

    def __len__(self) -> int:
        return self.steps if self.steps is not None else _dataset_length(self.dataset)

    def epoch(self, index: int = 0) -> Iterator[tuple]:
        length = _dataset_length(self.dataset)
        getattr(self.dataset, "on_epoch_begin", lambda: None)()
        start, steps = self.next_index, len(self)
        positions = (start + k if length is None else (start + k) % length for k in range(steps))
        # With workers > 1 (Keras's PyDataset argument) the next batches are read on threads
        # while this one trains, in the same order (utils/prefetch.py).
        workers = getattr(self.dataset, "workers", 1) or 1
        queue = getattr(self.dataset, "max_queue_size", 10) or 10
        for batch in ordered_map(self.dataset.__getitem__, positions, workers, queue):
            self.next_index += 1
            yield unpack(batch) if isinstance(batch, (tuple, list)) else (batch, None, None)
        self.next_index = self.next_index if self.steps is not None else 0
        getattr(self.dataset, "on_epoch_end", lambda: None)()


def _dataset_length(dataset):
    """``num_batches`` (Keras 3's property, which defaults to ``len``), or None."""
    try:
        return dataset.num_batches
    except (AttributeError, NotImplementedError, TypeError):
        try:
            return len(dataset)
        except TypeError:
            return None


def is_py_dataset(x) -> bool:
    """Whether ``x`` is a PyDataset (ours, or any object marked as one)."""
    return bool(getattr(x, "_is_py_dataset", False))


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
    """The right batcher for ``x``: arrays (and lists of arrays), a PyDataset, or an iterable
    of batches."""
    if is_py_dataset(x):
        if y is not None:
            raise ValueError(
                f"y must not be given when x is a PyDataset ({type(x).__name__}); its "
                "__getitem__ returns the (x, y) batches."
            )
        return PyDatasetBatches(x, steps)
    if _is_array_like(x):
        return ArrayBatches(x, y, sample_weight, batch_size or 32, shuffle, seed)
    if y is not None:
        raise ValueError("y must not be given when x is a dataset of (x, y) batches.")
    return IterableBatches(x, steps)


def _is_array_like(x) -> bool:
    """Arrays, nested lists of numbers and lists of input arrays; not a list of batch tuples."""
    if hasattr(x, "__array__"):
        return True
    if isinstance(x, dict):  # inputs by name
        return all(hasattr(v, "__array__") or isinstance(v, list) for v in x.values())
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
        None if y is None else take(y, slice(0, cut)),
        None if sample_weight is None else take(sample_weight, slice(0, cut)),
    )
    valid = (
        take(x, slice(cut, None)),
        None if y is None else take(y, slice(cut, None)),
        None if sample_weight is None else take(sample_weight, slice(cut, None)),
    )
    return train, valid


def validation_batches(validation_data, batch_size, steps):
    """Batches of ``fit``'s ``validation_data``: a tuple of arrays or a dataset."""
    if isinstance(validation_data, tuple) and 2 <= len(validation_data) <= 3:
        vx, vy, vw = (validation_data + (None,))[:3]
        return batches(vx, vy, vw, batch_size or 32, False, None, steps)
    if isinstance(validation_data, (numbers.Number, str, bytes, dict)) or not hasattr(
        validation_data, "__iter__"
    ):
        raise TypeError(
            "fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"sample_weight), or a dataset, received {validation_data!r}."
        )
    return batches(validation_data, None, None, batch_size, False, None, steps)
