"""Callbacks that act on logs and the optimizer: progress bar, EarlyStopping, LambdaCallback,
TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau, CSVLogger.

Each is checked by its effect: on small real fits (a Dense model, 32 samples, < 1 s), or on a
scripted sequence of monitored values driven through a stand-in model.
"""

import csv
import io

import numpy as np
import pytest

import convlens.callbacks as callbacks
from convlens import initializers, layers, models, optimizers
from convlens.callbacks import progress


def make_data(count=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype("int64")
    return x, y


def make_model(seed=0, optimizer="adam", dropout=False):
    stack = [
        layers.Input((4,)),
        layers.Dense(
            8, activation="relu", kernel_initializer=initializers.GlorotUniform(seed=seed)
        ),
    ]
    if dropout:
        stack.append(layers.Dropout(0.25, seed=seed))
    stack.append(
        layers.Dense(
            2, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=seed + 1)
        )
    )
    model = models.Sequential(stack)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, callback_list, epochs=3, **kwargs):
    x, y = make_data()
    kwargs.setdefault("validation_split", 0.25)
    return model.fit(
        x, y, batch_size=8, epochs=epochs, verbose=0, seed=0, callbacks=callback_list, **kwargs
    )


def scripted(key, values):
    """A LambdaCallback that overwrites ``logs[key]`` with ``values[epoch]`` (placed first, the
    callbacks after it see the scripted value)."""

    def on_epoch_end(epoch, logs):
        logs[key] = values[epoch]

    return callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


class StandIn:
    """The parts of a model the monitoring callbacks use; its "weights" are the epoch number."""

    def __init__(self, learning_rate=1.0):
        self.stop_training = False
        self.weights = [np.array(-1)]
        self.metrics = []
        self.optimizer = optimizers.SGD(learning_rate=learning_rate)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, values):
        self.weights = [np.array(v) for v in values]


def drive(callback, values, monitor="val_loss"):
    """Run ``callback`` over epochs whose ``logs[monitor]`` are ``values``; returns the stand-in
    model, the last epoch run and every epoch's logs."""
    model = StandIn()
    callback.set_model(model)
    callback.on_train_begin()
    all_logs = []
    for epoch, value in enumerate(values):
        model.weights = [np.array(epoch)]
        all_logs.append({monitor: value})
        callback.on_epoch_end(epoch, all_logs[-1])
        if model.stop_training:
            break
    callback.on_train_end()
    return model, epoch, all_logs


# ----- progress bar -----
def test_resolve_verbose_auto_is_bar_on_terminal_line_otherwise(monkeypatch):
    monkeypatch.setattr("sys.stdout", type("Tty", (io.StringIO,), {"isatty": lambda s: True})())
    assert progress.resolve_verbose("auto") == 1
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert progress.resolve_verbose("auto") == 2
    assert [progress.resolve_verbose(v) for v in (0, 1, 2)] == [0, 1, 2]
    with pytest.raises(ValueError, match='verbose must be 0, 1, 2 or "auto", received 3'):
        progress.resolve_verbose(3)


