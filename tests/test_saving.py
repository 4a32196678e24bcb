"""Model files: round trips, atomic writes, clear errors for corrupt files, no pickle."""

import json
import os
import zipfile

import numpy as np
import pytest

from convlens import layers, models
from convlens.saving import ModelFileError


def trained_model(dropout=0.2):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8, 8, 2)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = models.Sequential(
        [
            layers.Input((8, 8, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu", kernel_regularizer="l2"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(dropout, seed=1),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=0)
    return model, x, y


def test_save_and_load_give_identical_predictions_and_optimizer_state(tmp_path):
    # No dropout here: a loaded Dropout restarts its seeded mask sequence, so training on
    # would draw other masks than the original model (predictions are equal either way).
    model, x, y = trained_model(dropout=0.0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for name, value in model.optimizer.get_state().items():
        np.testing.assert_array_equal(loaded.optimizer.get_state()[name], value)
    # Training on from the loaded model equals training on from the original.
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=5, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=5, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_functional_model_round_trips(tmp_path):
    inputs = layers.Input((6,))
    a = layers.Dense(4, activation="relu")(inputs)
    b = layers.Dense(4)(inputs)
    outputs = layers.Dense(2)(layers.Concatenate()([layers.Add()([a, b]), a]))
    model = models.Model(inputs, outputs)
    model.save(tmp_path / "functional.keras")
    loaded = models.load_model(tmp_path / "functional.keras")
    data = np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_weights_only_round_trip(tmp_path):
    model, x, _ = trained_model()
    for name in ("w.weights.h5", "w.weights.npz"):  # Keras 3's file; convlens's older .npz
        model.save_weights(tmp_path / name)
        other, _, _ = trained_model()
        other.set_weights([np.zeros_like(w) for w in other.get_weights()])
        other.load_weights(tmp_path / name)
        np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_files_hold_keras_layouts_and_no_pickle(tmp_path):
    h5py = pytest.importorskip("h5py")
    model, x, _ = trained_model()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        assert config["class_name"] == "Sequential" and "compile_config" in config
        assert set(json.loads(archive.read("metadata.json"))) == {"keras_version", "date_saved"}
        for member in archive.namelist():
            assert b"pickle" not in archive.read(member)
    model.save(tmp_path / "m.h5")  # the lecture's extension: Keras 2's HDF5, as Keras 3 writes
    with h5py.File(tmp_path / "m.h5", "r") as h5:
        assert {"model_config", "training_config"} <= set(h5.attrs)
        assert "model_weights" in h5 and "optimizer_weights" in h5
    loaded = models.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations


def test_other_extensions_are_refused_as_keras_does(tmp_path):
    model, _, _ = trained_model()
    with pytest.raises(ValueError, match=r"m.model: invalid extension.*'.keras'"):
        model.save(tmp_path / "m.model")
    with pytest.raises(ValueError, match=r"w.bin: invalid extension.*'.weights.h5'"):
        model.save_weights(tmp_path / "w.bin")


def test_weights_that_do_not_fit_leave_the_model_unchanged(tmp_path):
    model, x, _ = trained_model()
    model.save_weights(tmp_path / "w.weights.h5")
    other = models.Sequential(
        [layers.Input((8, 8, 2)), layers.Conv2D(5, 3), layers.Flatten(), layers.Dense(3)]
    )
    before = other.get_weights()
    with pytest.raises(ModelFileError, match=r"w.weights.h5: Conv2D .* has 2 variables|shape"):
        other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    # skip_mismatch (Keras's argument): the layers that fit load, the others stay.
    with pytest.warns(UserWarning, match=r"skip_mismatch: .*Conv2D"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], before[0])


def test_a_truncated_file_raises_an_error_naming_it(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.keras"
    model.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=f"{path}: not a model file"):
        models.load_model(path)


def test_a_corrupted_member_raises_an_error_naming_file_and_member(tmp_path):
    model, _, _ = trained_model()
    path = tmp_path / "model.keras"
    model.save(path)
    broken = tmp_path / "broken.keras"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, content[:40] if name == "model.weights.h5" else content)
    with pytest.raises(ModelFileError, match=r"broken.keras: 'model.weights.h5': not a readable"):
        models.load_model(broken)


def test_a_member_of_another_shape_is_named(tmp_path):
    h5py = pytest.importorskip("h5py")
    model, _, _ = trained_model()
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r+") as h5:
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = np.zeros(7, np.float32)
    with pytest.raises(
        ModelFileError, match=r"Dense .*'/layers/dense/vars/1' has shape \(7,\), the model "
    ):
        model.load_weights(tmp_path / "w.weights.h5")


def test_an_unknown_layer_class_is_refused_without_importing_anything(tmp_path):
    path = tmp_path / "evil.keras"
    config = {
        "format": "convlens-model",
        "version": 1,
        "compile": None,
        "model": {
            "class_name": "Sequential",
            "config": {
                "name": "s",
                "input_shape": [2],
                "layers": [{"class_name": "os.system", "config": {"command": "echo hi"}}],
            },
        },
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    with pytest.raises(ModelFileError, match="Unknown layer class 'os.system'"):
        models.load_model(path)


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    model, _, _ = trained_model()
    path = tmp_path / "model.keras"
    model.save(path)
    before = path.read_bytes()

    original = zipfile.ZipFile.writestr

    def fail_on_the_weights(archive, name, data, *args, **kwargs):
        if name == "model.weights.h5":  # the temporary file is half written by now
            raise OSError("disk full")
        return original(archive, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_on_the_weights)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no temporary left behind


def test_missing_file_and_overwrite_false(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        models.load_model(tmp_path / "absent.keras")
    model, _, _ = trained_model()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    assert os.path.exists(tmp_path / "m.keras")


def test_a_file_whose_top_level_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "layer.keras"
    config = {
        "format": "convlens-model",
        "version": 1,
        "compile": None,
        "model": {"class_name": "Dense", "config": {"units": 2}},
    }
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
    with pytest.raises(ModelFileError, match="Unknown model class 'Dense'; known classes: Func"):
        models.load_model(path)
