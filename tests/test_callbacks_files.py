"""Callbacks that write files: ModelCheckpoint, TensorBoard, BackupAndRestore.

Checked by what they leave on disk: the directory listing a template implies, event files read
back with TensorBoard's own reader, and a training killed mid-way (an exception, or SIGKILL in
a subprocess) that resumes to exactly the weights of an uninterrupted run.
"""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import convlens.callbacks as callbacks
from convlens import initializers, layers, models, saving
from convlens.callbacks.tensorboard import filter_grid

TESTS = os.path.dirname(os.path.abspath(__file__))


def make_data(count=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype("int64")
    return x, y


def make_model(seed=0, dropout=False, hidden=8):
    stack = [
        layers.Input((4,)),
        layers.Dense(
            hidden, activation="relu", kernel_initializer=initializers.GlorotUniform(seed=seed)
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
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(model, callback_list, epochs=3, **kwargs):
    x, y = make_data()
    kwargs.setdefault("validation_split", 0.25)
    return model.fit(
        x, y, batch_size=8, epochs=epochs, verbose=0, seed=0, callbacks=callback_list, **kwargs
    )


def scripted(key, values):
    def on_epoch_end(epoch, logs):
        logs[key] = values[epoch]

    return callbacks.LambdaCallback(on_epoch_end=on_epoch_end)


def visible(folder):
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


def assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a, e)


# ----- ModelCheckpoint -----
def test_checkpoint_template_names_every_epoch(tmp_path):
    template = str(tmp_path / "model.{epoch:02d}-{val_loss:.2f}.keras")
    model = make_model()
    history = fit(model, [callbacks.ModelCheckpoint(template)], epochs=3)
    expected = [
        f"model.{e + 1:02d}-{v:.2f}.keras"
        for e, v in zip(history.epoch, history.history["val_loss"], strict=True)
    ]
    assert visible(tmp_path) == sorted(expected)
    assert os.listdir(tmp_path) == visible(tmp_path)  # no best-value file without best_only
    restored = saving.load_model(tmp_path / expected[-1])
    assert_weights_equal(restored.get_weights(), model.get_weights())


def test_checkpoint_last_file_is_the_final_model(tmp_path):
    model = make_model()
    fit(model, [callbacks.ModelCheckpoint(tmp_path / "last.h5")], epochs=2)
    assert visible(tmp_path) == ["last.h5"]
    assert_weights_equal(saving.load_model(tmp_path / "last.h5").get_weights(), model.get_weights())


def test_checkpoint_save_best_only_saves_improvements(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}.keras"), save_best_only=True)
    fit(make_model(), [scripted("val_loss", [1.0, 0.5, 0.7, 0.4, 0.6]), checkpoint], epochs=5)
    assert visible(tmp_path) == ["m-1.keras", "m-2.keras", "m-4.keras"]
    assert checkpoint.best == 0.4
    assert os.path.basename(checkpoint.best_value_path).endswith(".best.json")
    assert os.path.exists(checkpoint.best_value_path)


def test_checkpoint_max_mode_and_weights_only(tmp_path):
    model = make_model()
    captured = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: captured.append(model.get_weights())
    )
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "best.weights.h5",
        monitor="val_accuracy",
        save_best_only=True,
        save_weights_only=True,
    )
    fit(model, [scripted("val_accuracy", [0.5, 0.9, 0.7]), record, checkpoint], epochs=3)
    other = make_model(seed=5)
    other.load_weights(tmp_path / "best.weights.h5")
    assert_weights_equal(other.get_weights(), captured[1])


def test_checkpoint_best_survives_a_restart(tmp_path):
    path = tmp_path / "best.keras"

    def run(values):
        model = make_model()
        checkpoint = callbacks.ModelCheckpoint(path, save_best_only=True)
        fit(model, [scripted("val_loss", values), checkpoint], epochs=len(values))
        return model, checkpoint

    first, _ = run([0.5, 0.3])
    saved = path.read_bytes()
    _, checkpoint = run([0.6, 0.4])  # worse than the first run's best: nothing is written
    assert path.read_bytes() == saved and checkpoint.best == 0.3
    assert_weights_equal(saving.load_model(path).get_weights(), first.get_weights())
    better, checkpoint = run([0.2])
    assert checkpoint.best == 0.2
    assert_weights_equal(saving.load_model(path).get_weights(), better.get_weights())
    path.unlink()  # the best checkpoint is gone: its value no longer blocks saving
    run([0.9])
    assert path.exists()


