"""The Callback interface and the list that dispatches the training loop's events.

``fit``, ``evaluate`` and ``predict`` never print or decide anything themselves: they emit
events (``on_train_begin``, ``on_epoch_end(epoch, logs)``, ``on_train_batch_end(batch, logs)``...)
and callbacks act on them, as in Keras.
"""

from __future__ import annotations

_EVENTS = (
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
)


class Callback:
    """Base class: override the events you need; ``self.model`` and ``self.params`` are set."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params


for _event in _EVENTS:
    setattr(Callback, _event, lambda self, *args, **kwargs: None)


class CallbackList(Callback):
    """Several callbacks behind one: each event goes to every callback, in order."""

    def __init__(self, callbacks=None, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be convlens.callbacks.Callback instances, received "
                    f"{type(callback).__name__}."
                )
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_model(self, model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)


def _dispatch(event):
    def call_all(self, *args, **kwargs):
        for callback in self.callbacks:
            getattr(callback, event)(*args, **kwargs)

    call_all.__name__ = event
    return call_all


for _event in _EVENTS:
    setattr(CallbackList, _event, _dispatch(_event))
