"""Keras's real files, both ways, with the real Keras 3 (JAX) as the oracle: ``.keras``
archives, ``.weights.h5``, Keras 2's legacy ``.h5`` (full model and weights-only, the format
of Keras's application weights), convlens's older zips, extensions Keras lacks, Lambdas."""

import zipfile

import numpy as np
import pytest

import convlens as cl
from convlens import applications, layers, models, registry, saving
from convlens.saving import ModelFileError
from keras_oracle import real_keras

RTOL = 1e-5


@pytest.fixture(scope="module")
def keras():
    return real_keras()


def data(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def run(keras_model, x):
    """A Keras model's output by a direct call: no compiled predict function (JAX's jit of
    predict costs seconds per model, a direct call a fraction)."""
    return np.asarray(keras_model(x, training=False))


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=1e-6)


# ----- the models, built the same way in convlens (cl) and in Keras (kl) -----
def functional(lib):
    """Conv2D, BatchNormalization, Add, Concatenate, GlobalAveragePooling2D, Dropout, Dense."""
    inputs = lib.layers.Input((8, 8, 2))
    a = lib.layers.BatchNormalization()(lib.layers.Conv2D(4, 3, padding="same")(inputs))
    b = lib.layers.Conv2D(4, 1, activation="relu")(inputs)
    x = lib.layers.Concatenate()([lib.layers.Add()([a, b]), b])
    x = lib.layers.Dropout(0.3)(lib.layers.GlobalAveragePooling2D()(x))
    outputs = lib.layers.Dense(3, activation="softmax")(x)
    return lib.models.Model(inputs, outputs)


def trained(lib, **fit):
    model = functional(lib)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    y = np.random.default_rng(1).integers(0, 3, 32)
    model.fit(data((32, 8, 8, 2)), y, epochs=1, batch_size=8, verbose=0, **fit)
    return model


def keras_optimizer_values(model):
    return [np.asarray(v) for v in model.optimizer.variables]


def convlens_optimizer_values(model):
    """Iterations, learning rate, then Adam's m and v interleaved per variable (Keras's order)."""
    state = model.optimizer.get_state()
    count = len(model.trainable_weights)
    slots = [state[f"{s}/{i}"] for i in range(count) for s in ("m", "v")]
    return [state["iterations"], state["learning_rate"], *slots]


# ----- (a) convlens writes, Keras reads -----
@pytest.mark.parametrize("build", [applications.lenet5, lambda: functional(cl)])
def test_keras_loads_what_convlens_saves(keras, tmp_path, build):
    model = build()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = data((3, *model.input_shape[1:]))
    close(run(loaded, x), model.predict(x, verbose=0))


def test_keras_restores_the_optimizer_state_convlens_saved(keras, tmp_path):
    model = trained(cl, seed=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    x = data((4, 8, 8, 2), seed=2)
    close(run(loaded, x), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations) == model.optimizer.iterations == 4
    theirs, ours = keras_optimizer_values(loaded), convlens_optimizer_values(model)
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        close(a, b)


# Keras's name of each convlens slot, per optimizer (Keras names a slot variable
# "<layer>_<variable>_<slot>", e.g. dense_kernel_momentum).
KERAS_SLOT_NAMES = {
    "SGD": {"velocity": "momentum"},
    "RMSprop": {
        "mean_square": "velocity",
        "momentum": "momentum",
        "mean_gradient": "average_gradient",
    },
    "Nadam": {"momentum": "momentum", "velocity": "velocity"},
    "AdamW": {"m": "momentum", "v": "velocity", "v_max": "velocity_hat"},
}


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: cl.optimizers.SGD(0.01, momentum=0.9),
        lambda: cl.optimizers.RMSprop(momentum=0.5, centered=True),
        lambda: cl.optimizers.Nadam(),
        lambda: cl.optimizers.AdamW(amsgrad=True),
    ],
)
def test_every_optimizer_slot_lands_in_the_keras_variable_of_its_name(keras, tmp_path, optimizer):
    model = models.Sequential([layers.Input((5,)), layers.Dense(3), layers.Dense(2)])
    model.compile(optimizer=optimizer(), loss="mse")
    model.fit(data((16, 5)), data((16, 2), seed=1), epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "o.keras")
    loaded = keras.saving.load_model(tmp_path / "o.keras")
    theirs = {v.name: np.asarray(v) for v in loaded.optimizer.variables}
    names = KERAS_SLOT_NAMES[type(model.optimizer).__name__]
    state = model.optimizer.get_state()
    assert int(theirs["iteration"]) == state["iterations"] == 2
    compared = 0
    for i, weight in enumerate(model.trainable_weights):
        for ours, keras_slot in names.items():
            close(theirs[f"{weight.name.replace('/', '_')}_{keras_slot}"], state[f"{ours}/{i}"])
            compared += 1
    assert compared == len(theirs) - 2 - (type(model.optimizer).__name__ == "Nadam")
    if "variable" in theirs:  # Nadam's product of momentum factors, from its definition
        factors = [0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2)]
        close(theirs["variable"], np.prod(factors))


