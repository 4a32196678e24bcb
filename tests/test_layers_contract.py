"""The new Keras 3 layers beyond their forward values: gradients against float64 central
differences, the training-only noise by its statistics, Lambda's code-free saving, Input's
batch_shape, clear errors, and a get_config/from_config round trip of every registered layer."""

import json

import numpy as np
import pytest

import convlens as cl
from convlens import config, layers, registry
from convlens.ops.normalization import group_norm, layer_norm
from convlens.ops.upsampling import interpolate_linear, repeat, upsample
from oracle import assert_gradients, check_op

rng = np.random.default_rng(7)


# ----- gradients: float64 central differences along random directions -----


def test_layer_norm_gradients_in_x_gamma_and_beta():
    x, gamma, beta = rng.standard_normal((3, 4, 5)), rng.standard_normal(5), rng.standard_normal(5)
    assert_gradients(lambda x, g, b: layer_norm(x, g, b, axis=-1, epsilon=1e-3), x, gamma, beta)
    axes_gamma = rng.standard_normal((4, 5))
    assert_gradients(lambda x, g: layer_norm(x, g, axis=(1, 2)), x, axes_gamma)


def test_layer_norm_against_a_numpy_definition():
    def oracle(x):
        mean = x.mean(axis=(1, 2), keepdims=True)
        return (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-3)

    check_op(lambda x: layer_norm(x, axis=[1, 2]), oracle, rng.standard_normal((2, 3, 4)))


def test_group_norm_gradients_and_numpy_definition():
    x = rng.standard_normal((2, 3, 3, 6))
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)

    def oracle(x, gamma, beta):
        groups = x.reshape(2, 3, 3, 2, 3)  # (N, H, W, G, C/G)
        mean = groups.mean(axis=(1, 2, 4), keepdims=True)
        variance = groups.var(axis=(1, 2, 4), keepdims=True)
        return ((groups - mean) / np.sqrt(variance + 1e-3)).reshape(x.shape) * gamma + beta

    check_op(lambda x, g, b: group_norm(x, 2, g, b), oracle, x, gamma, beta)
    channels_first = rng.standard_normal((2, 4, 3))
    assert_gradients(lambda x: group_norm(x, 2, axis=1), channels_first)


def test_upsampling_gradients():
    x = rng.standard_normal((2, 3, 4, 2))
    assert_gradients(lambda x: repeat(x, 3, axis=2), x)
    assert_gradients(lambda x: interpolate_linear(x, 2, axis=1), x)
    assert_gradients(lambda x: upsample(x, (3, 2), (1, 2), "bilinear"), x)


def test_nearest_upsampling_equals_numpy_repeat():
    check_op(lambda x: repeat(x, 2, axis=-1), lambda x: np.repeat(x, 2, axis=-1), np.ones((2, 3)))


@pytest.mark.parametrize(
    "layer, shapes",
    [
        (lambda: layers.PReLU(shared_axes=[1]), [(2, 3, 4)]),
        (lambda: layers.Cropping2D(((1, 0), (0, 2))), [(2, 4, 5, 1)]),
        (lambda: layers.ZeroPadding1D((1, 2)), [(2, 3, 2)]),
        (lambda: layers.Permute((2, 3, 1)), [(2, 2, 3, 4)]),
        (lambda: layers.RepeatVector(2), [(2, 3)]),
        (lambda: layers.MaxPooling1D(2, padding="same"), [(2, 5, 2)]),
        (lambda: layers.AveragePooling1D(3, strides=2), [(2, 7, 2)]),
        (lambda: layers.GlobalAveragePooling1D(), [(2, 5, 3)]),
        (lambda: layers.ELU(alpha=0.7), [(3, 4)]),
        (lambda: layers.Average(), [(2, 3), (2, 3), (2, 1)]),
        (lambda: layers.Subtract(), [(2, 3, 2), (2, 2)]),
        (lambda: layers.Maximum(), [(2, 3), (2, 3)]),
        (lambda: layers.Multiply(), [(2, 3), (2, 3)]),
    ],
)
def test_layer_input_gradients(layer, shapes, monkeypatch):
    # Layers of float64 (floatx), so that float64 finite differences check them exactly.
    monkeypatch.setitem(config._settings, "floatx", "float64")
    layer = layer()
    arrays = [rng.standard_normal(s) for s in shapes]
    layer([a.astype(np.float32) for a in arrays] if len(arrays) > 1 else arrays[0])

    def run(*tensors):
        return layer(list(tensors) if len(tensors) > 1 else tensors[0])

    assert_gradients(run, *arrays)


