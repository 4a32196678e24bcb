"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stops improving."""

from __future__ import annotations

from ..arguments import check_int, check_number
from . import monitor as monitoring
from .monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Keras 3's rule: an improvement beats the best value by more than ``min_delta`` (the rule
    of :class:`MonitorCallback`); after a reduction, ``cooldown`` epochs pass before waiting
    starts again; the rate never goes below ``min_lr``. Each epoch's logs get the rate that
    epoch used, ``"learning_rate"``.

    Args:
        monitor: the logs key to watch.
        factor: the multiplier, in [0, 1): ``new_lr = lr * factor``.
        patience: epochs without improvement before a reduction.
        verbose: 0 is silent, 1 writes a line at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (accuracy-like names maximise, others minimise).
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the lower bound of the learning rate.

    Raises:
        ValueError: for ``factor >= 1``.

    Example:
        >>> callback = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5,
        ...                              min_lr=0.001)
    """

    _owner = "Learning rate reduction"  # in the missing-key warning, as Keras words it

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = "ReduceLROnPlateau"
        self.factor = check_number(factor, "factor", owner, 0, 1, open_maximum=True)
        self.patience = check_int(patience, "patience", owner, minimum=0)
        self.verbose = check_int(verbose, "verbose", owner, minimum=0)
        self.cooldown = check_int(cooldown, "cooldown", owner, minimum=0)
        self.min_lr = check_number(min_lr, "min_lr", owner, minimum=0)
        self._reset()

    def _reset(self) -> None:
        self.cooldown_counter = 0
        self.wait = 0
        self.best = None

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = monitoring.learning_rate(self.model)
        current = self._monitored_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch) -> None:
        old = monitoring.learning_rate(self.model)
        if old > self.min_lr:
            new = max(old * self.factor, self.min_lr)
            self.model.optimizer.learning_rate = new
            if self.verbose > 0:
                monitoring.write_message(
                    f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}."
                )
            self.cooldown_counter = self.cooldown
            self.wait = 0