def test_checkpoint_initial_value_threshold(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "m{epoch}.keras", save_best_only=True, initial_value_threshold=0.45
    )
    fit(make_model(), [scripted("val_loss", [0.5, 0.4, 0.42]), checkpoint], epochs=3)
    assert visible(tmp_path) == ["m2.keras"]


def test_checkpoint_every_n_batches(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "b-{epoch}-{batch}.keras", save_freq=2)
    fit(make_model(), [checkpoint], epochs=2)  # 3 batches an epoch: global batches 2, 4, 6
    assert visible(tmp_path) == ["b-1-2.keras", "b-2-1.keras", "b-2-3.keras"]


def test_checkpoint_warns_without_the_monitored_key_and_rejects_bad_arguments(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "m.keras", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        fit(make_model(), [checkpoint], epochs=1, validation_split=0.0)
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="unrecognized save_freq='batch'"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_freq="batch")
    with pytest.raises(KeyError, match="the logs have no key val_mae"):
        fit(make_model(), [callbacks.ModelCheckpoint(tmp_path / "{val_mae}.keras")], epochs=1)


# ----- TensorBoard -----
def read_events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}
    )
    accumulator.Reload()
    return accumulator


def values(accumulator, tag):
    return [event.value for event in accumulator.Scalars(tag)]


def test_tensorboard_scalars_equal_history(tmp_path):
    pytest.importorskip("tensorboardX")
    batch_losses = []
    record = callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: batch_losses.append(logs["loss"])
    )
    model = make_model()
    board = callbacks.TensorBoard(tmp_path, histogram_freq=2, update_freq="batch", write_graph=True)
    history = fit(model, [record, board], epochs=3)
    train, validation = read_events(tmp_path / "train"), read_events(tmp_path / "validation")
    for key in ("loss", "accuracy"):
        np.testing.assert_array_equal(
            values(train, f"epoch_{key}"), np.float32(history.history[key])
        )
        np.testing.assert_array_equal(
            values(validation, f"epoch_{key}"), np.float32(history.history[f"val_{key}"])
        )
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    np.testing.assert_array_equal(values(train, "epoch_learning_rate"), np.float32([0.001] * 3))
    np.testing.assert_array_equal(values(train, "batch_loss"), np.float32(batch_losses))
    assert [e.step for e in train.Scalars("batch_loss")] == list(range(1, 10))
    assert "batch_loss" not in validation.Tags()["scalars"]
    assert sorted(train.Tags()["histograms"]) == sorted(
        f"{w.name}/histogram" for w in model.weights
    )
    assert [e.step for e in train.Histograms(f"{model.weights[0].name}/histogram")] == [0, 2]
    assert "keras/text_summary" in train.Tags()["tensors"]


def test_tensorboard_every_n_batches_and_evaluation(tmp_path):
    pytest.importorskip("tensorboardX")
    model = make_model()
    fit(model, [callbacks.TensorBoard(tmp_path, update_freq=2)], epochs=2)
    assert [e.step for e in read_events(tmp_path / "train").Scalars("batch_loss")] == [2, 4, 6]
    x, y = make_data()
    logs = model.evaluate(
        x, y, verbose=0, return_dict=True, callbacks=[callbacks.TensorBoard(tmp_path / "eval")]
    )
    evaluation = read_events(tmp_path / "eval" / "validation")
    [event] = evaluation.Scalars("evaluation_loss_vs_iterations")
    assert event.step == model.optimizer.iterations == 6
    assert event.value == np.float32(logs["loss"])


