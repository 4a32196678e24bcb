"""Model and layer configs in Keras 3's layout, checked against the real Keras 3 (JAX).

For each model the same architecture is built with Keras and with convlens; its JSON is read by
the other library, and the two models are compared layer by layer (class, name, output shape,
parameter count) and by their predictions once the weights are copied in order. The JSON
convlens writes for a model read from Keras is compared key by key with Keras's own JSON: the
differences left are listed in ``KNOWN_LAYOUT_DIFFERENCES`` and nothing else may differ.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from convlens import backend, initializers, layers, models, regularizers, saving
from convlens.layers import serialization_api
from convlens.models.serialization import model_to_json
from keras_oracle import real_keras

DATA = Path(__file__).parent / "data"

# Keras-only arguments that convlens does not write, each at the Keras default (dropped on
# read, as keras_config.KERAS_ONLY_DEFAULTS allows; writing them would make the JSON unreadable
# by Keras versions before they existed), and the top-level compile_config (convlens keeps the
# compile arguments in its model file, not in the architecture).
KNOWN_LAYOUT_DIFFERENCES = {
    "quantization_config",
    "synchronized",
    "renorm",
    "renorm_clipping",
    "renorm_momentum",
    "input_axes",
    "output_axes",
    "compile_config",
}


class Keras:
    """Namespaces of the real Keras, under the names the builders use."""

    def __init__(self):
        keras = real_keras()
        self.layers, self.models = keras.layers, keras.models
        self.initializers, self.regularizers = keras.initializers, keras.regularizers


class Convlens:
    layers, models, initializers, regularizers = layers, models, initializers, regularizers


def lenet5(lib):
    L = lib.layers
    return lib.models.Sequential(
        [
            L.Input((32, 32, 1)),
            L.Conv2D(6, 5, activation="tanh"),
            L.AveragePooling2D(2),
            L.Conv2D(16, 5, activation="tanh"),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(120, activation="tanh"),
            L.Dense(84, activation="tanh"),
            L.Dense(10, activation="softmax"),
        ],
        name="lenet5",
    )


def branched(lib):
    L = lib.layers
    inputs = L.Input((8, 8, 3), name="image")
    x = L.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    a = L.Conv2D(4, 1)(x)
    b = L.Conv2D(4, 3, padding="same")(x)
    merged = L.Concatenate()([L.Add()([a, b]), x])
    outputs = L.Dense(3)(L.GlobalAveragePooling2D()(merged))
    return lib.models.Model(inputs, outputs, name="branched")


def regularized(lib):
    L = lib.layers
    return lib.models.Sequential(
        [
            L.Input((12, 12, 2)),
            L.Conv2D(
                8,
                3,
                kernel_regularizer=lib.regularizers.L2(0.01),
                kernel_initializer=lib.initializers.HeNormal(seed=1),
                bias_initializer=lib.initializers.Constant(0.1),
            ),
            L.BatchNormalization(momentum=0.9),
            L.MaxPooling2D(),
            L.Dropout(0.3),
            L.GlobalAveragePooling2D(),
            L.Dense(5, activation="softmax", kernel_regularizer=lib.regularizers.L1L2(0.01, 0.02)),
        ],
        name="regularized",
    )


def two_inputs_shared_layer(lib):
    L = lib.layers
    left, right = L.Input((6,), name="left"), L.Input((6,), name="right")
    shared = L.Dense(4, activation="relu", name="shared")
    outputs = L.Dense(2)(L.Add()([shared(left), shared(right)]))
    return lib.models.Model([left, right], [outputs, shared(left)], name="siamese")


BUILDERS = [lenet5, branched, regularized, two_inputs_shared_layer]


def sample_inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    inputs = model.inputs if isinstance(model.inputs, list) else [model.inputs]
    arrays = [rng.standard_normal((4, *t.shape[1:])).astype(np.float32) for t in inputs]
    return arrays[0] if len(arrays) == 1 else arrays


def random_weights(model, seed=1):
    """Weights away from their initial values (BatchNormalization's variances positive)."""
    rng = np.random.default_rng(seed)
    return [
        (
            np.abs(rng.standard_normal(w.shape)) + 0.5
            if "variance" in name
            else 0.3 * rng.standard_normal(w.shape)
        ).astype(np.float32)
        for w, name in zip(model.get_weights(), weight_names(model))
    ]


def weight_names(model):
    return [getattr(w, "path", None) or w.name for w in model.weights]


def describe(model):
    """Layer name -> (class, output shape, parameter count)."""
    return {
        layer.name: (type(layer).__name__, output_shape(layer), layer.count_params())
        for layer in model.layers
    }


def outputs_of(model, x):
    """The model's outputs on ``x`` as NumPy arrays (a convlens model is called directly:
    its ``predict`` takes one input array)."""
    if isinstance(model, models.Model):
        result = model(x, training=False)
        result = result if isinstance(result, list) else [result]
        return [backend.to_numpy(r.data) for r in result]
    result = model.predict(x, verbose=0)
    return [np.asarray(r) for r in result] if isinstance(result, list) else [np.asarray(result)]


def copy_weights(source, target):
    """Each layer's weights to the layer of the same name, in that layer's order."""
    for layer in source.layers:
        target.get_layer(layer.name).set_weights(layer.get_weights())


def assert_same_model(ours, theirs, x):
    assert describe(ours) == {
        name: (cls, shape if shape is not None else describe(ours)[name][1], count)
        for name, (cls, shape, count) in describe(theirs).items()
    }
    assert ours.count_params() == theirs.count_params()
    for a, b in zip(outputs_of(ours, x), outputs_of(theirs, x), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def output_shape(layer):
    """A layer's output shape; None for a Keras layer called more than once (Keras then has
    no single ``layer.output``)."""
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        shape = getattr(layer, "output_shape", None)
        return None if shape is None else tuple(shape)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_keras_json_is_read_by_convlens(builder):
    keras_model = builder(Keras())
    keras_model.set_weights(random_weights(keras_model))
    ours = models.model_from_json(keras_model.to_json())
    copy_weights(keras_model, ours)
    assert_same_model(ours, keras_model, sample_inputs(keras_model))


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_convlens_json_is_read_by_keras(builder):
    keras = real_keras()
    ours = builder(Convlens)
    ours.set_weights(random_weights(ours))
    keras_model = keras.models.model_from_json(model_to_json(ours))
    copy_weights(ours, keras_model)
    assert_same_model(ours, keras_model, sample_inputs(keras_model))


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_layers_are_written_in_keras_order(builder):
    keras_names = [layer.name for layer in builder(Keras()).layers]
    ours = builder(Convlens)
    written = json.loads(model_to_json(ours))["config"]["layers"]
    names = [entry.get("name", entry["config"]["name"]) for entry in written]
    if isinstance(ours, models.Sequential):
        names = names[1:]  # the InputLayer, which Keras's Sequential.layers leaves out
    assert [n.split("_")[0] for n in names] == [n.split("_")[0] for n in keras_names]


def test_model_layers_and_weights_are_in_keras_order():
    keras_model = branched(Keras())
    ours = models.model_from_json(keras_model.to_json())
    assert [layer.name for layer in ours.layers] == [layer.name for layer in keras_model.layers]
    ours.set_weights(keras_model.get_weights())


def differences(a, b, path=""):
    """Paths where two JSON values differ (a key present in one only counts as one)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                found.append(f"{path}/{key}")
            else:
                found += differences(a[key], b[key], f"{path}/{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}/{i}")]
    return [] if a == b else [path]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_convlens_writes_the_json_keras_wrote(builder):
    """Read Keras's JSON, write it again: the same document, but for the known differences."""
    keras_json = json.loads(builder(Keras()).to_json())
    ours_json = json.loads(model_to_json(models.model_from_json(json.dumps(keras_json))))
    left = [
        d
        for d in differences(keras_json, ours_json)
        if d.split("/")[-1] not in KNOWN_LAYOUT_DIFFERENCES
        and not flatten_build_config(d, keras_json)
    ]
    assert left == []


def flatten_build_config(path, document):
    """Keras writes a build_config for Flatten, whose build makes nothing; convlens writes one
    only for layers whose build does something (Keras's rule for every other layer)."""
    parts = path.strip("/").split("/")
    if parts[-1] != "build_config" or parts[:2] != ["config", "layers"]:
        return False
    return document["config"]["layers"][int(parts[2])]["class_name"] == "Flatten"


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_get_config_and_from_config_round_trip(builder):
    model = builder(Convlens)
    cls = type(model)
    clone = cls.from_config(model.get_config())
    assert type(clone) is cls
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = sample_inputs(model)
    for a, b in zip(outputs_of(clone, x), outputs_of(model, x)):
        np.testing.assert_array_equal(a, b)


def test_a_keras_only_argument_away_from_its_default_is_refused():
    keras = real_keras()
    model = keras.models.Sequential([keras.layers.Input((4,)), keras.layers.BatchNormalization()])
    config = json.loads(model.to_json())
    config["config"]["layers"][1]["config"]["synchronized"] = True
    with pytest.raises(
        ValueError,
        match=r'BatchNormalization "batch_normalization\w*": the Keras argument '
        r"synchronized=True is not implemented",
    ):
        models.model_from_json(json.dumps(config))
    config["config"]["layers"][1]["config"]["synchronized"] = False
    config["config"]["layers"][1]["config"]["surprise"] = 1
    with pytest.raises(ValueError, match=r"the Keras argument surprise=1 is not implemented"):
        models.model_from_json(json.dumps(config))


def test_a_keras_initializer_argument_away_from_its_default_is_refused():
    entry = serialization_api.serialize(layers.Dense(2, name="d"))
    entry["config"]["kernel_initializer"]["config"]["input_axes"] = [0]
    with pytest.raises(
        ValueError,
        match=r'Dense "d", argument kernel_initializer: the Keras '
        r"argument input_axes=\[0\] of GlorotUniform",
    ):
        serialization_api.deserialize(entry)


def test_other_dtype_policies_are_refused():
    entry = serialization_api.serialize(layers.Dense(2, name="d16"))
    entry["config"]["dtype"]["config"]["name"] = "mixed_float16"
    with pytest.raises(ValueError, match="Dense"):
        serialization_api.deserialize(entry)


def test_layers_serialize_and_deserialize_with_keras():
    keras = real_keras()
    conv = layers.Conv2D(3, 2, strides=2, padding="same", name="conv_s", use_bias=False)
    conv(np.zeros((1, 6, 6, 2), np.float32))
    entry = serialization_api.serialize(conv)
    assert entry["module"] == "keras.layers" and entry["registered_name"] is None
    assert entry["build_config"] == {"input_shape": [None, 6, 6, 2]}
    theirs = keras.layers.deserialize(entry)
    assert theirs.get_weights()[0].shape == conv.get_weights()[0].shape
    ours = serialization_api.deserialize(keras.layers.serialize(theirs))
    assert ours.get_config() == conv.get_config()
    assert [w.shape for w in ours.get_weights()] == [(2, 2, 2, 3)]


def test_unknown_classes_are_refused_with_a_hint():
    entry = {
        "module": "my.module",
        "class_name": "Mystery",
        "config": {},
        "registered_name": "X>Mystery",
    }
    with pytest.raises(
        ValueError, match=r"Unknown layer class 'Mystery'.*register_keras_serializable"
    ):
        serialization_api.deserialize(entry)


def test_old_convlens_model_files_still_load():
    """Files of format version 1 (tests/data, written by convlens before this layout) load
    and predict as they did."""
    expected = np.load(DATA / "model_v1_expected.npz")
    sequential = models.load_model(DATA / "model_v1_sequential.zip")
    np.testing.assert_allclose(
        sequential.predict(expected["x_sequential"], verbose=0),
        expected["y_sequential"],
        rtol=1e-6,
        atol=1e-7,
    )
    assert sequential.optimizer is not None and sequential.optimizer.iterations == 2
    functional = models.load_model(DATA / "model_v1_functional.zip")
    np.testing.assert_allclose(
        functional.predict(expected["x_functional"], verbose=0),
        expected["y_functional"],
        rtol=1e-6,
        atol=1e-7,
    )
    assert [type(l).__name__ for l in functional.layers] == [
        "InputLayer",
        "Dense",
        "Dense",
        "Add",
        "Concatenate",
        "Dense",
    ]


def test_saved_files_hold_keras_layout(tmp_path):
    model = regularized(Convlens)
    model.save(tmp_path / "m.keras")
    import zipfile

    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        config = json.loads(archive.read("config.json"))
    assert "format" not in config  # Keras 3's config.json: the model itself
    config.pop("compile_config", None)
    keras = real_keras()
    keras_model = keras.models.model_from_json(json.dumps(config))
    assert keras_model.count_params() == model.count_params()


# ----- user objects: registration, custom_objects, scopes -----
class Scale(layers.Layer):
    """A custom layer of the kind users write: its arguments in get_config, Keras's default
    from_config (``cls(**config)``)."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs, training=False):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def scaled_model(lib, scale_class):
    L = lib.layers
    inputs = L.Input((3,), name="values")
    outputs = scale_class(3.0, name="triple")(L.Dense(2, name="dense_in")(inputs))
    return lib.models.Model(inputs, outputs, name="scaled")


def keras_scale_class(keras):
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return Scale


def test_register_keras_serializable_names_objects_as_keras():
    keras = real_keras()

    @saving.register_keras_serializable(package="TestPkg")
    def cubed(x):
        return x * x * x

    @keras.saving.register_keras_serializable(package="TestPkg")
    def cubed_k(x):
        return x * x * x

    assert saving.get_registered_name(cubed) == "TestPkg>cubed"
    assert keras.saving.get_registered_name(cubed_k) == "TestPkg>cubed_k"
    assert saving.get_registered_object("TestPkg>cubed") is cubed
    assert saving.get_custom_objects()["TestPkg>cubed"] is cubed
    renamed = type("Renamed", (Scale,), {})
    assert saving.register_keras_serializable("TestPkg", name="Other")(renamed) is renamed
    assert saving.get_registered_name(renamed) == "TestPkg>Other"
    assert saving.get_registered_name(Convlens) == "Convlens"  # not registered: its __name__
    with pytest.raises(ValueError, match="has no get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_a_registered_custom_layer_travels_both_ways_with_keras():
    keras = real_keras()
    keras_scale = keras.saving.register_keras_serializable(package="Both")(keras_scale_class(keras))
    ours_scale = saving.register_keras_serializable(package="Both")(type("Scale", (Scale,), {}))
    keras_model = scaled_model(Keras(), keras_scale)
    keras_model.set_weights(random_weights(keras_model))
    keras_json = keras_model.to_json()
    assert json.loads(keras_json)["config"]["layers"][2]["registered_name"] == "Both>Scale"
    ours = models.model_from_json(keras_json)
    assert isinstance(ours.get_layer("triple"), ours_scale)
    copy_weights(keras_model, ours)
    assert_same_model(ours, keras_model, sample_inputs(keras_model))
    back = keras.models.model_from_json(model_to_json(ours))
    assert isinstance(back.get_layer("triple"), keras_scale)
    assert back.get_layer("triple").factor == 3.0


def test_custom_objects_and_scopes_find_unregistered_classes():
    model = scaled_model(Convlens, Scale)
    text = model_to_json(model)
    with pytest.raises(ValueError, match=r"Unknown layer class 'Scale'.*custom_objects"):
        models.model_from_json(text)
    loaded = models.model_from_json(text, custom_objects={"Scale": Scale})
    assert type(loaded.get_layer("triple")) is Scale
    with saving.custom_object_scope({"Scale": Scale}):
        assert type(models.model_from_json(text).get_layer("triple")) is Scale
    with saving.CustomObjectScope({"Scale": Scale}), saving.custom_object_scope({"Scale": Scale}):
        pass
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'"):  # the scopes are gone
        models.model_from_json(text)


def test_load_model_with_custom_layer_loss_and_metric(tmp_path):
    @saving.register_keras_serializable(package="FileTest")
    def half_squared_error(y_true, y_pred):
        return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)

    @saving.register_keras_serializable(package="FileTest")
    def largest_error(y_true, y_pred):
        return abs(y_pred - y_true).max(axis=-1)

    model = scaled_model(Convlens, Scale)
    model.compile(optimizer="sgd", loss=half_squared_error, metrics=[largest_error, "mae"])
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 2))
    model.fit(x, y.astype(np.float32), epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "custom.keras")
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'"):
        models.load_model(tmp_path / "custom.keras")
    loaded = models.load_model(tmp_path / "custom.keras", custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(outputs_of(loaded, x)[0], outputs_of(model, x)[0])
    assert loaded.loss.function is half_squared_error
    logs = loaded.evaluate(x, y.astype(np.float32), verbose=0, return_dict=True)
    assert logs == model.evaluate(x, y.astype(np.float32), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "largest_error", "mae"}
    loaded_safe = saving.load_model(
        tmp_path / "custom.keras", custom_objects={"Scale": Scale}, compile=False, safe_mode=True
    )
    assert not loaded_safe.compiled


# ----- clone_model -----
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_clone_model_has_new_layers_and_fresh_weights(builder):
    model = builder(Convlens)
    model.set_weights(random_weights(model))
    clone = models.clone_model(model)
    assert type(clone) is type(model)
    assert clone.get_config() == model.get_config()
    assert not any(a is b for a, b in zip(clone.layers, model.layers))
    assert any(not np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()))
    clone.set_weights(model.get_weights())
    x = sample_inputs(model)
    for a, b in zip(outputs_of(clone, x), outputs_of(model, x), strict=True):
        np.testing.assert_array_equal(a, b)


def test_clone_model_keeps_shared_layers_shared_and_takes_a_clone_function():
    model = two_inputs_shared_layer(Convlens)
    calls = []

    def clone_function(layer):
        calls.append(layer.name)
        return layer.__class__.from_config({**layer.get_config(), "name": layer.name + "_c"})

    clone = models.clone_model(model, clone_function=clone_function)
    assert calls.count("shared") == 1
    assert clone.count_params() == model.count_params()
    assert "shared_c" in [layer.name for layer in clone.layers]


def test_clone_model_on_given_input_tensors():
    model = lenet5(Convlens)
    inputs = layers.Input((32, 32, 1), name="given")
    clone = models.clone_model(model, input_tensors=inputs)
    assert clone.inputs[0] is inputs
    assert clone.output_shape == model.output_shape
    with pytest.raises(ValueError, match="takes one input"):
        models.clone_model(model, input_tensors=[inputs, inputs])


# ----- Keras's layer order -----
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_graph_order_gives_keras_layer_order(builder):
    from convlens.models.graph_order import keras_order

    keras_model = builder(Keras())
    ours = models.model_from_json(keras_model.to_json())
    nodes, ordered = keras_order(ours.inputs, ours.outputs)
    expected = [layer.name for layer in keras_model.layers]
    if isinstance(ours, models.Sequential):
        ordered = ordered[1:]
    assert [layer.name for layer in ordered] == expected
    seen = set()
    for node in nodes:  # each call after the calls it takes inputs from
        assert all(id(t.node) in seen for t in node.inputs)
        seen.add(id(node))


# ----- every layer class convlens shares with Keras -----
# Arguments away from the defaults where a layer has some, so that the configs say something.
LAYER_ARGUMENTS = {
    "Activation": dict(activation="sigmoid"),
    "Add": {},
    "AveragePooling2D": dict(pool_size=3, strides=2, padding="same"),
    "BatchNormalization": dict(momentum=0.9, epsilon=1e-4, center=False),
    "Concatenate": dict(axis=1),
    "Conv1D": dict(filters=3, kernel_size=2, dilation_rate=2, padding="causal"),
    "Conv2D": dict(filters=4, kernel_size=(3, 1), strides=(1, 2), groups=2, use_bias=False),
    "Conv2DTranspose": dict(filters=2, kernel_size=3, strides=2, output_padding=1),
    "Dense": dict(
        units=3,
        activation="relu",
        kernel_constraint={"class_name": "MaxNorm", "config": {"max_value": 2.0}},
    ),
    "DepthwiseConv2D": dict(kernel_size=3, depth_multiplier=2, padding="same"),
    "Dropout": dict(rate=0.25, noise_shape=[None, 1, 4], seed=7),
    "Flatten": {},
    "GlobalAveragePooling2D": dict(keepdims=True),
    "GlobalMaxPooling2D": {},
    "LeakyReLU": dict(negative_slope=0.1),
    "MaxPooling2D": dict(pool_size=2, padding="same"),
    "ReLU": dict(max_value=6.0, negative_slope=0.1, threshold=0.5),
    "Rescaling": dict(scale=1 / 255, offset=-1.0),
    "Reshape": dict(target_shape=[2, -1]),
    "SeparableConv2D": dict(filters=3, kernel_size=2, depth_multiplier=2),
    "Softmax": dict(axis=-2),
    "ZeroPadding2D": dict(padding=((1, 2), (0, 1))),
    # the layers of issue 12, item 6
    "AlphaDropout": dict(rate=0.2, seed=3),
    "Average": {},
    "AveragePooling1D": dict(pool_size=3, strides=1, padding="same"),
    "Cropping1D": dict(cropping=(1, 2)),
    "Cropping2D": dict(cropping=((1, 0), (2, 1))),
    "ELU": dict(alpha=0.5),
    "GaussianDropout": dict(rate=0.3, seed=1),
    "GaussianNoise": dict(stddev=0.2, seed=2),
    "GlobalAveragePooling1D": dict(keepdims=True),
    "GlobalMaxPooling1D": {},
    "GroupNormalization": dict(groups=2, epsilon=1e-4),
    "Identity": {},
    "LayerNormalization": dict(epsilon=1e-5, center=False),
    "MaxPooling1D": dict(pool_size=2, strides=1),
    "Maximum": {},
    "Minimum": {},
    "Multiply": {},
    "PReLU": dict(alpha_initializer="ones", shared_axes=[1]),
    "Permute": dict(dims=(2, 1)),
    "RepeatVector": dict(n=3),
    "SpatialDropout1D": dict(rate=0.1),
    "SpatialDropout2D": dict(rate=0.1),
    "Subtract": {},
    "UpSampling1D": dict(size=3),
    "UpSampling2D": dict(size=(2, 3), interpolation="bilinear"),
    "ZeroPadding1D": dict(padding=(1, 2)),
    # image preprocessing and augmentation (issue 13, item 2)
    "CenterCrop": dict(height=3, width=2),
    "Normalization": dict(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True),
    "RandomBrightness": dict(factor=(-0.1, 0.2), value_range=(-1, 1), seed=2),
    "RandomContrast": dict(factor=(0.1, 0.3), value_range=(0, 1), seed=4),
    "RandomCrop": dict(height=3, width=2, seed=5),  # Keras would draw a seed for None
    "RandomFlip": dict(mode="vertical", seed=3),
    "RandomRotation": dict(factor=(-0.2, 0.3), fill_mode="constant", fill_value=1.0, seed=3),
    "RandomTranslation": dict(height_factor=0.1, width_factor=(-0.2, 0.1), fill_mode="wrap"),
    "RandomZoom": dict(height_factor=(0.1, 0.2), width_factor=0.3, interpolation="nearest"),
    "Resizing": dict(height=3, width=2, interpolation="nearest", crop_to_aspect_ratio=True),
}
# Lambda saves its function by the name it was registered under here, which Keras cannot know:
# its configs travel only between convlens files (tests/test_layers_contract.py).


@pytest.mark.parametrize("class_name", sorted(LAYER_ARGUMENTS))
def test_each_layer_config_travels_both_ways(class_name):
    """convlens's layer -> Keras reads it -> Keras writes it -> convlens reads the same layer."""
    keras = real_keras()
    cls = getattr(layers, class_name, None)
    if cls is None:
        pytest.skip(f"convlens has no {class_name}")
    ours = cls(**LAYER_ARGUMENTS[class_name], name=f"x_{class_name.lower()}")
    theirs = keras.layers.deserialize(serialization_api.serialize(ours))
    assert type(theirs).__name__ == class_name
    back = serialization_api.deserialize(json.loads(json.dumps(keras.layers.serialize(theirs))))
    assert back.get_config() == ours.get_config()


def test_every_shared_layer_class_has_a_case():
    keras = real_keras()
    shared = {name for name in layers.LAYER_CLASSES if hasattr(keras.layers, name)}
    missing = shared - set(LAYER_ARGUMENTS) - {"InputLayer", "Lambda"}
    assert not missing, f"add a LAYER_ARGUMENTS case for {sorted(missing)}"


def test_a_nested_sequential_travels_both_ways():
    keras = real_keras()

    def build(lib):
        L = lib.layers
        inner = lib.models.Sequential([L.Input((6,)), L.Dense(3, activation="relu")], name="inner")
        inputs = L.Input((6,), name="outer_in")
        return lib.models.Model(inputs, L.Dense(2)(inner(inputs)), name="outer")

    keras_model = build(Keras())
    keras_model.set_weights(random_weights(keras_model))
    ours = models.model_from_json(keras_model.to_json())
    assert type(ours.get_layer("inner")) is models.Sequential
    ours.set_weights(keras_model.get_weights())
    assert_same_model(ours, keras_model, sample_inputs(keras_model))
    back = keras.models.model_from_json(model_to_json(build(Convlens)))
    assert [type(layer).__name__ for layer in back.layers] == ["InputLayer", "Sequential", "Dense"]


def test_a_registered_activation_written_by_keras_is_read():
    keras = real_keras()

    @keras.saving.register_keras_serializable(package="Act")
    def halved(x):
        return x / 2

    @saving.register_keras_serializable(package="Act")
    def halved_ours(x):
        return x / 2

    saving.get_custom_objects()["Act>halved"] = halved_ours
    model = keras.models.Sequential(
        [keras.layers.Input((3,)), keras.layers.Dense(2, activation=halved)]
    )
    ours = models.model_from_json(model.to_json())
    assert ours.layers[0].activation is halved_ours


def test_a_sequential_without_input_round_trips_and_keras_reads_it():
    keras = real_keras()
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)], name="lazy")
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]] == ["Dense", "Dense"]
    assert "build_input_shape" not in config
    again = models.Sequential.from_config(config)
    assert not again.built and again.get_config() == config
    theirs = keras.models.model_from_json(model_to_json(model))
    assert [type(layer).__name__ for layer in theirs.layers] == ["Dense", "Dense"]
    built = models.model_from_json(
        json.dumps(
            {
                **json.loads(theirs.to_json()),
                "config": {**theirs.get_config(), "build_input_shape": [None, 5]},
            }
        )
    )
    assert built.built and built.count_params() == 5 * 4 + 4 + 4 + 1


def test_graph_order_refuses_an_input_the_model_does_not_take():
    from convlens.models.graph_order import keras_order

    first, second = layers.Input((2,), name="taken"), layers.Input((2,), name="forgotten")
    outputs = layers.Add()([first, second])
    with pytest.raises(ValueError, match='depend on the input "forgotten"'):
        keras_order([first], [outputs])
