"""DataParallel: one model trained by N MPI processes, each on its shard of every batch.

What a step costs and why the result is the single process's:

* every rank starts from rank 0's weights and optimizer state (broadcast once, in ``fit``);
* each rank computes the loss and its gradient on its shard; the optimizer copies the
  gradients into its flat buffer (one per dtype, optimizers/flat.py) and, before clipping
  and the update, calls :meth:`DataParallel.reduce_gradients`: the buffer is scaled by the
  shard's share of the batch and summed over the ranks, in place, in one ``Allreduce``.
  The result is the gradient of the mean loss over the whole batch, so every rank applies
  the same update and the weights stay identical;
* the metrics' states (totals and counts) are summed over the ranks for the logs, so the
  numbers printed, logged and monitored are those of the whole batch and epoch, the same on
  every rank (EarlyStopping stops every rank together).

BatchNormalization normalises each shard by its own statistics (per rank, as Keras and
PyTorch do without a synchronised BN); the moving mean and variance are averaged over the
ranks at each epoch end. Their update is linear in the batch statistics, so this equals
averaging after every step.

Dropout and the other noise layers draw independent masks on each rank (see
:meth:`DataParallel.begin_epoch`). Only buffer-based MPI calls are used (no pickled Python
objects cross ranks).
"""

from __future__ import annotations

import os
import sys
import time
import zlib

import numpy

from .. import backend
from .launch import import_mpi
from .sharding import ShardedBatches, check_split

# Callbacks that print or write files run on rank 0 only (by class name: this module imports
# no callback). A user callback opts in with ``chief_only = True``. The NaN guards print and
# set stop_training: on rank 0 alone they still stop every rank (fit agrees on the flag).
WRITERS = {
    "ProgressBar", "ModelCheckpoint", "TensorBoard", "CSVLogger", "BackupAndRestore",
    "TerminateOnNaN", "StopOnNonFiniteLoss",
}  # fmt: skip


