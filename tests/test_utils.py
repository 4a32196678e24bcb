"""convlens.utils and convlens.preprocessing against the real Keras 3's keras.utils (values,
files and pictures) and against what Keras documents (PyDataset, set_random_seed)."""

import random as python_random
import shutil
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import layers, ops, preprocessing, utils
from convlens import rng as rng_module
from convlens.utils import plotting
from keras_oracle import real_keras

rng = np.random.default_rng(4)


# ----- to_categorical, normalize, pad_sequences -----


@pytest.mark.parametrize(
    "labels, num_classes",
    [
        (np.array([0, 3, 1, 1]), None),
        (np.array([0, 3, 1, 1]), 6),
        (np.array([[2], [0], [1]]), 4),
        (np.array([[2, 0], [1, 1]]), None),
        ([1, 0, 2], 3),
        (np.array([1.0, 2.0]), 3),
    ],
)
def test_to_categorical_matches_keras(labels, num_classes):
    keras = real_keras()
    expected = keras.utils.to_categorical(labels, num_classes)
    got = utils.to_categorical(labels, num_classes)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_to_categorical_rejects_labels_outside_the_classes():
    with pytest.raises(
        ValueError, match=r"labels must be in \[0, 3\), received values from 0 to 5"
    ):
        utils.to_categorical([0, 5], 3)
    with pytest.raises(ValueError, match="integer class labels"):
        utils.to_categorical([0.5, 1.0])


@pytest.mark.parametrize("axis, order", [(-1, 2), (0, 2), (1, 1), (-1, 3)])
def test_normalize_matches_keras_on_arrays_and_tensors(axis, order):
    keras = real_keras()
    x = rng.standard_normal((3, 4)).astype("float32")
    x[1] = 0  # a zero row stays zero in both
    norms = np.linalg.norm(x, order, axis, keepdims=True)
    np.testing.assert_allclose(
        utils.normalize(x, axis, order), x / np.where(norms, norms, 1), rtol=1e-6
    )
    if axis == -1:  # Keras's NumPy path expands the norms on the last axis whatever axis is
        expected = keras.utils.normalize(x, axis, order)
        np.testing.assert_allclose(utils.normalize(x, axis, order), expected, rtol=1e-6)
    got = utils.normalize(cl.Tensor(x), axis, order)
    assert isinstance(got, cl.Tensor)
    expected = np.asarray(keras.utils.normalize(keras.ops.convert_to_tensor(x), axis, order))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 2},
        {"maxlen": 5, "padding": "post"},
        {"maxlen": 2, "truncating": "post", "value": -1},
        {"dtype": "float32", "value": 0.5},
    ],
)
def test_pad_sequences_matches_keras(kwargs):
    keras = real_keras()
    sequences = [[1, 2, 3], [4], [], [5, 6, 7, 8]]
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    got = utils.pad_sequences(sequences, **kwargs)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(preprocessing.sequence.pad_sequences(sequences, **kwargs), got)


def test_pad_sequences_rejects_an_unknown_side():
    with pytest.raises(ValueError, match='padding must be "pre" or "post"'):
        utils.pad_sequences([[1]], padding="middle")


# ----- set_random_seed -----