def test_keras_reads_convlens_weights_files(keras, tmp_path):
    model = functional(cl)
    model.save_weights(tmp_path / "w.weights.h5")
    twin = functional(keras)
    twin.load_weights(tmp_path / "w.weights.h5")
    x = data((3, 8, 8, 2))
    close(run(twin, x), model.predict(x, verbose=0))


# ----- (b) Keras writes, convlens reads -----
def test_convlens_loads_a_trained_keras_model_with_its_optimizer(keras, tmp_path):
    original = trained(keras)
    original.save(tmp_path / "k.keras")
    loaded = models.load_model(tmp_path / "k.keras")
    x = data((4, 8, 8, 2), seed=3)
    close(loaded.predict(x, verbose=0), run(original, x))
    assert loaded.optimizer.iterations == int(original.optimizer.iterations) == 4
    for a, b in zip(convlens_optimizer_values(loaded), keras_optimizer_values(original)):
        close(a, b)


def test_convlens_loads_keras_weights_files_into_its_own_model(keras, tmp_path):
    original = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(120, activation="relu"),
            keras.layers.Dense(84, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    original.save_weights(tmp_path / "lenet.weights.h5")
    model = applications.lenet5()
    model.load_weights(tmp_path / "lenet.weights.h5")
    x = data((2, 28, 28, 1))
    close(model.predict(x, verbose=0), run(original, x))


def test_a_nested_model_round_trips_both_ways(keras, tmp_path):
    inner = models.Sequential([layers.Input((6,)), layers.Dense(5), layers.BatchNormalization()])
    inputs = layers.Input((6,))
    outputs = layers.Dense(2)(layers.Concatenate()([inner(inputs), layers.Dense(3)(inputs)]))
    model = models.Model(inputs, outputs)
    model.save(tmp_path / "nested.keras")
    theirs = keras.saving.load_model(tmp_path / "nested.keras")
    theirs.save(tmp_path / "back.keras")
    ours = models.load_model(tmp_path / "back.keras")
    x = data((4, 6))
    close(run(theirs, x), model.predict(x, verbose=0))
    close(ours.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- (c) Keras 2's legacy HDF5 -----
def test_a_legacy_h5_model_of_keras_loads_compiled(keras, tmp_path):
    original = trained(keras)
    keras.saving.save_model(original, tmp_path / "k.h5")
    loaded = models.load_model(tmp_path / "k.h5")
    x = data((4, 8, 8, 2), seed=4)
    close(loaded.predict(x, verbose=0), run(original, x))
    assert loaded.optimizer.iterations == 4
    for a, b in zip(convlens_optimizer_values(loaded), keras_optimizer_values(original)):
        close(a, b)


def test_convlens_writes_legacy_h5_for_h5_names_as_keras_does(keras, tmp_path):
    model = trained(cl, seed=0)
    model.save(tmp_path / "m.h5")
    with open(tmp_path / "m.h5", "rb") as stream:
        assert stream.read(8) == b"\x89HDF\r\n\x1a\n"
    theirs = keras.saving.load_model(tmp_path / "m.h5")
    ours = models.load_model(tmp_path / "m.h5")
    x = data((4, 8, 8, 2), seed=5)
    close(run(theirs, x), model.predict(x, verbose=0))
    close(ours.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(theirs.optimizer.iterations) == ours.optimizer.iterations == 4


def vgg_like(lib, top: bool):
    """Two conv blocks named as Keras's VGG16 names them; the top only when asked."""
    stack = [lib.layers.Input((16, 16, 3))]
    for block, filters in ((1, 4), (2, 8)):
        for conv in (1, 2):
            stack.append(
                lib.layers.Conv2D(
                    filters, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}"
                )
            )
        stack.append(lib.layers.MaxPooling2D(name=f"block{block}_pool"))
    if top:
        stack += [lib.layers.Flatten(name="flatten"), lib.layers.Dense(5, name="predictions")]
    return lib.models.Sequential(stack)


def legacy_weights_file(keras, model, path):
    """Keras's legacy weights-only layout (the published application weight files)."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(path, "w") as h5:
        legacy_h5_format.save_weights_to_hdf5_group(h5, model)


def test_legacy_application_weights_load_by_layer_name(keras, tmp_path):
    original = vgg_like(keras, top=False)
    legacy_weights_file(keras, original, tmp_path / "notop.h5")
    model = vgg_like(cl, top=False)
    model.load_weights(tmp_path / "notop.h5")
    # Keras's own weights, layer by layer (a forward pass in Keras would only add JAX's
    # start-up time: equal weights of equal layers give equal outputs).
    for ours, theirs in zip(model.layers, original.layers):
        assert ours.name == theirs.name
        for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    # A model with a top: by_name=True loads the blocks, the top keeps its own weights.
    with_top = vgg_like(cl, top=True)
    top_before = with_top.get_layer("predictions").get_weights()
    with pytest.raises(ModelFileError, match="by_name=True"):
        with_top.load_weights(tmp_path / "notop.h5")
    with_top.load_weights(tmp_path / "notop.h5", by_name=True)
    for ours, theirs in zip(with_top.get_weights()[:8], original.get_weights()):
        close(ours, theirs)
    for a, b in zip(with_top.get_layer("predictions").get_weights(), top_before):
        np.testing.assert_array_equal(a, b)


def test_legacy_weights_with_other_names_load_in_order_as_keras(keras, tmp_path):
    original = functional(keras)
    keras.saving.save_model(original, tmp_path / "k.h5")
    model = functional(cl)  # auto names differ from Keras's (one counter per session)
    model.load_weights(tmp_path / "k.h5")
    x = data((3, 8, 8, 2))
    close(model.predict(x, verbose=0), run(original, x))


def test_a_keras2_file_with_tf_weight_names_loads(tmp_path):
    """The names of a Keras 2 application file (``block1_conv1/kernel:0``), built by hand."""
    import h5py

    model = vgg_like(cl, top=False)
    values = [data(w.shape, seed=i) for i, w in enumerate(model.get_weights())]
    names = [layer.name for layer in model.layers]
    with h5py.File(tmp_path / "vgg.h5", "w") as h5:
        h5.attrs["layer_names"] = np.array([n.encode() for n in names])
        arrays = iter(values)
        for layer in model.layers:
            group = h5.create_group(layer.name)
            keys = [f"{layer.name}/{k}:0" for k in ("kernel", "bias")] if layer.weights else []
            group.attrs["weight_names"] = np.array([k.encode() for k in keys])
            for key in keys:
                group.create_dataset(key, data=next(arrays))
    model.load_weights(tmp_path / "vgg.h5")
    for ours, theirs in zip(model.get_weights(), values):
        np.testing.assert_array_equal(ours, theirs)


# ----- (d) convlens's older files -----
def test_older_convlens_zip_and_npz_files_still_load(tmp_path):
    model = trained(cl, seed=0)
    saving.save_convlens_zip(model, tmp_path / "old.keras")
    with zipfile.ZipFile(tmp_path / "old.keras") as archive:
        assert "weights.npz" in archive.namelist()
    loaded = models.load_model(tmp_path / "old.keras")
    x = data((3, 8, 8, 2))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 4
    model.save_weights(tmp_path / "w.weights.npz")
    other = functional(cl)
    other.load_weights(tmp_path / "w.weights.npz")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- (e) what Keras lacks -----
def test_extensions_round_trip_and_keras_names_the_layer(keras, tmp_path):
    model = models.Sequential(
        [
            layers.Input((8, 8, 2)),
            layers.Conv2D(3, 3, padding="same", padding_mode="reflect"),
            layers.MinPooling2D(name="min_pool"),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    model.save(tmp_path / "ext.keras")
    loaded = models.load_model(tmp_path / "ext.keras")
    x = data((2, 8, 8, 2))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[0].padding_mode == "reflect"
    assert "Could not locate class 'Conv2D'" in keras_error(keras, tmp_path / "ext.keras")
    only_min = models.Sequential([layers.Input((4, 4, 1)), layers.MinPooling2D()])
    only_min.save(tmp_path / "min.keras")
    message = keras_error(keras, tmp_path / "min.keras")
    assert "Could not locate class 'MinPooling2D'" in message
    assert "convlens>MinPooling2D" in message


def keras_error(keras, path) -> str:
    """The message of the error the real Keras raises loading ``path`` (with its cause's)."""
    with pytest.raises(Exception) as caught:
        keras.saving.load_model(path)
    error = caught.value
    return f"{error} {error.__cause__ or error.__context__ or ''}"


# ----- (f) Lambda -----
def test_a_lambda_of_python_code_is_refused_in_safe_mode(keras, tmp_path):
    inputs = keras.Input((3,))
    original = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2.0, name="twice")(inputs))
    original.save(tmp_path / "lambda.keras")
    with pytest.raises(ModelFileError, match=r'Lambda layer "twice".*safe_mode=False'):
        models.load_model(tmp_path / "lambda.keras")
    with pytest.raises(ModelFileError, match="never loads code"):
        models.load_model(tmp_path / "lambda.keras", safe_mode=False)
    with pytest.raises(ValueError, match="safe_mode=False"):  # the oracle refuses it too
        keras.saving.load_model(tmp_path / "lambda.keras")


def _halve(x):
    return x * 0.5


def test_a_lambda_of_a_registered_function_loads_in_safe_mode(tmp_path):
    registry.register_object("convlens_tests>halve", _halve)
    model = models.Sequential([layers.Input((3,)), layers.Lambda(_halve), layers.Dense(2)])
    model.save(tmp_path / "named.keras")
    loaded = models.load_model(tmp_path / "named.keras")
    x = data((2, 3))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_keras2_full_model_file_loads(tmp_path):
    """A Keras 2 (tf.keras) full-model file, built by hand: Keras 2's config layout
    (``batch_input_shape``, list-form inbound nodes, class ``Model``), checked against NumPy."""
    import json

    import h5py

    dense = {
        "name": "dense",
        "trainable": True,
        "dtype": "float32",
        "units": 4,
        "activation": "relu",
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    config = {
        "class_name": "Model",
        "config": {
            "name": "model",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False,
                               "ragged": False, "name": "input_1"},
                    "name": "input_1",
                    "inbound_nodes": [],
                },
                {"class_name": "Dense", "config": dense, "name": "dense",
                 "inbound_nodes": [[["input_1", 0, 0, {}]]]},
                {"class_name": "Add", "config": {"name": "add", "trainable": True,
                                                 "dtype": "float32"},
                 "name": "add", "inbound_nodes": [[["dense", 0, 0, {}], ["input_1", 0, 0, {}]]]},
            ],
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["add", 0, 0]],
        },
    }  # fmt: skip
    kernel, bias = data((4, 4), seed=1), data((4,), seed=2)
    with h5py.File(tmp_path / "keras2.h5", "w") as h5:
        h5.attrs["model_config"] = json.dumps(config).encode()
        h5.attrs["keras_version"], h5.attrs["backend"] = b"2.13.1", b"tensorflow"
        weights = h5.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"input_1", b"dense", b"add"])
        for name in ("input_1", "add"):
            weights.create_group(name).attrs["weight_names"] = np.array([])
        group = weights.create_group("dense")
        group.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        group["dense/kernel:0"], group["dense/bias:0"] = kernel, bias
    model = models.load_model(tmp_path / "keras2.h5")
    x = data((5, 4), seed=3)
    close(model.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0.0) + x)