class DataParallel:
    """Data parallelism over the processes of an MPI communicator (Keras's
    ``keras.distribution.DataParallel``, on MPI).

    Args:
        comm: an mpi4py communicator; ``MPI.COMM_WORLD`` by default.

    Raises:
        ImportError: when mpi4py is missing (saying ``pip install "convlens[mpi]"``).

    Example:
        >>> from convlens import distribution
        >>> distribution.set_distribution(distribution.DataParallel())  # doctest: +SKIP
    """

    def __init__(self, comm=None):
        self.MPI = import_mpi()
        self.comm = self.MPI.COMM_WORLD if comm is None else comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.step_fraction = 1.0 / self.size
        self.allreduce_seconds, self.allreduce_calls = 0.0, 0  # the gradients' reductions
        self.model = self._model = None  # the model being fitted
        _abort_on_uncaught_exception(self.comm)
        self._blas_limits = _share_cores(self.comm, self.MPI)

    @property
    def is_chief(self) -> bool:
        """Whether this is rank 0, the one that prints and writes."""
        return self.rank == 0

    def __repr__(self) -> str:
        return f"DataParallel(rank={self.rank}, size={self.size})"

    # ----- fit's hooks -----
    def shard(self, train, batch_size):
        """``train`` (fit's batcher) cut to this rank's shards, its split checked first."""
        check_split(batch_size, getattr(train, "count", None), self.size)
        return ShardedBatches(train, self)

    def callbacks(self, callback_list):
        """Drop the writers (progress, checkpoints, logs, backups) on ranks other than 0
        (a user's callback joins them with ``chief_only = True``)."""
        if not self.is_chief:
            callback_list.callbacks = [
                c
                for c in callback_list.callbacks
                if type(c).__name__ not in WRITERS and not getattr(c, "chief_only", False)
            ]
        return callback_list

    def begin(self, model, train, initial_epoch: int) -> int:
        """At the start of ``fit``, after ``on_train_begin``: check that every rank holds the
        same data, share rank 0's shuffling seed and first epoch (a restored backup's), and
        broadcast rank 0's weights and optimizer state (now, or at the first batch for a
        model that is built by it). Returns the first epoch."""
        self._check_same_data(train)
        inner = train.batches
        if getattr(inner, "base_seed", None) is not None:
            inner.base_seed = int(self._broadcast_ints([inner.base_seed])[0])
        initial_epoch = int(self._broadcast_ints([initial_epoch])[0])
        self.model = self._model = model  # _model: until the first step has broadcast it
        if getattr(model, "built", True):
            self.ready(None)
        return initial_epoch

    def begin_epoch(self, index: int) -> None:
        """Independent noise per rank: rank 0 draws one seed per layer with a random generator
        (Dropout's) from that generator and broadcasts them; rank r > 0 draws its shard's masks
        this epoch from a generator seeded by (seed, r). A run resumed from rank 0's backup
        (which holds rank 0's generators) draws the same seeds as one never interrupted."""
        noisy = [
            layer
            for layer in self.model._flat_layers()
            if hasattr(getattr(layer, "_rng", None), "bit_generator")
        ]
        if not noisy:
            return
        seeds = [int(layer._rng.integers(2**62)) if self.is_chief else 0 for layer in noisy]
        seeds = self._broadcast_ints(seeds)
        if not self.is_chief:
            for layer, seed in zip(noisy, seeds, strict=True):
                layer._rng = numpy.random.default_rng([int(seed), self.rank])

    def ready(self, x) -> None:
        """Before the first step: build the model on ``x`` if needed, then broadcast."""
        model, self._model = self._model, None
        if model is None:
            return
        if not getattr(model, "built", True):
            from ..models.structures import as_tensors
            from ..tensor import no_grad

            with no_grad():
                model(as_tensors(x), training=False)
        self.broadcast_model(model)
        model.optimizer._gradient_reducer = self.reduce_gradients

    def global_logs(self, model, logs) -> dict:
        """The logs of the metrics summed over the ranks (each rank's own stay untouched);
        ``logs``, this rank's, are replaced."""
        variables = [v for metric in model.metrics for v in metric.variables]
        if not variables:
            return logs
        local = [v.data for v in variables]
        total = numpy.concatenate(
            [backend.to_numpy(a).astype(numpy.float64).ravel() for a in local]
        )
        self.comm.Allreduce(self.MPI.IN_PLACE, total, op=self.MPI.SUM)
        start = 0
        for variable, array in zip(variables, local, strict=True):
            part = total[start : start + array.size].reshape(array.shape)
            variable.data, start = backend.xp.asarray(part, dtype=array.dtype), start + array.size
        try:
            return model._logs()
        finally:
            for variable, array in zip(variables, local, strict=True):
                variable.data = array

    def any(self, flag) -> bool:
        """Whether ``flag`` is set on any rank (``stop_training``: every rank stops together)."""
        value = numpy.array([1 if flag else 0], dtype=numpy.int32)
        self.comm.Allreduce(self.MPI.IN_PLACE, value, op=self.MPI.MAX)
        return bool(value[0])

    def end_epoch(self, model) -> None:
        """Average the non-trainable float weights (BatchNormalization's moving statistics)."""
        arrays = [w.data for w in model.non_trainable_weights if w.data.dtype.kind == "f"]
        for dtype in {a.dtype for a in arrays}:
            group = [a for a in arrays if a.dtype == dtype]
            flat = numpy.concatenate([backend.to_numpy(a).ravel() for a in group])
            self.comm.Allreduce(self.MPI.IN_PLACE, flat, op=self.MPI.SUM)
            flat /= self.size
            _scatter(flat, group)

    def end(self, model) -> None:
        """At the end of ``fit``: the optimizer reduces no more (``train_on_batch`` is local)."""
        if model.optimizer is not None:
            model.optimizer._gradient_reducer = None

    # ----- the collective operations -----
    def reduce_gradients(self, buffers: list) -> None:
        """Sum ``buffers`` (the optimizer's flat gradients) over the ranks, in place, each
        weighted by this rank's share of the global batch: one Allreduce per buffer."""
        started = time.perf_counter()
        for buffer in buffers:
            buffer *= buffer.dtype.type(self.step_fraction)
            host = buffer if isinstance(buffer, numpy.ndarray) else backend.to_numpy(buffer)
            self.comm.Allreduce(self.MPI.IN_PLACE, host, op=self.MPI.SUM)
            if host is not buffer:
                buffer[...] = backend.xp.asarray(host)
        self.allreduce_seconds += time.perf_counter() - started
        self.allreduce_calls += 1

    def broadcast_model(self, model) -> None:
        """Rank 0's weights (trainable or not) and optimizer state, on every rank."""
        for weight in model.weights:
            weight.data[...] = self._broadcast_array(weight.data)
        optimizer = model.optimizer
        built = self._broadcast_ints([int(bool(optimizer is not None and optimizer.built))])[0]
        if not built:
            return
        if not optimizer.built:
            optimizer.build(model.trainable_weights)
        state = optimizer.get_state()
        optimizer.set_state({key: self._broadcast_array(state[key]) for key in sorted(state)})

    def _broadcast_array(self, array):
        host = numpy.array(backend.to_numpy(array), order="C")  # a copy; 0-d stays 0-d
        self.comm.Bcast(host, root=0)
        return host if isinstance(array, numpy.ndarray) else backend.xp.asarray(host)

    def _broadcast_ints(self, values) -> numpy.ndarray:
        array = numpy.array(values, dtype=numpy.int64)
        self.comm.Bcast(array, root=0)
        return array

    def _check_same_data(self, train) -> None:
        """Refuse data that differs between ranks: its steps per epoch, sample count and a
        checksum of the first and last samples, compared over every rank."""
        mine = numpy.array(_fingerprint(train), dtype=numpy.int64)
        every = numpy.empty((self.size, mine.size), dtype=numpy.int64)
        self.comm.Allgather(mine, every)
        differing = [r for r in range(self.size) if not numpy.array_equal(every[r], every[0])]
        if differing:
            raise ValueError(
                f"fit() under MPI: ranks {differing} received other training data than rank 0 "
                "(steps per epoch, samples, checksum of the first and last sample: "
                f"{every.tolist()}); every rank must pass the same x and y, each takes its "
                "shard of every batch itself."
            )