def test_prelu_alpha_gradient_is_the_negative_part():
    layer = layers.PReLU(alpha_initializer="ones")
    x = np.array([[-2.0, 3.0, -0.5]], dtype=np.float32)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.alpha.grad, [-2.0, 0.0, -0.5])  # d(alpha x)/d alpha = x


# ----- noise: only in training, seeded, with the right statistics -----


def test_spatial_dropout2d_drops_whole_channels_at_the_rate():
    layer = layers.SpatialDropout2D(0.3, seed=5)
    x = np.ones((200, 4, 4, 10), np.float32)
    y = layer(x, training=True).numpy()
    per_channel = y.reshape(200, 16, 10)
    assert (per_channel == per_channel[:, :1]).all()  # one decision per (sample, channel)
    kept = per_channel[:, 0] != 0
    np.testing.assert_allclose(per_channel[:, 0][kept], 1 / 0.7, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 2000)  # 4 standard errors
    again = layers.SpatialDropout2D(0.3, seed=5)(x, training=True).numpy()
    np.testing.assert_array_equal(y, again)  # the seed reproduces the mask
    assert not np.array_equal(layer(x, training=True).numpy(), y)  # the next call draws anew
    np.testing.assert_array_equal(layer(x).numpy(), x)  # inference: identity


def test_spatial_dropout_channels_first():
    y = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)(
        np.ones((50, 6, 3, 3), np.float32), training=True
    ).numpy()
    assert (y == y[:, :, :1, :1]).all() and 0 < (y == 0).mean() < 1