def test_a_learning_rate_schedule_travels_both_ways(keras, tmp_path):
    schedule = cl.optimizers.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.5)
    model = models.Sequential([layers.Input((5,)), layers.Dense(2)])
    model.compile(optimizer=cl.optimizers.Adam(learning_rate=schedule), loss="mse")
    model.fit(data((16, 5)), data((16, 2), seed=1), epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "s.keras")
    theirs = keras.saving.load_model(tmp_path / "s.keras")
    assert int(theirs.optimizer.iterations) == 2
    close(theirs.optimizer.learning_rate, model.optimizer.learning_rate)  # 0.01 * 0.5 ** 0.2
    theirs.save(tmp_path / "back.keras")
    ours = models.load_model(tmp_path / "back.keras")
    assert ours.optimizer.iterations == 2
    close(ours.optimizer.learning_rate, model.optimizer.learning_rate)
    for key, value in model.optimizer.get_state().items():
        close(ours.optimizer.get_state()[key], value)


def test_a_keras2_lambda_of_code_is_refused_in_safe_mode(tmp_path):
    import json

    import h5py

    code = {"name": "code", "function": ["4wEAAAAA", None, None], "function_type": "lambda"}
    first = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "i"}}
    config = {
        "class_name": "Sequential",
        "config": {"name": "s", "layers": [first, {"class_name": "Lambda", "config": code}]},
    }
    with h5py.File(tmp_path / "lambda.h5", "w") as h5:
        h5.attrs["model_config"] = json.dumps(config)
        h5.create_group("model_weights").attrs["layer_names"] = np.array([b"code"])
    with pytest.raises(ModelFileError, match=r'lambda.h5: Lambda layer "code" holds Python code'):
        models.load_model(tmp_path / "lambda.h5")


