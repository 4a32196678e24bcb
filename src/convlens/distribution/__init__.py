"""Data-parallel training on MPI, with Keras's ``keras.distribution`` names.

``mpirun -n 4 python train.py`` (or ``srun``) starts four processes; under such a launcher
``fit`` trains one model on all of them with nothing else changed: each process takes its
shard of every batch and the gradients are averaged over the processes at every step (see
:mod:`.data_parallel`). Or choose explicitly::

    from convlens import distribution
    distribution.set_distribution(distribution.DataParallel())   # or None: one process

A single process imports no MPI: this package reads the launcher's environment variables
(:mod:`.launch`) and imports mpi4py only when several processes were started.
"""

from __future__ import annotations

from .data_parallel import DataParallel
from .launch import import_mpi, launched_rank, launched_world_size, mpirun_path

_UNSET = object()
_current = _UNSET  # what set_distribution chose; _UNSET: detect the launcher


def set_distribution(value) -> None:
    """Train with ``value`` (a :class:`DataParallel`), or on one process (None).

    Raises:
        TypeError: for anything else.
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution() takes a convlens.distribution.DataParallel() or None, "
            f"received {type(value).__name__}."
        )
    _current = value


def distribution():
    """The distribution ``fit`` uses now: the one set, the one made for the launcher that
    started this process (mpirun, mpiexec, srun with several processes), or None."""
    global _current
    if _current is _UNSET:
        _current = DataParallel() if launched_world_size() > 1 else None
    return _current


class SingleProcess:
    """What ``fit`` calls when it trains alone: every hook does nothing."""

    rank, size, is_chief = 0, 1, True

    def callbacks(self, callback_list):
        return callback_list

    def begin(self, model, train, initial_epoch):
        return initial_epoch

    def global_logs(self, model, logs):
        return logs

    def any(self, flag):
        return flag

    def end_epoch(self, model):
        pass

    def end(self, model):
        pass


def for_fit(train, batch_size):
    """``(hooks, batches)`` for ``fit``: the DataParallel in use when it spans several
    processes and ``train`` cut to this rank's shards; else a :class:`SingleProcess`, whose
    hooks do nothing, and ``train`` itself."""
    current = distribution()
    if current is None or current.size == 1:
        return SingleProcess(), train
    return current, current.shard(train, batch_size)


__all__ = [
    "DataParallel",
    "SingleProcess",
    "distribution",
    "for_fit",
    "import_mpi",
    "launched_rank",
    "launched_world_size",
    "mpirun_path",
    "set_distribution",
]
