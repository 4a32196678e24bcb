"""TerminateOnNaN: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math
import warnings

from . import monitor as monitoring
from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or ±inf (Keras 3).

    The batch logs hold the running mean of the epoch's loss, which turns NaN or infinite
    with the first bad batch; training stops after that batch, and a line says so.

    Example:
        >>> callback = TerminateOnNaN()
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            monitoring.write_message(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class StopOnNonFiniteLoss(TerminateOnNaN):
    """:class:`TerminateOnNaN`, on by default in ``fit``, with a warning that says why.

    Keras trains on after the loss turns NaN, printing ``loss: nan`` for every later epoch while
    the weights are already lost; convlens stops after the first bad batch instead, so the
    weights of the last good step stay recoverable (a checkpoint, BackupAndRestore). A
    ``TerminateOnNaN`` the user passes replaces this one.
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            warnings.warn(
                f"fit: the loss became {float(loss)} at batch {batch}; training stopped. "
                "Lower the learning rate, clip gradients (clipnorm=) or check the data "
                "for extreme values.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.model.stop_training = True
