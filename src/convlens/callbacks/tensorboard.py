"""TensorBoard: write the training curves, weight histograms and filters as TensorBoard events.

The files follow Keras 3's layout, so the same dashboards work: ``log_dir/train`` and
``log_dir/validation`` runs, tags ``epoch_loss``, ``epoch_accuracy``, ``epoch_learning_rate``,
``batch_loss``... Events are written with ``tensorboardX`` (an optional dependency:
``pip install convlens[tensorboard]``); view them with ``tensorboard --logdir logs``.
"""

from __future__ import annotations

import json
import math
import os
import time

import numpy

from .. import backend
from ..arguments import check_path
from . import monitor as monitoring
from .callback import Callback

_INSTALL = "pip install convlens[tensorboard]"


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(
            f"The TensorBoard callback writes its files with tensorboardX, which "
            f"is not installed: {_INSTALL} (or pip install tensorboardX)."
        ) from error
    return SummaryWriter


class TensorBoard(Callback):
    """Log the training for TensorBoard: scalars per epoch (and per batch), histograms, images.

    Args:
        log_dir: the folder of the event files; runs go to ``log_dir/train`` and
            ``log_dir/validation``.
        histogram_freq: every how many epochs to write a histogram of each weight
            (tag ``<layer>/<weight>/histogram``); 0 writes none.
        write_graph: write the model's configuration (JSON) as a text summary named
            ``"keras"``, as Keras does; a NumPy model has no computation graph to show.
        write_images: write the first convolution layer's kernels as one image, a grid of
            filters (tag ``<layer>/kernel/image``), at the epochs that get histograms, or at
            every epoch when ``histogram_freq=0``.
        write_steps_per_second: also log the training speed (``epoch_steps_per_second``, and
            ``batch_steps_per_second`` with per-batch logging).
        update_freq: ``"epoch"``; or ``"batch"`` or an int N, to also write the running batch
            logs (``batch_loss``...) every N batches, at the global batch number.
        profile_batch: must be 0: there is no profiler to run on NumPy (as Keras's NumPy
            backend).
        embeddings_freq: must be 0 (convlens has no Embedding layer).
        embeddings_metadata: must be None.

    Raises:
        ImportError: when tensorboardX is not installed, naming the pip command.
        ValueError: for invalid frequencies, or profiling and embeddings requests.

    Example:
        >>> import tempfile
        >>> board = TensorBoard(log_dir=tempfile.mkdtemp(), histogram_freq=1)
        >>> board.update_freq
        'epoch'
    """

    def __init__(
        self,
        log_dir="logs",
        histogram_freq: int = 0,
        write_graph: bool = False,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq: int = 0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self._writer_class = _summary_writer_class()  # fail now, not after an epoch
        _check_count("histogram_freq", histogram_freq)
        if update_freq not in ("epoch", "batch"):
            _check_count("update_freq", update_freq, positive=True, also='"epoch", "batch" or ')
        if profile_batch not in (0, None):
            raise ValueError(
                f"TensorBoard: profiling is not available with convlens's NumPy "
                f"engine; received profile_batch={profile_batch!r} (must be 0)."
            )
        if embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                "TensorBoard: embeddings are not supported (convlens has no "
                "Embedding layer); leave embeddings_freq=0 and "
                "embeddings_metadata=None."
            )
        self.log_dir = check_path(log_dir, "log_dir", "TensorBoard")
        if os.path.exists(self.log_dir) and not os.path.isdir(self.log_dir):
            raise ValueError(f"TensorBoard: log_dir {self.log_dir!r} is a file, not a folder.")
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._batch_every = 1 if update_freq == "batch" else update_freq
        self._writers: dict = {}
        self._training = False
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_iterations = 0

    # ----- writers, created on first use so no empty run folders appear -----
    def _writer(self, run: str):
        if run not in self._writers:
            self._writers[run] = self._writer_class(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # ----- events -----
    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0
        if self.write_graph:
            config = json.dumps(self.model.get_config(), default=str)
            self._writer("train").add_text("keras", config, global_step=0)

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_iterations = self._global_train_batch

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1  # 1-based global step, as Keras
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self._batch_every:
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._batch_start
            writer.add_scalar("batch_steps_per_second", 1.0 / max(seconds, 1e-9), step)
        for name, value in (logs or {}).items():
            writer.add_scalar(f"batch_{name}", float(value), step)

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        histograms = self.histogram_freq and epoch % self.histogram_freq == 0
        if histograms:
            self._log_histograms(epoch)
        if self.write_images and (histograms or not self.histogram_freq):
            self._log_filters(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        # After evaluate(callbacks=[...]) and after each validation pass of fit, as Keras 3.
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(
                f"evaluation_{name}_vs_iterations", float(value), int(optimizer.iterations)
            )
        if not self._training:
            # evaluate() has no on_train_end; closing is the one way to make tensorboardX
            # write its queue (its flush() does not wait for the queue).
            self._close_writers()

    # ----- what is written -----
    def _log_epoch_metrics(self, epoch, logs: dict) -> None:
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k.removeprefix("val_"): v for k, v in logs.items() if k.startswith("val_")}
        if getattr(self.model, "optimizer", None) is not None and "learning_rate" not in train:
            # The rate this epoch used: read before any callback later in the list changes it
            # (ReduceLROnPlateau and LearningRateScheduler put that same value in the logs).
            train["learning_rate"] = monitoring.learning_rate(self.model)
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._epoch_start
            steps = self._global_train_batch - self._epoch_iterations
            train["steps_per_second"] = steps / max(seconds, 1e-9)
        for run, values in (("train", train), ("validation", validation)):
            for name, value in values.items():
                self._writer(run).add_scalar(f"epoch_{name}", float(value), epoch)

    def _log_histograms(self, epoch) -> None:
        writer = self._writer("train")
        for layer in self.model._flat_layers():
            for weight in layer._weights:  # its own: sublayers come next in _flat_layers
                values = backend.to_numpy(weight.data)
                writer.add_histogram(f"{weight.name.replace(':', '_')}/histogram", values, epoch)

    def _log_filters(self, epoch) -> None:
        for layer in self.model._flat_layers():
            kernel = getattr(layer, "kernel", None)
            if kernel is not None and len(kernel.shape) == 4:
                grid = filter_grid(backend.to_numpy(kernel.data))
                self._writer("train").add_image(
                    f"{kernel.name}/image", grid, epoch, dataformats="HWC"
                )
                return


def filter_grid(kernel: numpy.ndarray, min_size: int = 32) -> numpy.ndarray:
    """A conv kernel ``(KH, KW, C_in, C_out)`` as one image ``(H, W, 1 or 3)`` in [0, 1].

    Each filter is a tile, scaled to its own min..max so that every pattern shows, enlarged
    to at least ``min_size`` pixels and separated by a one-pixel line. RGB filters
    (``C_in == 3``) are colour tiles on a square-ish grid; one input channel gives grey tiles
    on a square-ish grid; otherwise row ``c`` holds every filter's slice on input channel ``c``.

    Example:
        >>> filter_grid(numpy.ones((5, 5, 1, 6)), min_size=5).shape
        (11, 17, 1)
    """
    KH, KW, C, F = kernel.shape
    if C == 3:
        tiles = [kernel[..., f] for f in range(F)]  # each (KH, KW, 3)
        columns = math.ceil(math.sqrt(F))
    else:
        tiles = [kernel[..., c, f, None] for c in range(C) for f in range(F)]  # each (KH, KW, 1)
        columns = math.ceil(math.sqrt(F)) if C == 1 else F
    scale = max(1, math.ceil(min_size / max(KH, KW)))
    rows = math.ceil(len(tiles) / columns)
    TH, TW = KH * scale, KW * scale
    grid = numpy.ones((rows * (TH + 1) - 1, columns * (TW + 1) - 1, tiles[0].shape[-1]))
    for index, tile in enumerate(tiles):
        low, high = tile.min(), tile.max()
        tile = (tile - low) / (high - low) if high > low else numpy.full_like(tile, 0.5)
        tile = tile.repeat(scale, axis=0).repeat(scale, axis=1)  # (TH, TW, channels)
        r, c = divmod(index, columns)
        grid[r * (TH + 1) : r * (TH + 1) + TH, c * (TW + 1) : c * (TW + 1) + TW] = tile
    return grid.astype("float32")


def _check_count(name, value, positive=False, also=""):
    low = 1 if positive else 0
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(
            f"TensorBoard: {name} must be {also}an int >= {low}, received {name}={value!r}."
        )