def _fingerprint(train) -> list[int]:
    inner = train.batches
    steps = len(train) if len(train) is not None else -1
    x = getattr(inner, "x", None)
    if x is None:
        return [steps, -1, 0]
    from ..models.data import leaves, take

    count = inner.count
    ends = [take(x, slice(0, 1)), take(x, slice(count - 1, count))]
    checksum = 0
    for end in ends:
        for array in leaves(end):
            checksum = zlib.crc32(numpy.ascontiguousarray(array).tobytes(), checksum)
    return [steps, count, checksum]


def _scatter(flat, arrays) -> None:
    start = 0
    for array in arrays:
        part = flat[start : start + array.size].reshape(array.shape)
        array[...] = part if isinstance(array, numpy.ndarray) else backend.xp.asarray(part)
        start += array.size


def _abort_on_uncaught_exception(comm) -> None:
    """An uncaught exception on one rank ends the whole job (MPI_Abort), instead of leaving
    the other ranks waiting in a collective forever (as ``python -m mpi4py`` does)."""
    previous = sys.excepthook
    if getattr(previous, "_convlens_aborts", False):
        return

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        comm.Abort(1)

    hook._convlens_aborts = True
    sys.excepthook = hook


def _share_cores(comm, MPI):  # noqa: N803 - mpi4py's module name
    """Split this machine's cores between the ranks running on it (MPI's shared-memory split):
    each takes ``cores // ranks`` threads for its kernels and its BLAS. Without this, two ranks
    on two cores each ran BLAS on both: four threads spinning on two cores, and each rank 3 to
    5 times slower than alone (benchmarks/mpi_scaling.py). A ``CONVLENS_NUM_THREADS`` the user
    set is kept. Returns the BLAS limit (held for the process's life), or None."""
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    ranks_here = local.Get_size()
    local.Free()
    if ranks_here < 2 or os.environ.get("CONVLENS_NUM_THREADS", "").strip():
        return None
    threads = max(1, (os.cpu_count() or 1) // ranks_here)
    os.environ["CONVLENS_NUM_THREADS"] = str(threads)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")
