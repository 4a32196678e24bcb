"""The callbacks' contract: the events, their order and logs, misspelled overrides, and the one
rule for "has the monitored value improved?" (MonitorCallback).

The oracles are written out by hand: Keras 3's event order for a small fit, evaluate and
predict, and the improvement rule's answers for values chosen exactly representable in binary.
"""

import math
import warnings

import numpy as np
import pytest

import convlens.callbacks as callbacks
from convlens import initializers, layers, models
from convlens.callbacks.callback import HOOKS, CallbackList
from convlens.callbacks.monitor_callback import MonitorCallback

ALIASES = ("on_batch_begin", "on_batch_end")


def make_model():
    model = models.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(
                2, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=0)
            ),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_data(count=32):
    x = np.random.default_rng(0).normal(size=(count, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def recorder(events):
    """A LambdaCallback appending ``(event, index, logs)`` for every event but the aliases."""

    def record(name):
        if name.endswith(("begin", "end")) and ("epoch" in name or "batch" in name):
            return lambda index, logs: events.append((name[3:], index, logs))
        return lambda logs: events.append((name[3:], None, logs))

    return callbacks.LambdaCallback(**{name: record(name) for name in HOOKS if name not in ALIASES})


# ----- the events -----
def test_every_event_is_a_documented_method_and_dispatched_explicitly():
    for name in HOOKS:
        assert name in vars(callbacks.Callback) and vars(callbacks.Callback)[name].__doc__
        assert name in vars(CallbackList), name
    extra = [n for n in dir(callbacks.Callback) if n.startswith("on_") and n not in HOOKS]
    assert extra == []


def test_fit_evaluate_predict_send_keras_events_with_dict_logs():
    events = []
    x, y = make_data()  # 24 training samples (3 batches of 8), 8 for validation (1 batch)
    model = make_model()
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        validation_split=0.25,
        validation_freq=2,  # validation after epoch 1 only
        callbacks=[recorder(events)],
    )
    train_batches = [(e, i) for i in range(3) for e in ("train_batch_begin", "train_batch_end")]
    validation = [
        ("test_begin", None),
        ("test_batch_begin", 0),
        ("test_batch_end", 0),
        ("test_end", None),
    ]
    expected = (
        [("train_begin", None), ("epoch_begin", 0)]
        + train_batches
        + [("epoch_end", 0), ("epoch_begin", 1)]
        + train_batches
        + validation
        + [("epoch_end", 1), ("train_end", None)]
    )
    assert [(name, index) for name, index, _ in events] == expected
    assert all(isinstance(logs, dict) for _, _, logs in events)
    for name, _, logs in events:
        if name.endswith("begin"):
            assert logs == {}, name
    # The validation pass's logs are the epoch's val_ entries, without the prefix.
    [test_end] = [logs for name, _, logs in events if name == "test_end"]
    assert {f"val_{k}": v for k, v in test_end.items()} == {
        k: history.history[k][-1] for k in ("val_loss", "val_accuracy")
    }

    events.clear()
    model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[recorder(events)])
    model.predict(x, batch_size=32, verbose=0, callbacks=[recorder(events)])
    assert [(name, index) for name, index, _ in events] == [
        ("test_begin", None),
        ("test_batch_begin", 0),
        ("test_batch_end", 0),
        ("test_batch_begin", 1),
        ("test_batch_end", 1),
        ("test_end", None),
        ("predict_begin", None),
        ("predict_batch_begin", 0),
        ("predict_batch_end", 0),
        ("predict_end", None),
    ]
    assert all(isinstance(logs, dict) for _, _, logs in events)
    [outputs] = [logs["outputs"] for name, _, logs in events if name == "predict_batch_end"]
    assert outputs.shape == (32, 2)


def test_keras_batch_aliases_follow_the_training_batches():
    class OldNames(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_batch_begin(self, batch, logs=None):
            self.seen.append(("begin", batch, dict(logs)))

        def on_batch_end(self, batch, logs=None):
            self.seen.append(("end", batch, sorted(logs)))

    old = OldNames()
    lambda_ends = []
    alias = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: lambda_ends.append(batch))
    x, y = make_data(16)
    make_model().fit(
        x, y, batch_size=8, epochs=1, verbose=0, validation_split=0.5, callbacks=[old, alias]
    )
    # One training batch (8 samples); the validation batch is a test batch, not an alias.
    assert old.seen == [("begin", 0, {}), ("end", 0, ["accuracy", "loss"])]
    assert lambda_ends == [0]


def test_callback_list_gives_every_callback_one_dict():
    received = []
    first = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(extra=1.0))
    second = callbacks.LambdaCallback(
        on_train_begin=lambda logs: received.append(logs),
        on_epoch_end=lambda epoch, logs: received.append(logs),
    )
    dispatcher = CallbackList([first, second])
    dispatcher.on_train_begin()
    dispatcher.on_epoch_end(0, {"loss": 0.5})
    assert received == [{}, {"loss": 0.5, "extra": 1.0}]
    with pytest.raises(TypeError, match="Callback instances, received builtin_function"):
        CallbackList([print])
    with pytest.raises(TypeError, match="Callback instances, received dict"):
        dispatcher.append({})


# ----- misspelled overrides -----
def test_a_misspelled_event_warns_naming_the_closest_one():
    class Typo(callbacks.Callback):
        def on_epoch_ends(self, epoch, logs=None):
            pass

    with pytest.warns(
        UserWarning, match=r"Typo\.on_epoch_ends is not a callback event.*did you mean on_epoch_end"
    ):
        Typo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Typo()  # each class is checked once


