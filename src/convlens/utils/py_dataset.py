"""``PyDataset`` (and its old name ``Sequence``): a dataset of batches, read by index.

Subclass it, give ``__len__`` (the number of batches) and ``__getitem__(index)`` returning
``(x, y)``, ``(x, y, sample_weight)`` or, for ``predict``, ``x``; ``fit``, ``evaluate`` and
``predict`` read batches 0 .. len-1 in order and call ``on_epoch_end()`` after each epoch, where
a dataset may reshuffle itself. With ``workers > 1`` they read the next ``max_queue_size``
batches ahead on that many threads (in order, :mod:`convlens.utils.prefetch`), so
``__getitem__`` must be safe to call from several threads; ``use_multiprocessing`` is accepted
for Keras's signature (no processes are started).

Example:
    >>> import numpy as np
    >>> class Pairs(PyDataset):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y = np.arange(10.0).reshape(5, 2), np.arange(5.0)
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         rows = slice(2 * index, 2 * index + 2)
    ...         return self.x[rows], self.y[rows]
    >>> [len(batch[0]) for batch in Pairs()]
    [2, 2, 1]
"""

from __future__ import annotations


class PyDataset:
    """The base class of index-addressed batch datasets (Keras 3's ``utils.PyDataset``).

    Args:
        workers: threads reading batches ahead in fit/evaluate/predict (1: the calling thread).
        use_multiprocessing: accepted; no processes are started.
        max_queue_size: how many batches may be read ahead with ``workers > 1``.
    """

    _is_py_dataset = True  # how models/data.py recognises a PyDataset

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size=10):
        self._workers, self._use_multiprocessing = workers, use_multiprocessing
        self._max_queue_size = max_queue_size

    # Properties with defaults: a subclass that forgets super().__init__() still works.
    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        """Batch number ``index``: ``(x, y)``, ``(x, y, sample_weight)`` or ``x``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(index) returning a batch."
        )

    @property
    def num_batches(self):
        """The number of batches per epoch: ``len(self)``, or None when there is no length."""
        if type(self).__len__ is PyDataset.__len__:
            return None
        return len(self)

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} must define __len__ (its number of batches).")

    def on_epoch_begin(self) -> None:
        """Called before each epoch; override to prepare one."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (e.g. to reshuffle); override to act."""

    def __iter__(self):
        """The batches of one epoch, in order (each as a tuple)."""
        for index in range(self.num_batches or 0):
            batch = self[index]
            yield batch if isinstance(batch, tuple) else (batch,)


Sequence = PyDataset
"""Keras 2's name, kept as an alias in Keras 3."""
