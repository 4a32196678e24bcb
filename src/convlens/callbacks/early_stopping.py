"""EarlyStopping: stop training when a monitored quantity has stopped improving (Keras 3)."""

from __future__ import annotations

from ..arguments import check_bool, check_int, check_number
from . import monitor as monitoring
from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    At each epoch end the monitored value is compared with the best so far; an improvement
    must beat it by more than ``min_delta`` (the rule of :class:`MonitorCallback`). After
    ``patience`` epochs without one, ``model.stop_training`` is set and ``fit`` ends after
    that epoch.

    Args:
        monitor: the key of the epoch logs to watch, e.g. ``"val_loss"``, ``"val_accuracy"``.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        patience: epochs without improvement after which training stops.
        verbose: 0 is silent, 1 writes a line when stopping and when restoring weights.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (accuracy-like names maximise, the rest
            minimise; an unknown mode warns and falls back to ``"auto"``).
        baseline: a value to beat: while no epoch beats it, the wait counter is not reset,
            so training stops after ``patience`` epochs.
        restore_best_weights: at the end of training, set the model's weights to those of
            the best epoch. As Keras 3 (and unlike Keras 2, which restored only when it
            stopped early), this happens also when training ran all its epochs.
        start_from_epoch: epochs of warm-up that are not monitored.

    Attributes:
        stopped_epoch: the 0-based epoch at which training was stopped (0 if it was not).
        best_epoch: the 0-based epoch with the best monitored value.
        best: that best value (None before any epoch was monitored).

    Example:
        >>> import numpy as np
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((4,)), layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> stop = EarlyStopping(monitor="loss", patience=3)
        >>> stop.set_model(model)
        >>> for epoch, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.8, 0.2]):
        ...     stop.on_epoch_end(epoch, {"loss": loss})
        ...     if model.stop_training:
        ...         break
        >>> stop.stopped_epoch, stop.best_epoch
        (4, 1)
    """

    _owner = "Early stopping"  # in the missing-key warning, as Keras words it

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        # The baseline is not the first best value here (as Keras): it gates the wait's reset.
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = check_int(patience, "patience", "EarlyStopping", minimum=0)
        self.verbose = check_int(verbose, "verbose", "EarlyStopping", minimum=0)
        self.baseline = check_number(baseline, "baseline", "EarlyStopping", allow_none=True)
        self.restore_best_weights = check_bool(
            restore_best_weights, "restore_best_weights", "EarlyStopping"
        )
        self.start_from_epoch = check_int(
            start_from_epoch, "start_from_epoch", "EarlyStopping", minimum=0
        )
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # Reset everything, so one instance can serve several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._monitored_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return  # nothing to monitor, or still warming up
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the current weights are the best there are.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Restart the wait only when the baseline is beaten too (always, without one).
            if self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            monitoring.write_message(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                monitoring.write_message(
                    "Restoring model weights from the end of the best "
                    f"epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)