def test_verbose_2_writes_one_line_per_epoch_and_0_nothing(capsys):
    x, y = make_data()
    make_model().fit(x, y, batch_size=8, epochs=2, verbose=2, seed=0, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {epoch}/2 - 3/3 - ")
        assert "loss: " in line and "val_accuracy: " in line and "\r" not in line
    make_model().fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_1_draws_a_bar_per_epoch_with_the_logs():
    stream = io.StringIO()
    bar = callbacks.ProgressBar(verbose=1, stream=stream)
    bar.set_params({"epochs": 2, "steps": 4})
    for epoch in range(2):
        bar.on_epoch_begin(epoch)
        for step in range(4):
            bar.on_train_batch_end(step, {"loss": 1.0 / (step + 1)})
        bar.on_epoch_end(epoch, {"loss": 0.25, "val_loss": 0.5})
    text = stream.getvalue()
    assert "Epoch 1/2\n" in text and "Epoch 2/2\n" in text
    assert "4/4" in text and "loss: 0.2500 - val_loss: 0.5000" in text


# ----- EarlyStopping -----
@pytest.mark.parametrize(
    "arguments, values, stopped, best",
    [
        ({"patience": 2}, [1.0, 0.9, 0.95, 0.97, 0.5], 3, 1),
        ({"patience": 2, "min_delta": 0.1}, [1.0, 0.95, 0.92, 0.85], 2, 0),
        ({"patience": 1, "monitor": "val_accuracy"}, [0.5, 0.6, 0.55, 0.58], 2, 1),
        ({"patience": 1, "monitor": "val_loss", "mode": "max"}, [0.5, 0.6, 0.55, 0.58], 2, 1),
        # Improving but never beating the baseline: the wait is not reset.
        ({"patience": 3, "baseline": 0.5}, [0.9, 0.8, 0.85, 0.86, 0.1], 2, 1),
        ({"patience": 3}, [0.9, 0.8, 0.85, 0.86, 0.1], 0, 4),
        ({"patience": 0, "start_from_epoch": 2}, [1.0, 2.0, 3.0, 3.5, 2.0], 3, 2),
        ({"patience": 0}, [1.0, 2.0, 3.0, 3.5, 2.0], 1, 0),
    ],
)
def test_early_stopping_stops_at_the_keras_epoch(arguments, values, stopped, best):
    monitor = arguments.get("monitor", "val_loss")
    stop = callbacks.EarlyStopping(restore_best_weights=True, **arguments)
    model, last, _ = drive(stop, values, monitor)
    assert stop.stopped_epoch == stopped
    assert last == (stopped if stopped else len(values) - 1)
    assert stop.best_epoch == best
    # The best epoch's weights are restored, also when training ran all its epochs.
    assert model.weights[0] == best


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, last, _ = drive(callbacks.EarlyStopping(patience=1), [1.0, 2.0, 3.0])
    assert last == 1 and model.weights[0] == 1


def test_early_stopping_warns_listing_the_available_keys():
    stop = callbacks.EarlyStopping(monitor="val_acc")
    with pytest.warns(
        UserWarning, match="`val_acc` which is not available. Available metrics are: val_loss"
    ):
        model, last, _ = drive(stop, [1.0, 2.0])
    assert not model.stop_training and last == 1


def test_early_stopping_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown"):
        stop = callbacks.EarlyStopping(mode="maximum")
    assert stop.mode == "auto"


def test_early_stopping_in_a_real_fit_restores_the_best_epoch():
    model = make_model()
    captured = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: captured.append(model.get_weights())
    )
    stop = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = fit(
        model, [scripted("val_loss", [0.9, 0.4, 0.6, 0.5, 0.3, 0.1]), record, stop], epochs=6
    )
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3 and stop.best_epoch == 1
    assert history.history["val_loss"] == [0.9, 0.4, 0.6, 0.5]
    for restored, best in zip(model.get_weights(), captured[1], strict=True):
        np.testing.assert_array_equal(restored, best)
    assert not all(np.array_equal(a, b) for a, b in zip(captured[1], captured[3], strict=True))


# ----- LambdaCallback and TerminateOnNaN -----
def test_lambda_callback_gets_keras_arguments_in_order():
    events = []
    callback = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append(("train_end", sorted(logs))),
    )
    fit(make_model(), [callback], epochs=1, validation_split=0.0)
    keys = ["accuracy", "loss"]
    assert events == [
        ("train_begin", {}),
        ("epoch_begin", 0),
        ("batch_end", 0),
        ("batch_end", 1),
        ("batch_end", 2),
        ("batch_end", 3),
        ("epoch_end", 0, keys),
        ("train_end", keys),
    ]