def test_tensorboard_writes_the_first_conv_filters_as_an_image(tmp_path):
    pytest.importorskip("tensorboardX")
    model = models.Sequential(
        [
            layers.Input((6, 6, 1)),
            layers.Conv2D(4, 3, name="c1"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(8, 6, 6, 1)).astype("float32")
    model.fit(
        x,
        np.arange(8) % 2,
        epochs=2,
        verbose=0,
        callbacks=[callbacks.TensorBoard(tmp_path, write_images=True)],
    )
    images = read_events(tmp_path / "train").Images("c1/kernel/image")
    assert [image.step for image in images] == [0, 1]
    expected = filter_grid(model.layers[0].kernel.data)  # 4 filters of 3x3 -> 2x2 tiles of 33
    assert expected.shape == (67, 67, 1)
    assert (images[-1].height, images[-1].width) == expected.shape[:2]


def test_filter_grid_scales_each_filter_to_the_unit_range():
    kernel = np.random.default_rng(1).normal(size=(3, 3, 3, 5))
    grid = filter_grid(kernel, min_size=3)  # RGB tiles on a 3x2 grid
    assert grid.shape == (7, 11, 3)
    assert grid[:3, :3].min() == 0 and grid[:3, :3].max() == 1
    np.testing.assert_allclose(
        grid[:3, 4:7], (kernel[..., 1] - kernel[..., 1].min()) / np.ptp(kernel[..., 1]), rtol=1e-6
    )
    assert filter_grid(np.ones((2, 2, 4, 3)), min_size=2).shape == (11, 8, 1)  # row per channel


def test_tensorboard_errors_name_the_fix(monkeypatch):
    pytest.importorskip("tensorboardX")
    with pytest.raises(ValueError, match="update_freq must be"):
        callbacks.TensorBoard(update_freq=0)
    with pytest.raises(ValueError, match="profiling is not available"):
        callbacks.TensorBoard(profile_batch=5)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install convlens\[tensorboard\]"):
        callbacks.TensorBoard()


# ----- BackupAndRestore -----
class Interrupt(callbacks.Callback):
    """Stop the run after ``at`` training steps: by an exception, or by SIGKILL."""

    def __init__(self, at, kill=False):
        super().__init__()
        self.at, self.kill = at, kill

    def on_train_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations == self.at:
            if self.kill:
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("interrupted")


def train(backup_dir=None, interrupt=None, epochs=5):
    """The run under test: Dropout (a random generator), Adam (slots), seeded shuffles."""
    model = make_model(dropout=True)
    extra = [] if backup_dir is None else [callbacks.BackupAndRestore(backup_dir)]
    history = fit(model, extra + ([interrupt] if interrupt else []), epochs=epochs)
    return model, history


def test_backup_and_restore_resumes_exactly_after_an_exception(tmp_path):
    reference, _ = train()
    backup = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="interrupted"):
        train(backup, Interrupt(at=3 * 3 + 2))  # killed inside epoch 3 (0-based)
    assert os.listdir(backup) == ["latest.convlens"]
    resumed, history = train(backup)
    assert history.epoch == [3, 4]
    assert_weights_equal(resumed.get_weights(), reference.get_weights())
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 15
    assert not backup.exists()  # deleted once training completed


def test_backup_and_restore_resumes_exactly_after_sigkill(tmp_path):
    backup = tmp_path / "backup"
    script = (
        f"import sys; sys.path.insert(0, {TESTS!r}); import test_callbacks_files as t; "
        f"t.train({str(backup)!r}, t.Interrupt(at=7, kill=True))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    resumed, history = train(backup)
    assert history.epoch == [2, 3, 4]  # the backup of epoch 1 (0-based) was the last one
    reference, _ = train()
    assert_weights_equal(resumed.get_weights(), reference.get_weights())


def test_backup_kept_when_asked_and_checks_the_model(tmp_path):
    backup = tmp_path / "backup"
    model = make_model()
    fit(model, [callbacks.BackupAndRestore(backup, delete_checkpoint=False)], epochs=2)
    assert os.listdir(backup) == ["latest.convlens"]
    again = make_model()
    history = fit(again, [callbacks.BackupAndRestore(backup, delete_checkpoint=False)], epochs=2)
    assert history.epoch == []  # both epochs were done: nothing left to run
    assert_weights_equal(again.get_weights(), model.get_weights())
    with pytest.raises(saving.ModelFileError, match="latest.convlens"):
        fit(make_model(hidden=3), [callbacks.BackupAndRestore(backup)], epochs=2)
    unbuilt = models.Sequential([layers.Dense(2, activation="softmax")])
    unbuilt.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="must be built before fit"):
        fit(unbuilt, [callbacks.BackupAndRestore(tmp_path / "other")])
    with pytest.raises(ValueError, match="invalid save_freq"):
        callbacks.BackupAndRestore(backup, save_freq="batch")
