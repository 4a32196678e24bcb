"""The Callback interface and the list that dispatches the training loop's events.

``fit``, ``evaluate`` and ``predict`` never print or decide anything themselves: they emit
events (``on_train_begin``, ``on_epoch_end(epoch, logs)``, ``on_train_batch_end(batch, logs)``...)
and callbacks act on them, as in Keras. Every event is a method of :class:`Callback` below,
whose docstring says when it fires and what its ``logs`` hold; ``logs`` is always a dict,
empty where there is nothing to report.

A method that is not an event is never called, so a misspelled override (``on_epoch_ends``)
would be ignored without a word: a subclass whose public ``on_...`` methods are not all events
draws a warning naming the closest event, when it is created or handed to ``fit``.
"""

from __future__ import annotations

import difflib
import warnings
import weakref

HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
    "on_batch_begin",
    "on_batch_end",
)
"""The events a callback can override, as in Keras 3 (``on_batch_*``: Keras's old names)."""


class Callback:
    """Base class: override the events you need; ``self.model`` and ``self.params`` are set.

    ``fit`` calls ``set_model`` and ``set_params`` before ``on_train_begin``; ``params`` then
    holds ``epochs``, ``steps`` (batches per epoch) and ``verbose``. A callback may stop
    training by setting ``self.model.stop_training = True``, and may add keys to the epoch
    logs it receives: the callbacks after it in the list, and the History, see them.

    Example:
        >>> import numpy as np
        >>> from convlens import layers, models
        >>> class Losses(Callback):
        ...     def on_train_begin(self, logs):
        ...         self.losses = []
        ...     def on_epoch_end(self, epoch, logs):
        ...         self.losses.append(round(logs["loss"], 4))
        >>> model = models.Sequential([layers.Input((1,)), layers.Dense(1, use_bias=False,
        ...                            kernel_initializer="zeros")])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> losses = Losses()
        >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
        ...               callbacks=[losses])
        >>> losses.losses
        [1.0, 0.9604]
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}
        check_hook_names(self)

    def set_model(self, model) -> None:
        """Give the callback the model it watches (``fit``/``evaluate``/``predict`` do)."""
        self.model = model

    def set_params(self, params: dict) -> None:
        """Give the callback the loop's parameters: ``epochs``, ``steps``, ``verbose``."""
        self.params = params

    # ----- fit -----
    def on_train_begin(self, logs=None):
        """Called once when ``fit`` starts, before the first epoch.

        Args:
            logs: an empty dict.
        """

    def on_train_end(self, logs=None):
        """Called once when ``fit`` ends: after the last epoch, or when training was stopped.

        Args:
            logs: the last ``on_epoch_end``'s logs (an empty dict when no epoch ran).
        """

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch of ``fit``.

        Args:
            epoch: the 0-based index of the epoch.
            logs: an empty dict.
        """

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch of ``fit``, after its validation pass.

        Args:
            epoch: the 0-based index of the epoch.
            logs: the epoch's loss and metrics (means over its batches), e.g.
                ``{"loss": 0.2, "accuracy": 0.9}``, and after a validation pass the
                validation's, prefixed ``val_``. Callbacks may add keys
                (``ReduceLROnPlateau`` adds ``"learning_rate"``).
        """

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step of ``fit``; calls :meth:`on_batch_begin`.

        Args:
            batch: the 0-based index of the batch within the epoch.
            logs: an empty dict.
        """
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training step of ``fit``; calls :meth:`on_batch_end`.

        Args:
            batch: the 0-based index of the batch within the epoch.
            logs: the loss and metrics averaged over the epoch's batches so far.
        """
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Keras's old name for :meth:`on_train_batch_begin`, which calls it."""

    def on_batch_end(self, batch, logs=None):
        """Keras's old name for :meth:`on_train_batch_end`, which calls it."""

    # ----- evaluate, and fit's validation passes -----
    def on_test_begin(self, logs=None):
        """Called when ``evaluate`` starts, and when each validation pass of ``fit`` starts.

        Args:
            logs: an empty dict.
        """

    def on_test_end(self, logs=None):
        """Called when ``evaluate``, or a validation pass of ``fit``, ends.

        Args:
            logs: the loss and metrics over all the evaluated batches, without a ``val_``
                prefix (``fit`` adds it for its epoch logs).
        """

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate`` or of a validation pass.

        Args:
            batch: the 0-based index of the batch.
            logs: an empty dict.
        """

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate`` or of a validation pass.

        Args:
            batch: the 0-based index of the batch.
            logs: the loss and metrics averaged over the batches evaluated so far.
        """

    # ----- predict -----
    def on_predict_begin(self, logs=None):
        """Called when ``predict`` starts.

        Args:
            logs: an empty dict.
        """

    def on_predict_end(self, logs=None):
        """Called when ``predict`` ends.

        Args:
            logs: an empty dict.
        """

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``.

        Args:
            batch: the 0-based index of the batch.
            logs: an empty dict.
        """

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict``.

        Args:
            batch: the 0-based index of the batch.
            logs: ``{"outputs": array}``, the model's outputs for the batch (NumPy).
        """


_checked_classes: weakref.WeakSet = weakref.WeakSet()


def check_hook_names(callback: Callback) -> None:
    """Warn about public ``on_...`` methods of ``callback``'s class that are not events.

    Such a method is most likely a misspelled event and would never be called. Each class is
    checked once. A helper that is meant to be one can start with an underscore.

    Warns:
        UserWarning: naming the class, the method and the closest event.
    """
    cls = type(callback)
    if cls in _checked_classes:
        return
    _checked_classes.add(cls)
    for name in sorted(dir(cls)):
        if name.startswith("on_") and name not in HOOKS and callable(getattr(cls, name)):
            [closest] = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.0)
            warnings.warn(
                f"{cls.__name__}.{name} is not a callback event, so it will never be called; "
                f"did you mean {closest}? The events are those of convlens.callbacks.Callback.",
                UserWarning,
                stacklevel=3,
            )


class CallbackList(Callback):
    """Several callbacks behind one: each event goes to every callback, in order.

    Every callback receives the same ``logs`` dict (an empty one when none is given), so what
    one adds (``"learning_rate"``) reaches those after it.

    Raises:
        TypeError: for an item that is not a :class:`Callback`.
    """

    def __init__(self, callbacks=None, model=None, **params):
        super().__init__()
        self.callbacks: list[Callback] = []
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            raise TypeError(
                "callbacks must be a list of convlens.callbacks.Callback instances, received "
                f"{callbacks!r}."
            )
        for callback in callbacks or []:
            self.append(callback)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add a callback at the end of the list (checking its events' names)."""
        if not isinstance(callback, Callback):
            raise TypeError(
                f"callbacks must be convlens.callbacks.Callback instances, received "
                f"{type(callback).__name__}."
            )
        check_hook_names(callback)  # also for subclasses whose __init__ skips Callback's
        self.callbacks.append(callback)

    def set_model(self, model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def _call(self, hook: str, *args, logs=None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        self._call("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch, logs=None):
        self._call("on_batch_end", batch, logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs=logs)