def test_lambda_callback_rejects_unknown_events():
    with pytest.raises(TypeError, match="unknown event 'on_epoch_finish'"):
        callbacks.LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="on_epoch_end must be callable"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_terminate_on_nan_stops_after_the_first_bad_batch(capsys):
    x, y = make_data()
    x[20, 0] = np.nan  # sample 20: the third batch of 8
    batches = []
    seen = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))
    # Batches of a dataset: fit refuses NaN in in-memory arrays before training (fit's checks),
    # a dataset's batches are only seen as they come.
    dataset = [(x[i : i + 8], y[i : i + 8]) for i in range(0, len(x), 8)]
    history = make_model().fit(
        dataset, epochs=3, verbose=0, callbacks=[callbacks.TerminateOnNaN(), seen]
    )
    assert batches == [0, 1, 2] and history.epoch == [0]
    assert np.isnan(history.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


# ----- learning rates -----
def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    model = make_model(optimizer=optimizers.SGD(learning_rate=0.1))
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch)
    history = fit(model, [scheduler], epochs=3)
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]
    assert model.optimizer.learning_rate == 0.025
    one_argument = callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    assert fit(model, [one_argument], epochs=2).history["learning_rate"] == [0.01, 0.02]


def test_learning_rate_scheduler_rejects_a_non_number():
    model = make_model()
    with pytest.raises(ValueError, match="the schedule must return a float, received '0.1'"):
        fit(model, [callbacks.LearningRateScheduler(lambda epoch, lr: "0.1")])


@pytest.mark.parametrize(
    "arguments, rates",
    [
        ({"patience": 2}, [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]),
        # Two epochs of cooldown after a reduction, then two of patience: the next comes later.
        ({"patience": 2, "cooldown": 2}, [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]),
        ({"patience": 2, "min_lr": 0.4}, [1.0, 1.0, 1.0, 0.5, 0.5, 0.4, 0.4]),
        ({"patience": 1, "min_delta": 0.5}, [1.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125]),
    ],
)
def test_reduce_lr_on_plateau_follows_keras(arguments, rates):
    values = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    reduce = callbacks.ReduceLROnPlateau(factor=0.5, **arguments)
    model, _, logs = drive(reduce, values)
    # Each epoch's logs hold the rate it used; the optimizer has the next epoch's.
    assert [entry["learning_rate"] for entry in logs] + [model.optimizer.learning_rate] == rates


def test_reduce_lr_in_a_real_fit_lowers_the_optimizer_rate():
    model = make_model(optimizer=optimizers.Adam(learning_rate=0.01))
    reduce = callbacks.ReduceLROnPlateau(patience=0, min_delta=10.0)  # only epoch 0 improves
    history = fit(model, [reduce], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.01, 0.001])
    assert model.optimizer.learning_rate == pytest.approx(0.0001)
    with pytest.raises(ValueError, match=r"factor must be a finite number in \[0, 1\)"):
        callbacks.ReduceLROnPlateau(factor=1.5)


# ----- CSVLogger -----
def read_csv(path, separator=","):
    with open(path, newline="") as stream:
        return list(csv.reader(stream, delimiter=separator))


def test_csv_logger_rows_equal_history(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(make_model(), [callbacks.CSVLogger(path)], epochs=3)
    header, *rows = read_csv(path)
    assert header == ["epoch"] + sorted(history.history)
    assert [int(row[0]) for row in rows] == history.epoch
    for column, key in enumerate(header[1:], 1):
        assert [float(row[column]) for row in rows] == history.history[key]


def test_csv_logger_appends_without_a_second_header(tmp_path):
    path = tmp_path / "run" / "log.csv"
    model = make_model()
    first = fit(model, [callbacks.CSVLogger(path, separator=";")], epochs=2)
    second = fit(model, [callbacks.CSVLogger(path, separator=";", append=True)], epochs=1)
    header, *rows = read_csv(path, ";")
    assert header == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [float(row[2]) for row in rows] == first.history["loss"] + second.history["loss"]
    fit(model, [callbacks.CSVLogger(path)], epochs=1)  # append=False overwrites
    assert len(read_csv(path)) == 2
