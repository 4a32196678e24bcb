"""TerminateOnNaN: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math

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