def test_gaussian_noise_and_dropout_statistics():
    x = np.full((400, 250), 2.0, np.float32)
    noise = layers.GaussianNoise(0.2, seed=3)(x, training=True).numpy() - x
    assert abs(noise.mean()) < 4 * 0.2 / np.sqrt(noise.size)
    assert abs(noise.std() - 0.2) < 0.01
    factor = layers.GaussianDropout(0.2, seed=3)(x, training=True).numpy() / x
    assert abs(factor.mean() - 1) < 4 * 0.5 / np.sqrt(factor.size)
    assert abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01
    for layer in (layers.GaussianNoise(0.2), layers.GaussianDropout(0.2)):
        np.testing.assert_array_equal(layer(x).numpy(), x)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    x = rng.standard_normal((500, 200)).astype(np.float32)
    layer = layers.AlphaDropout(0.2, seed=1)
    y = layer(x, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    assert len(np.unique(y[np.abs(y - y.min()) < 1e-6])) == 1  # dropped units share one value
    np.testing.assert_array_equal(layer(x).numpy(), x)


def test_noise_layers_in_a_model_are_active_only_in_fit():
    model = cl.models.Sequential([layers.Input((4,)), layers.GaussianNoise(1.0, seed=0)])
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert not np.allclose(model(x, training=True).numpy(), x)


# ----- Lambda: saved by registered name, never as code -----


def _double(x):
    return x * 2.0


def _scaled(x, factor):
    return x * factor


def test_lambda_saves_a_registered_function_by_name_and_loads_it():
    registry.register_object("convlens_tests>double", _double)
    layer = layers.Lambda(_double, name="double")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["registered_name"] == "convlens_tests>double"
    assert "code" not in json.dumps(config)
    clone = layers.Lambda.from_config(config)
    assert clone.function is _double
    np.testing.assert_array_equal(clone(np.ones((1, 2))).numpy(), [[2.0, 2.0]])


def test_lambda_of_an_unregistered_function_refuses_to_save():
    with pytest.raises(ValueError, match=r'Lambda "my_lambda".*register'):
        layers.Lambda(lambda x: x + 1.0, name="my_lambda").get_config()


def test_lambda_from_config_names_the_missing_function():
    with pytest.raises(ValueError, match=r"'nowhere>f' is not registered"):
        layers.Lambda.from_config({"name": "l", "function": "nowhere>f", "arguments": {}})
    keras_lambda = {"class_name": "__lambda__", "config": {"code": "...", "defaults": None}}
    with pytest.raises(ValueError, match="never loads code"):
        layers.Lambda.from_config({"name": "l", "function": keras_lambda})
    assert (
        layers.Lambda.from_config(
            {"name": "l", "function": "nowhere>f"}, custom_objects={"nowhere>f": _double}
        ).function
        is _double
    )


def test_lambda_output_shape_inferred_given_or_computed():
    inferred = layers.Lambda(lambda x: cl.ops.reshape(x, (x.shape[0], -1)))
    assert inferred(layers.Input((None, 4))).shape == (None, 4)  # None read as 1
    assert inferred(layers.Input((3, 4))).shape == (None, 12)
    given = layers.Lambda(lambda x: x, output_shape=(7,))
    assert given(layers.Input((7,))).shape == (None, 7)
    computed = layers.Lambda(lambda x: x, output_shape=lambda s: s[:1] + (9,))
    assert computed(layers.Input((9,))).shape == (None, 9)
    merged = layers.Lambda(lambda xs: xs[0] - xs[1])
    assert merged([layers.Input((5,)), layers.Input((5,))]).shape == (None, 5)


def test_lambda_arguments_and_training_flag():
    registry.register_object("convlens_tests>scaled", _scaled)
    layer = layers.Lambda(_scaled, arguments={"factor": 3.0})
    np.testing.assert_array_equal(layer(np.ones((1, 1))).numpy(), [[3.0]])
    assert layers.Lambda.from_config(layer.get_config()).arguments == {"factor": 3.0}
    seen = []
    layers.Lambda(lambda x, training=None: seen.append(training) or x)(np.ones((1, 1)), True)
    assert seen[-1] is True  # (a first call on zeros, training False, reads the output shape)


def test_activation_accepts_a_callable_and_saves_it_by_registered_name():
    def cube(x):
        return x * x * x

    layer = layers.Activation(cube)
    np.testing.assert_array_equal(layer(np.array([[2.0]])).numpy(), [[8.0]])
    with pytest.raises(ValueError, match=r'Activation ".*".*register'):
        layer.get_config()
    registry.register_object("convlens_tests>cube", cube)
    assert layers.Activation.from_config(layer.get_config()).activation is cube


# ----- Input, Dense(input_dim), argument errors -----


def test_input_batch_shape_and_its_errors():
    assert layers.Input(batch_shape=(8, 5)).shape == (8, 5)
    assert layers.Input(batch_shape=(None, 28, 28, 1)).shape == (None, 28, 28, 1)
    assert layers.Input(shape=(), batch_size=2).shape == (2,)
    with pytest.raises(ValueError, match="either shape .* or batch_shape"):
        layers.Input()
    with pytest.raises(ValueError, match="received both"):
        layers.Input((5,), batch_shape=(None, 5))
    with pytest.raises(ValueError, match="batch_shape already gives the batch size"):
        layers.Input(batch_shape=(4, 5), batch_size=4)
    source = layers.Input((3, 2))
    assert layers.Input(tensor=source).shape == (None, 3, 2)


def test_dense_input_dim_builds_a_sequential():
    model = cl.models.Sequential([layers.Dense(4, input_dim=6), layers.Dense(1)])
    assert model.predict(np.ones((2, 6), np.float32), verbose=0).shape == (2, 1)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: layers.UpSampling2D(interpolation="cubic", name="u"), r'UpSampling2D "u".*interp'),
        (lambda: layers.UpSampling2D(size=0, name="u"), r'UpSampling2D "u": size'),
        (lambda: layers.Cropping2D((-1, 2), name="c"), r'Cropping2D "c": cropping'),
        (lambda: layers.Cropping1D("1", name="c"), r'Cropping1D "c": cropping'),
        (lambda: layers.Permute((1, 3), name="p"), r'Permute "p": dims'),
        (lambda: layers.RepeatVector(0, name="r"), r'RepeatVector "r": n'),
        (lambda: layers.GroupNormalization(groups=0, name="g"), r'GroupNormalization "g": groups'),
        (lambda: layers.LayerNormalization(axis="x", name="n"), r'LayerNormalization "n": axis'),
        (lambda: layers.LayerNormalization(epsilon=-1, name="n"), r'"n": epsilon'),
        (lambda: layers.PReLU(shared_axes=[0], name="p"), r'PReLU "p": shared_axes'),
        (lambda: layers.SpatialDropout2D(1.5, name="s"), r'SpatialDropout2D "s": rate'),
        (lambda: layers.GaussianNoise(2.0, name="g"), r'GaussianNoise "g": stddev'),
        (lambda: layers.GaussianDropout(-0.1, name="g"), r'GaussianDropout "g": rate'),
        (lambda: layers.AlphaDropout(1.0, name="a"), r'AlphaDropout "a": rate'),
        (lambda: layers.MaxPooling1D(2, padding="full", name="m"), r'MaxPooling1D "m": padding'),
        (lambda: layers.AveragePooling1D(0, name="m"), r'AveragePooling1D "m": pool_size'),
        (lambda: layers.Lambda(3, name="l"), r'Lambda "l": function'),
        (lambda: layers.ELU(alpha="1", name="e"), r'ELU "e": alpha'),
    ],
)
def test_bad_arguments_name_the_layer_and_argument(make, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        make()


@pytest.mark.parametrize(
    "layer, shape, pattern",
    [
        (lambda: layers.GroupNormalization(groups=4, name="g"), (3, 6), r'"g": groups \(4\)'),
        (lambda: layers.Cropping2D(3, name="c"), (5, 8, 1), r'Cropping2D "c": expected more'),
        (lambda: layers.MaxPooling1D(5, name="m"), (3, 2), r'MaxPooling1D "m": expected'),
        (lambda: layers.RepeatVector(2, name="r"), (3, 2), r'RepeatVector "r": expected a 2-D'),
    ],
)
def test_bad_input_shapes_name_the_layer(layer, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer()(layers.Input(shape))


def test_merge_rejects_a_single_tensor_and_mismatched_batches():
    with pytest.raises(ValueError, match=r'Add "a": expected .* a list'):
        layers.Add(name="a")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r'Add "b": cannot merge inputs of different batch'):
        layers.Add(name="b")([np.ones((2, 3)), np.ones((1, 3))])


# ----- every registered layer round-trips through get_config/from_config -----

registry.register_object("convlens_tests>double", _double)

EXAMPLES = {
    "Activation": (dict(activation="tanh"), (3,)),
    "Add": (dict(), [(3,), (3,)]),
    "AlphaDropout": (dict(rate=0.1, seed=1), (3,)),
    "Average": (dict(), [(3,), (3,)]),
    "AveragePooling1D": (dict(pool_size=2, padding="same"), (5, 2)),
    "AveragePooling2D": (dict(pool_size=2), (4, 4, 2)),
    "BatchNormalization": (dict(momentum=0.9), (4, 4, 2)),
    "Concatenate": (dict(axis=1), [(3, 2), (4, 2)]),
    "Conv1D": (dict(filters=2, kernel_size=3), (6, 2)),
    "Conv2D": (dict(filters=2, kernel_size=3, padding="same"), (5, 5, 2)),
    "Conv2DTranspose": (dict(filters=2, kernel_size=3, strides=2), (3, 3, 2)),
    "Cropping1D": (dict(cropping=(1, 0)), (4, 2)),
    "Cropping2D": (dict(cropping=((1, 0), (0, 1))), (4, 4, 2)),
    "Dense": (dict(units=3, activation="relu"), (4,)),
    "DepthwiseConv2D": (dict(kernel_size=3, depth_multiplier=2), (5, 5, 2)),
    "Dropout": (dict(rate=0.2, seed=1), (3,)),
    "ELU": (dict(alpha=0.4), (3,)),
    "Flatten": (dict(), (2, 2, 2)),
    "GaussianDropout": (dict(rate=0.2, seed=1), (3,)),
    "GaussianNoise": (dict(stddev=0.2, seed=1), (3,)),
    "GlobalAveragePooling1D": (dict(keepdims=True), (5, 2)),
    "GlobalAveragePooling2D": (dict(), (4, 4, 2)),
    "GlobalMaxPooling1D": (dict(data_format="channels_first"), (2, 5)),
    "GlobalMaxPooling2D": (dict(keepdims=True), (4, 4, 2)),
    "GroupNormalization": (dict(groups=2, epsilon=1e-4), (3, 4)),
    "Identity": (dict(), (3,)),
    "InputLayer": (dict(shape=(3, 2)), None),
    "Lambda": (dict(function=_double, output_shape=(3,)), (3,)),
    "LayerNormalization": (dict(axis=[1, 2], center=False), (3, 2)),
    "LeakyReLU": (dict(negative_slope=0.1), (3,)),
    "MaxPooling1D": (dict(pool_size=3, strides=1), (5, 2)),
    "MaxPooling2D": (dict(pool_size=2), (4, 4, 2)),
    "Maximum": (dict(), [(3,), (3,)]),
    "MinPooling2D": (dict(pool_size=2), (4, 4, 2)),
    "Minimum": (dict(), [(3,), (3,)]),
    "Multiply": (dict(), [(3,), (3,)]),
    "Operation": (dict(op="clip", arguments=[{"__input__": 0}, -0.5, 0.5]), (4,)),
    "PReLU": (dict(shared_axes=[1], alpha_initializer="ones"), (3, 2)),
    "Permute": (dict(dims=(2, 1)), (3, 2)),
    "ReLU": (dict(max_value=6.0), (3,)),
    "RepeatVector": (dict(n=2), (3,)),
    "Rescaling": (dict(scale=0.5, offset=1.0), (3,)),
    "Reshape": (dict(target_shape=(2, 3)), (6,)),
    "SeparableConv2D": (dict(filters=2, kernel_size=3), (5, 5, 2)),
    "Softmax": (dict(axis=-1), (3,)),
    "SpatialDropout1D": (dict(rate=0.2, seed=1), (4, 2)),
    "SpatialDropout2D": (dict(rate=0.2, seed=1), (4, 4, 2)),
    "Subtract": (dict(), [(3,), (3,)]),
    "UpSampling1D": (dict(size=3), (2, 2)),
    "UpSampling2D": (dict(size=(2, 1), interpolation="bilinear"), (2, 3, 2)),
    "ZeroPadding1D": (dict(padding=(0, 2)), (3, 2)),
    "ZeroPadding2D": (dict(padding=1), (3, 3, 2)),
    # Random layers called directly augment (Keras's rule), and the test calls the clone twice:
    # the examples fix the draw (degenerate ranges, a width-1 flip, a crop of the whole image).
    "CenterCrop": (dict(height=2, width=3), (4, 4, 2)),
    "Normalization": (dict(mean=[1.0, 2.0], variance=[4.0, 9.0]), (3, 2)),
    "RandomBrightness": (dict(factor=(0.1, 0.1), value_range=(-10, 10), seed=1), (3, 3, 2)),
    "RandomContrast": (dict(factor=(0.0, 0.0), value_range=(-10, 10), seed=1), (3, 3, 2)),
    "RandomCrop": (dict(height=2, width=3, seed=1), (2, 3, 2)),
    "RandomFlip": (dict(mode="horizontal", seed=1), (3, 1, 2)),
    "RandomRotation": (dict(factor=(0.25, 0.25), fill_mode="wrap"), (4, 4, 2)),
    "RandomTranslation": (dict(height_factor=(0.25, 0.25), width_factor=-0.0), (4, 5, 2)),
    "RandomZoom": (dict(height_factor=(0.2, 0.2), width_factor=(-0.1, -0.1)), (4, 5, 2)),
    "Resizing": (dict(height=3, width=2, interpolation="nearest"), (4, 4, 2)),
}


def test_every_registered_layer_has_a_round_trip_example():
    assert sorted(EXAMPLES) == sorted(layers.LAYER_CLASSES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_get_config_from_config_round_trip(name):
    cls = layers.LAYER_CLASSES[name]
    options, shapes = EXAMPLES[name]
    layer = cls(**options)
    config = json.loads(json.dumps(layer.get_config()))  # what a file holds
    clone = layers.deserialize({"class_name": name, "config": config})
    assert type(clone) is cls
    if shapes is None:
        assert json.loads(json.dumps(clone.get_config())) == config
        return
    x = (
        [rng.standard_normal((2,) + s).astype(np.float32) for s in shapes]
        if isinstance(shapes, list)
        else rng.standard_normal((2,) + shapes).astype(np.float32)
    )
    expected = layer(x).numpy()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), expected, rtol=1e-6)
    assert json.loads(json.dumps(clone.get_config())) == json.loads(json.dumps(layer.get_config()))


def test_a_model_of_the_new_layers_trains_saves_and_loads(tmp_path):
    registry.register_object("convlens_tests>double", _double)
    inputs = layers.Input((6, 6, 4))
    x = layers.add([layers.Conv2D(4, 3, padding="same")(inputs), inputs])
    x = layers.GroupNormalization(groups=2)(x)
    x = layers.PReLU(shared_axes=[1, 2], alpha_initializer="ones")(x)
    x = layers.UpSampling2D(interpolation="bilinear")(x)
    x = layers.Cropping2D(1)(x)
    x = layers.Lambda(_double)(x)
    x = layers.SpatialDropout2D(0.2, seed=0)(x)
    x = layers.LayerNormalization()(x)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    model = cl.models.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    prelu = model.layers[4]
    before = prelu.get_weights()[0].copy()
    data = rng.random((16, 6, 6, 4)).astype(np.float32)
    model.fit(data, rng.random((16, 2)).astype(np.float32), epochs=2, verbose=0)
    assert not np.allclose(prelu.get_weights()[0], before)  # alpha is trained
    model.save(tmp_path / "model.keras")
    loaded = cl.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
