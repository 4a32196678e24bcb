"""LambdaCallback: a callback made of plain functions, one per event (Keras 3)."""

from __future__ import annotations

from .callback import HOOKS, Callback

# Events that carry an index (the epoch or the batch) before the logs.
_INDEXED = ("epoch_begin", "epoch_end", "batch_begin", "batch_end")


class LambdaCallback(Callback):
    """Build a callback from functions, called with Keras's arguments.

    ``on_epoch_begin``/``on_epoch_end`` and the batch events receive ``(index, logs)``;
    ``on_train_begin``/``on_train_end`` (and the test/predict begin/end events) receive
    ``(logs)``. Any event of :class:`Callback` may be given by keyword
    (``on_test_batch_end=...``).

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``.
        on_train_batch_begin, on_train_batch_end: ``f(batch, logs)``.
        **kwargs: other events, e.g. ``on_test_end=f(logs)``.

    Raises:
        TypeError: for a keyword that is not an event, or a value that is not callable.

    Example:
        >>> seen = []
        >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> callback.on_epoch_end(0, {"loss": 1.0}); callback.on_train_begin()
        >>> seen
        [0]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        functions = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
            **kwargs,
        )
        for event, function in functions.items():
            if event not in HOOKS:
                raise TypeError(
                    f"LambdaCallback: unknown event {event!r}; the events are {', '.join(HOOKS)}."
                )
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback: {event} must be callable, received {type(function).__name__}."
                )
            setattr(self, event, _adapter(event, function))


def _adapter(event: str, function):
    """``function`` called with exactly Keras's arguments for ``event``."""
    if event.endswith(_INDEXED):

        def indexed(index, logs=None):
            return function(index, logs)

        return indexed

    def plain(logs=None):
        return function(logs)

    return plain
