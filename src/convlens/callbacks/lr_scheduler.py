"""LearningRateScheduler: set the optimizer's learning rate at each epoch from a function."""

from __future__ import annotations

import inspect
import numbers

from ..arguments import check_int
from . import monitor as monitoring
from .callback import Callback


class LearningRateScheduler(Callback):
    """At the start of each epoch, set ``model.optimizer.learning_rate = schedule(epoch, lr)``.

    ``epoch`` is 0-based and ``lr`` the current rate; a schedule of one argument,
    ``schedule(epoch)``, is accepted too (Keras's old API). The rate each epoch used is added
    to its logs as ``"learning_rate"`` (so History and CSVLogger record it), as Keras 3 does.

    Args:
        schedule: a function ``(epoch, lr) -> lr`` returning a number >= 0.
        verbose: 0 is silent, 1 writes a line each time the rate is set.

    Raises:
        ValueError: at an epoch start, when the schedule does not return a number, or the
            optimizer has no ``learning_rate``.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.5
        >>> callback = LearningRateScheduler(schedule)
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> "
                f"lr, received {schedule!r}."
            )
        self.schedule = schedule
        self.verbose = check_int(verbose, "verbose", "LearningRateScheduler", minimum=0)

    def on_epoch_begin(self, epoch, logs=None):
        current = monitoring.learning_rate(self.model)
        if _arity(self.schedule) == 1:
            learning_rate = self.schedule(epoch)
        else:
            learning_rate = self.schedule(epoch, current)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise ValueError(
                "LearningRateScheduler: the schedule must return a float, received "
                f"{learning_rate!r} at epoch {epoch}."
            )
        self.model.optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            monitoring.write_message(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning "
                f"rate to {float(learning_rate)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = monitoring.learning_rate(self.model)


def _arity(function) -> int:
    """How many positional arguments ``function`` takes (2 when it cannot be told)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return 2
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return 1 if len(positional) == 1 else 2