def small_model():
    return cl.Sequential(
        [
            layers.Input((6,)),
            layers.Dense(5, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def trained_weights(seed):
    utils.set_random_seed(seed)
    model = small_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.random.standard_normal((40, 6)).astype("float32")  # NumPy's global generator
    y = np.random.randint(0, 3, 40)
    initial = [w.copy() for w in model.get_weights()]
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # shuffled without a seed
    return initial, model.get_weights(), python_random.random()


def test_set_random_seed_makes_weights_data_and_shuffling_repeat():
    first, second, third = trained_weights(11), trained_weights(11), trained_weights(12)
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        np.testing.assert_array_equal(a, b)
    assert first[2] == second[2]
    assert not np.array_equal(first[0][0], third[0][0])
    rng_module.set_global_seed(None)  # back to fresh entropy for the other tests


def test_set_random_seed_rejects_a_non_int():
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        utils.set_random_seed("7")


# ----- PyDataset -----


class Batches(utils.PyDataset):
    """Fixed batches in a fixed order; counts the epoch hooks."""

    def __init__(self, x, y, batch_size, weights=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.w, self.batch_size = x, y, weights, batch_size
        self.epochs_ended = self.epochs_begun = 0

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.w is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.w[rows]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


def data(count=30):
    x = rng.standard_normal((count, 6)).astype("float32")
    return x, rng.integers(0, 3, count)


def fitted(train, **fit_kwargs):
    model = small_model()
    model.set_weights([np.full(w.shape, 0.1, dtype=w.dtype) for w in model.get_weights()])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, verbose=0, **fit_kwargs)
    return model, history


def test_fit_on_a_py_dataset_reads_its_batches_in_order_and_ends_each_epoch():
    x, y = data()
    dataset = Batches(x, y, 8, workers=2, use_multiprocessing=False, max_queue_size=4)
    model, history = fitted(dataset, epochs=3)
    assert dataset.epochs_ended == 3 and dataset.epochs_begun == 3
    assert len(history.history["loss"]) == 3
    # The same batches as a list give the same training: the dataset is read in order.
    as_list = [dataset[i] for i in range(len(dataset))]
    reference, _ = fitted(as_list, epochs=3)
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    loss = model.evaluate(Batches(x, y, 7), verbose=0)
    np.testing.assert_allclose(loss[0], model.evaluate(x, y, batch_size=7, verbose=0)[0], rtol=1e-5)


def test_predict_reads_input_only_batches_and_validation_takes_a_py_dataset():
    x, y = data()

    class Inputs(utils.Sequence):  # the old name; no super().__init__() call, as Keras allows
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 8 : (index + 1) * 8]

    model, history = fitted(Batches(x, y, 10), epochs=2, validation_data=Batches(x, y, 16))
    assert "val_loss" in history.history and Inputs().workers == 1
    np.testing.assert_allclose(
        model.predict(Inputs(), verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )


def test_fit_takes_sample_weights_from_the_batches_and_steps_per_epoch_wraps():
    x, y = data(12)
    weighted = Batches(x, y, 4, weights=np.linspace(0.5, 2.0, 12).astype("float32"))
    fitted(weighted, epochs=1)
    dataset = Batches(x, y, 4)
    _, history = fitted(dataset, epochs=2, steps_per_epoch=5)
    assert dataset.epochs_ended == 2 and len(history.history["loss"]) == 2


def test_a_py_dataset_with_y_is_refused():
    x, y = data()
    model = small_model()
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="y must not be given when x is a PyDataset"):
        model.fit(Batches(x, y, 8), y, verbose=0)


# ----- plot_model and model_to_dot -----


def branching_model():
    inputs = cl.Input((8, 8, 1), name="pixels")
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inputs)
    y = layers.Conv2D(4, 3, padding="same", name="conv_b")(x)
    merged = layers.Add(name="sum")([x, y])
    outputs = layers.Dense(2, name="head")(layers.Flatten(name="flat")(merged))
    return cl.Model(inputs, outputs)


def edges_by_name(dot):
    names = {}
    for node in dot.get_nodes():
        label = node.get("label") or ""
        for name in ("pixels", "conv_a", "conv_b", "sum", "flat", "head"):
            if f"<b>{name}</b> (" in label:
                names[node.get_name()] = name
    return {(names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges()}


def test_model_to_dot_draws_every_layer_and_the_graph_edges():
    pytest.importorskip("pydot")
    model = branching_model()
    dot = utils.model_to_dot(model, show_shapes=True, show_layer_activations=True)
    assert edges_by_name(dot) == {
        ("pixels", "conv_a"),
        ("conv_a", "conv_b"),
        ("conv_a", "sum"),
        ("conv_b", "sum"),
        ("sum", "flat"),
        ("flat", "head"),
    }
    text = dot.to_string()
    for piece in (
        "<b>conv_a</b> (Conv2D)",
        "<b>sum</b> (Add)",
        "Output shape: (None, 8, 8, 4)",
        "Activation: relu",
    ):
        assert piece in text
    assert "Input shape: [(None, 8, 8, 4), (None, 8, 8, 4)]" in text


def test_model_to_dot_joins_the_same_layers_as_keras():
    keras = real_keras()
    pytest.importorskip("pydot")
    inputs = keras.Input((8, 8, 1), name="pixels")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inputs)
    y = keras.layers.Conv2D(4, 3, padding="same", name="conv_b")(x)
    merged = keras.layers.Add(name="sum")([x, y])
    outputs = keras.layers.Dense(2, name="head")(keras.layers.Flatten(name="flat")(merged))
    theirs = keras.utils.model_to_dot(keras.Model(inputs, outputs))
    assert edges_by_name(utils.model_to_dot(branching_model())) == edges_by_name(theirs)


def test_plot_model_writes_a_png_of_a_sequential_chain(tmp_path):
    pytest.importorskip("pydot")
    if not any(shutil.which(p) for p in plotting.GRAPHVIZ_PROGRAMS):
        pytest.skip("no Graphviz dot program")
    model = cl.Sequential(
        [layers.Input((6,)), layers.Dense(4, name="d1"), layers.Dense(2, name="d2")]
    )
    target = tmp_path / "model.png"
    utils.plot_model(
        model, to_file=str(target), show_shapes=True, show_trainable=True, rankdir="LR"
    )
    PIL = pytest.importorskip("PIL.Image")
    with PIL.open(target) as picture:
        assert picture.format == "PNG" and picture.size[0] > picture.size[1] > 50  # left to right
    inner_inputs = cl.Input((6,))
    nested = cl.Model(inner_inputs, layers.Dense(3, name="d1")(inner_inputs))
    outer_inputs = cl.Input((6,))
    outer = cl.Model(outer_inputs, layers.Dense(1)(nested(outer_inputs)))
    dot = utils.model_to_dot(outer, expand_nested=True)
    assert "<b>d1</b> (Dense)" in dot.to_string() and dot.get_subgraphs()


def test_plot_model_uses_graphviz_pure_when_dot_is_absent(tmp_path, monkeypatch):
    pytest.importorskip("pydot")
    if not shutil.which("graphviz-pure"):
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setattr(plotting, "GRAPHVIZ_PROGRAMS", ("no-such-dot", "graphviz-pure"))
    target = tmp_path / "model.png"
    utils.plot_model(branching_model(), to_file=str(target), show_shapes=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_model_names_what_is_missing(tmp_path, monkeypatch):
    pytest.importorskip("pydot")
    monkeypatch.setattr(plotting, "GRAPHVIZ_PROGRAMS", ("no-such-dot",))
    with pytest.raises(ImportError, match="Graphviz's 'dot' program.*pip install graphviz-pure"):
        utils.plot_model(branching_model(), to_file=str(tmp_path / "m.png"))
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match="pip install pydot"):
        utils.model_to_dot(branching_model())


def test_model_to_dot_refuses_an_unbuilt_model():
    pytest.importorskip("pydot")
    with pytest.raises(ValueError, match="is not built yet"):
        utils.model_to_dot(cl.Sequential([layers.Dense(2)]))


# ----- image files -----


def test_image_helpers_match_keras(tmp_path):
    keras = real_keras()
    pytest.importorskip("PIL")
    pixels = rng.integers(0, 256, (12, 18, 3)).astype("float32")
    path = tmp_path / "picture.png"
    utils.save_img(str(path), pixels, scale=False)
    for kwargs in (
        {},
        {"color_mode": "grayscale"},
        {"target_size": (6, 7), "interpolation": "bilinear"},
        {"target_size": (6, 6), "keep_aspect_ratio": True},
    ):
        ours = utils.img_to_array(utils.load_img(str(path), **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(str(path), **kwargs))
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(utils.img_to_array(utils.load_img(str(path))), pixels)
    for scale in (True, False):
        ours = np.asarray(utils.array_to_img(pixels / 3, scale=scale))
        np.testing.assert_array_equal(
            ours, np.asarray(keras.utils.array_to_img(pixels / 3, scale=scale))
        )
    first = utils.img_to_array(utils.load_img(str(path)), data_format="channels_first")
    assert first.shape == (3, 12, 18)
    assert preprocessing.image.load_img is utils.load_img


def test_smart_resize_matches_keras():
    keras = real_keras()
    image = rng.standard_normal((10, 16, 3)).astype("float32")
    expected = keras.preprocessing.image.smart_resize(image, (6, 6))
    np.testing.assert_allclose(preprocessing.image.smart_resize(image, (6, 6)), expected, atol=1e-5)
    assert isinstance(
        preprocessing.image.smart_resize(ops.convert_to_tensor(image), (4, 4)), cl.Tensor
    )


def test_load_img_names_a_missing_file(tmp_path):
    pytest.importorskip("PIL")
    with pytest.raises(FileNotFoundError, match="no such image file: .*absent.png"):
        utils.load_img(str(tmp_path / "absent.png"))


# ----- get_file -----


def test_get_file_downloads_once_checks_the_hash_and_extracts(tmp_path):
    import hashlib
    import tarfile

    source = tmp_path / "served"
    source.mkdir()
    (source / "notes.txt").write_text("pixels")
    archive = source / "bundle.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "notes.txt", arcname="bundle/notes.txt")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = utils.get_file(origin=archive.as_uri(), file_hash=digest, cache_dir=str(cache))
    assert path == str(cache / "datasets" / "bundle.tar.gz")
    archive.unlink()  # now offline: the cached copy is used
    assert utils.get_file(origin=archive.as_uri(), file_hash=digest, cache_dir=str(cache)) == path
    folder = utils.get_file("bundle.tar.gz", archive.as_uri(), extract=True, cache_dir=str(cache))
    assert folder == str(cache / "datasets" / "bundle_extracted")
    assert (
        cache / "datasets" / "bundle_extracted" / "bundle" / "notes.txt"
    ).read_text() == "pixels"


def test_get_file_offline_says_where_to_put_the_file(tmp_path):
    missing = (tmp_path / "absent.bin").as_uri()
    with pytest.raises(OSError, match=r"could not download .*absent.bin.*put it at .*absent.bin"):
        utils.get_file(origin=missing, cache_dir=str(tmp_path / "cache"))
    assert not list((tmp_path / "cache" / "datasets").iterdir())  # no partial file left


def test_get_file_refuses_a_wrong_hash_and_a_path_as_name(tmp_path):
    served = tmp_path / "data.bin"
    served.write_bytes(b"abc")
    with pytest.raises(ValueError, match="does not match its md5 hash"):
        utils.get_file(origin=served.as_uri(), md5_hash="0" * 32, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "c" / "datasets" / "data.bin").exists()
    with pytest.raises(ValueError, match="fname must be a file name, not a path"):
        utils.get_file("sub/data.bin", served.as_uri())


def test_the_custom_object_registry_is_under_keras_utils_names_too():
    @utils.register_keras_serializable(package="h3test")
    def doubled(x):
        return x * 2

    assert utils.get_registered_name(doubled) == "h3test>doubled"
    assert utils.get_registered_object("h3test>doubled") is doubled
    with utils.custom_object_scope({"tripled": len}):
        assert utils.get_registered_object("tripled") is len
    assert utils.get_registered_object("tripled") is None
    assert utils.get_custom_objects()["h3test>doubled"] is doubled
