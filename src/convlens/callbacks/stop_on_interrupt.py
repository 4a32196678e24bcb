"""StopOnInterrupt: Ctrl-C ends training cleanly after the current batch; a second one aborts.

A learner who presses Ctrl-C after seven good epochs wants those epochs kept. While ``fit`` runs,
this callback replaces Python's SIGINT handler: the first Ctrl-C only sets a flag, the batch
being computed finishes, and ``model.stop_training`` ends ``fit`` normally, so the caller can
save the model and the curves of the completed epochs. The second Ctrl-C raises
``KeyboardInterrupt`` at once (Python's own behaviour), for a run that must stop now.
The previous handler is restored when training ends. Outside the main thread signals cannot be
caught, so the callback then does nothing.
"""

from __future__ import annotations

import signal
import threading

from .callback import Callback


class StopOnInterrupt(Callback):
    """Stop ``fit`` after the current batch on the first Ctrl-C (SIGINT); abort on the second.

    Attributes:
        interrupted: whether a Ctrl-C arrived during training.
        epochs_completed: the epochs that ended before the interruption (all of them when
            there was none): the partial epoch, if any, is not counted.

    Example:
        >>> callback = StopOnInterrupt()
        >>> callback.interrupted, callback.epochs_completed
        (False, 0)
    """

    def __init__(self):
        super().__init__()
        self.interrupted = False
        self.epochs_completed = 0
        self._previous = None
        self._cut = False  # whether the current epoch was cut short

    def _on_sigint(self, signum, frame) -> None:
        self.interrupted = True
        # The next Ctrl-C is Python's: KeyboardInterrupt wherever the program is.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def on_train_begin(self, logs=None):
        self.interrupted, self.epochs_completed, self._cut = False, 0, False
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)

    def on_train_batch_end(self, batch, logs=None):
        if self.interrupted:
            self.model.stop_training = self._cut = True

    def on_epoch_end(self, epoch, logs=None):
        if not self._cut:  # every batch ran: a Ctrl-C during validation keeps the epoch
            self.epochs_completed += 1
        if self.interrupted:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