def test_a_misspelled_event_warns_when_given_to_fit_without_super_init():
    class NoSuper(callbacks.Callback):
        def __init__(self):  # skips Callback.__init__, so fit's list checks it
            self.model, self.params = None, {}

        def on_trian_begin(self, logs=None):
            pass

    x, y = make_data(8)
    with pytest.warns(UserWarning, match=r"NoSuper\.on_trian_begin .*did you mean on_train_begin"):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[NoSuper()])


def test_events_and_private_helpers_do_not_warn():
    class Fine(callbacks.EarlyStopping):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)

        def on_batch_end(self, batch, logs=None):
            pass

        def _on_improvement(self):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Fine()
        CallbackList([Fine(), callbacks.History(), callbacks.TerminateOnNaN()])


# ----- MonitorCallback: the improvement rule -----
class Metric:
    def __init__(self, name, direction):
        self.name, self._direction = name, direction


class Model:
    def __init__(self, metrics=()):
        self.metrics = list(metrics)


def watcher(monitor="val_loss", mode="auto", min_delta=0.0, baseline=None, metrics=()):
    watch = MonitorCallback(monitor=monitor, mode=mode, min_delta=min_delta, baseline=baseline)
    watch.set_model(Model(metrics))
    return watch


@pytest.mark.parametrize(
    "mode, min_delta, current, reference, improves",
    [
        ("min", 0.0, 0.5, 1.0, True),
        ("min", 0.0, 1.0, 1.0, False),  # equal is not better
        ("min", 0.0, 1.5, 1.0, False),
        ("max", 0.0, 1.5, 1.0, True),
        ("max", 0.0, 1.0, 1.0, False),
        ("max", 0.0, 0.5, 1.0, False),
        # min_delta: the change must exceed it, in either direction; its sign is ignored.
        ("min", 0.25, 0.75, 1.0, False),
        ("min", 0.25, 0.5, 1.0, True),
        ("min", -0.25, 0.75, 1.0, False),
        ("max", 0.25, 1.25, 1.0, False),
        ("max", 0.25, 1.5, 1.0, True),
        ("max", -0.25, 1.25, 1.0, False),
        # Nothing seen yet: any number improves, NaN never does.
        ("min", 0.25, 1e9, None, True),
        ("max", 0.25, -1e9, None, True),
        ("min", 0.0, math.nan, None, False),
        ("max", 0.0, math.nan, 1.0, False),
        ("min", 0.0, 0.5, math.inf, True),
    ],
)
def test_improvement_rule(mode, min_delta, current, reference, improves):
    watch = watcher(mode=mode, min_delta=min_delta)
    assert watch.min_delta == abs(min_delta)
    assert watch._is_improvement(current, reference) is improves


@pytest.mark.parametrize(
    "monitor, metrics, maximizing",
    [
        ("val_loss", (), False),
        ("loss", (), False),
        ("val_accuracy", (), True),
        ("sparse_categorical_accuracy", (), True),
        ("val_auc", (), True),
        ("precision", (), True),
        ("val_mean_squared_error", (), False),
        ("mae", (), False),
        # A metric object's direction decides over its name (as Keras 3).
        ("val_score", (Metric("score", "up"),), True),
        ("val_accuracy", (Metric("accuracy", "down"),), False),
    ],
)
def test_auto_mode_infers_the_direction(monitor, metrics, maximizing):
    watch = watcher(monitor=monitor, metrics=metrics)
    assert watch.maximizing is maximizing
    assert watch._is_improvement(2.0, 1.0) is maximizing
    assert watcher(monitor=monitor, mode="min", metrics=metrics).maximizing is False
    assert watcher(monitor=monitor, mode="max", metrics=metrics).maximizing is True


def test_baseline_is_the_value_to_beat_first():
    watch = watcher(mode="min", baseline=0.5)
    records = []
    for value in [0.6, 0.55, 0.4, 0.45, 0.3]:
        if watch._is_improvement(value, watch.best):
            watch.best = value
            records.append(value)
    assert records == [0.4, 0.3] and watch.best == 0.3


def test_a_missing_monitored_key_warns_listing_the_keys_and_is_skipped():
    watch = watcher(monitor="val_acc")
    with pytest.warns(
        UserWarning,
        match="MonitorCallback is conditioned on metric `val_acc` which is not available. "
        "Available metrics are: loss,val_loss",
    ):
        assert watch._monitored_value({"loss": 1.0, "val_loss": 2.0}) is None
    assert watch._monitored_value({"val_acc": np.float32(0.5)}) == 0.5
    # The subclasses word it as Keras does, and carry on without acting.
    reduce = callbacks.ReduceLROnPlateau(monitor="val_acc", patience=0)
    reduce.set_model(make_model())
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric"):
        for epoch in range(3):
            reduce.on_epoch_end(epoch, {"val_loss": 1.0})
    assert reduce.model.optimizer.learning_rate == pytest.approx(0.01) and reduce.wait == 0


@pytest.mark.parametrize(
    "cls, arguments",
    [
        (callbacks.EarlyStopping, {}),
        (callbacks.ReduceLROnPlateau, {}),
        (callbacks.ModelCheckpoint, {"filepath": "m.keras"}),
    ],
)
def test_the_monitoring_callbacks_share_the_one_rule(cls, arguments):
    assert issubclass(cls, MonitorCallback)
    assert "_is_improvement" not in vars(cls) and "maximizing" not in vars(cls)
    with pytest.warns(UserWarning, match=f"{cls.__name__}: mode 'maximum' is unknown"):
        callback = cls(mode="maximum", **arguments)
    assert callback.mode == "auto"