def with_ops(lib):
    """A functional model whose graph holds elementwise ops, as preprocess_input makes them."""
    inputs = lib.Input((6, 6, 3))
    x = inputs / 127.5 - 1.0
    x = lib.layers.Conv2D(4, 3)(x)
    x = lib.ops.sqrt(lib.ops.square(x) + 1.0) * 2.0 - (1.0 - x)
    return lib.Model(inputs, lib.layers.Flatten()(x))


def test_elementwise_ops_in_a_graph_go_both_ways(keras, tmp_path):
    x = data((3, 6, 6, 3)) * 255
    ours = with_ops(cl)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    close(run(theirs, x), ours.predict(x, verbose=0))
    keras_model = with_ops(keras)
    keras_model.save(tmp_path / "keras.keras")
    loaded = models.load_model(tmp_path / "keras.keras")
    close(loaded.predict(x, verbose=0), run(keras_model, x))
    assert [layer.op for layer in loaded.layers if hasattr(layer, "op")][:2] == [
        "true_divide",
        "subtract",
    ]


def test_a_keras_op_convlens_does_not_read_is_named(keras, tmp_path):
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.ops.cumsum(inputs, axis=-1)).save(tmp_path / "cumsum.keras")
    with pytest.raises(ModelFileError, match=r"Cumsum.*convlens reads Keras ops of"):
        models.load_model(tmp_path / "cumsum.keras")
