"""ModelCheckpoint: save the model (or its weights) during training, as Keras 3 does.

One addition to Keras: with ``save_best_only=True`` the best value is kept in a small JSON
file beside the checkpoints, so a run that is restarted does not overwrite a better
checkpoint of an earlier run with a worse one.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

from ..arguments import check_bool, check_int, check_path
from . import monitor as monitoring
from .monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights every epoch (or every ``save_freq`` batches).

    Args:
        filepath: where to save; a template formatted with ``epoch`` (1-based, as Keras),
            ``batch`` (1-based, with an int ``save_freq``) and any key of the logs, e.g.
            ``"model.{epoch:02d}-{val_loss:.2f}.keras"``. As Keras: ``.keras`` or ``.h5``
            for models, ``.weights.h5`` for weights (see :mod:`convlens.saving`).
        monitor: the logs key that ``save_best_only`` compares.
        verbose: 0 is silent, 1 writes a line for each decision.
        save_best_only: save only when ``monitor`` improves on the best value so far (the
            rule of :class:`MonitorCallback`, without a ``min_delta``). Without
            a placeholder in ``filepath``, each better model overwrites the previous one. The
            best value survives restarts: it is kept in ``.<name>-<hash>.best.json`` in the
            checkpoints' folder and read back when training begins (as long as the checkpoint
            it belongs to still exists). Delete that file to start from scratch.
        save_weights_only: save only the weights (``model.save_weights``), not the full model.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (accuracy-like names maximise, others
            minimise).
        save_freq: ``"epoch"``, or an int: save after that many batches.
        initial_value_threshold: the value a model must beat to be saved first (the
            ``baseline`` of :class:`MonitorCallback`).

    Raises:
        ValueError: for a ``save_freq`` that is neither ``"epoch"`` nor a positive int.

    Example:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> folder = tempfile.mkdtemp()
        >>> checkpoint = ModelCheckpoint(os.path.join(folder, "model.{epoch:02d}.keras"))
        >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
        ...               callbacks=[checkpoint])
        >>> sorted(os.listdir(folder))
        ['model.01.keras', 'model.02.keras']
    """

    _missing_message = (
        "Can save best model only with {monitor} available, skipping. "
        "Available metrics are: {available}"
    )

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, baseline=initial_value_threshold)
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"ModelCheckpoint: unrecognized save_freq={save_freq!r}; expected "
                "'epoch' or a positive int (a number of batches)."
            )
        self.filepath = check_path(filepath, "filepath", "ModelCheckpoint")
        self.verbose = check_int(verbose, "verbose", "ModelCheckpoint", minimum=0)
        self.save_best_only = check_bool(save_best_only, "save_best_only", "ModelCheckpoint")
        self.save_weights_only = check_bool(
            save_weights_only, "save_weights_only", "ModelCheckpoint"
        )
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self._current_epoch = 0
        self._batches_since_save = 0
        self._best_path = None  # the file the best value belongs to

    # ----- the best value, kept beside the checkpoints -----
    @property
    def best_value_path(self) -> str:
        """The JSON file that keeps the best value across runs (``save_best_only``)."""
        folder, name = os.path.split(self.filepath)
        while "{" in folder:  # a placeholder in a folder name: keep to the fixed part
            folder = os.path.dirname(folder)
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        stem = "".join(c for c in name.split("{")[0] if c.isalnum() or c in "._-").strip(".")
        return os.path.join(folder, f".{stem or 'checkpoint'}-{digest}.best.json")

    def on_train_begin(self, logs=None):
        self.best = self.initial_value_threshold
        self._best_path = None
        self._batches_since_save = 0
        if not self.save_best_only:
            return
        saved = _read_best(self.best_value_path)
        if (
            saved is not None
            and saved.get("monitor") == self.monitor
            and os.path.exists(saved.get("filepath", ""))
            and self._is_improvement(saved["best"], self.best)
        ):
            self.best, self._best_path = float(saved["best"]), saved["filepath"]

    def _write_best(self) -> None:
        record = {
            "monitor": self.monitor,
            "mode": self.mode,
            "best": self.best,
            "filepath": self._best_path,
            "template": self.filepath,
        }
        _write_json_atomically(self.best_value_path, record)

    # ----- when to save -----
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch, batch, logs) -> None:
        logs = logs or {}
        filepath = self._format(epoch, batch, logs)
        if self.save_best_only:
            current = self._monitored_value(logs)
            if current is None:
                return
            if self.best is None:
                shown = "-inf" if self.maximizing else "inf"
            else:
                shown = f"{self.best:.5f}"
            if not self._is_improvement(current, self.best):
                self._say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {shown}")
                return
            self._say(
                f"Epoch {epoch + 1}: {self.monitor} improved from {shown} to "
                f"{current:.5f}, saving model to {filepath}"
            )
            self.best = current
        else:
            self._say(f"Epoch {epoch + 1}: saving model to {filepath}")
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint: filepath {filepath!r} is an existing "
                "directory; give a file name, e.g. 'model.keras'."
            )
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.save_best_only:
            self._best_path = filepath
            self._write_best()  # after the model: the record never names a missing file

    def _format(self, epoch, batch, logs) -> str:
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            available = ", ".join(values)
            raise KeyError(
                f'ModelCheckpoint: failed to format the filepath "{self.filepath}": '
                f"the logs have no key {error.args[0]}; the keys are {available}."
            ) from None

    def _say(self, text: str) -> None:
        if self.verbose > 0:
            monitoring.write_message(text)


def _read_best(path: str) -> dict | None:
    """The record of the best value, or None when there is none or it cannot be read."""
    try:
        with open(path, encoding="utf-8") as stream:
            record = json.load(stream)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        warnings.warn(
            f"ModelCheckpoint: ignoring the unreadable best-value file {path} ({error}).",
            stacklevel=3,
        )
        return None
    if not isinstance(record, dict) or not isinstance(record.get("best"), (int, float)):
        warnings.warn(
            f"ModelCheckpoint: ignoring the best-value file {path}: it has no numeric 'best'.",
            stacklevel=3,
        )
        return None
    return record


def _write_json_atomically(path: str, record: dict) -> None:
    from ..saving import _write_atomically

    _write_atomically(path, lambda stream: stream.write(json.dumps(record, indent=1).encode()))
