"""The image preprocessing and augmentation layers against the real Keras 3 (JAX).

Deterministic layers (Resizing, CenterCrop, Normalization, every random layer at inference)
are compared value by value. Random layers in training are compared where the draw cannot
matter: a degenerate factor range such as ``(0.25, 0.25)`` fixes the transform, so Keras's
output for it is the oracle; otherwise by properties any draw must satisfy (a flip is one of
the flips, a crop is a window of the input). The sampler is checked against Keras's
``ops.image.affine_transform`` for every fill mode and interpolation, and its gradient by the
dot-product test (it is linear: <A x, g> = <x, Aᵀ g>).
"""

import json

import numpy as np
import pytest

import convlens as cl
from convlens import layers, utils
from convlens.layers import serialization_api
from convlens.ops.affine import affine_transform
from convlens.rng import set_global_seed
from convlens.tensor import Tensor
from keras_oracle import real_keras

rng = np.random.default_rng(0)
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def images(shape=(3, 7, 9, 2), high=1.0):
    return (rng.random(shape) * high).astype(np.float32)


def keras_out(layer, x, **kwargs):
    return np.asarray(layer(x, **kwargs))


# ----- the sampler -----


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_affine_transform_matches_keras(fill_mode, interpolation):
    keras = real_keras()
    x = images()
    transform = np.zeros((3, 8), np.float32)
    transform[:, :6] = rng.normal(size=(3, 6)) * 0.3 + np.array([1, 0, 0, 0, 1, 0])
    transform[:, [2, 5]] *= 10  # shifts of several pixels: far outside the image
    options = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5)
    expected = np.asarray(keras.ops.image.affine_transform(x, transform, **options))
    np.testing.assert_allclose(
        affine_transform(x, transform, **options).numpy(), expected, atol=1e-5
    )
    single = affine_transform(x[0], transform[0], **options).numpy()
    np.testing.assert_allclose(single, expected[0], atol=1e-5)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_affine_transform_gradient_is_the_transpose(fill_mode):
    x = Tensor(images((2, 5, 6, 3)).astype(np.float64), requires_grad=True)
    transform = [[0.9, 0.2, 1.3, -0.3, 1.1, -0.7, 0, 0], [1, 0, -2.5, 0, 1, 1.5, 0, 0]]
    g = rng.normal(size=x.shape)
    out = affine_transform(x, transform, fill_mode=fill_mode)
    cl.ops.sum(cl.ops.multiply(out, g)).backward()
    assert np.isclose((out.numpy() * g).sum(), (x.numpy() * x.grad).sum(), rtol=1e-10)


def test_affine_transform_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        affine_transform(images(), [1, 0, 0, 0, 1, 0, 0, 0], fill_mode="mirror")
    with pytest.raises(ValueError, match=r"one per image, shape \(3, 8\), received shape \(2, 8\)"):
        affine_transform(images(), np.zeros((2, 8)))


# ----- deterministic layers -----


@pytest.mark.parametrize(
    "options",
    [
        dict(height=4, width=5),
        dict(height=11, width=4, interpolation="nearest"),
        dict(height=3, width=3, crop_to_aspect_ratio=True),
        dict(height=3, width=4, antialias=True),
        dict(height=4, width=4, pad_to_aspect_ratio=True, fill_value=0.5),
        dict(height=2, width=6, pad_to_aspect_ratio=True),
    ],
)
def test_resizing_matches_keras(options):
    keras = real_keras()
    x = images((2, 7, 9, 3), 255)
    expected = keras_out(keras.layers.Resizing(**options), x)
    np.testing.assert_allclose(
        layers.Resizing(**options)(x).numpy(), expected, rtol=1e-5, atol=1e-3
    )


@pytest.mark.parametrize("size", [(4, 5), (7, 9), (9, 4), (10, 12)])
def test_center_crop_matches_keras(size):
    keras = real_keras()
    x = images((2, 7, 9, 3))
    expected = keras_out(keras.layers.CenterCrop(*size), x)
    np.testing.assert_allclose(layers.CenterCrop(*size)(x).numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(layers.CenterCrop(*size)(x[0]).numpy(), expected[0], atol=1e-5)


@pytest.mark.parametrize("axis", [-1, None, (1, 3), 2])
def test_normalization_adapt_matches_keras(axis):
    keras = real_keras()
    x = images((6, 4, 5, 3), 10)
    theirs, ours = keras.layers.Normalization(axis=axis), layers.Normalization(axis=axis)
    theirs.adapt(x)
    ours.adapt(x)
    np.testing.assert_allclose(ours(x).numpy(), keras_out(theirs, x), rtol=1e-5, atol=1e-5)
    # An iterable of batches (Keras needs TensorFlow for those): the merged statistics equal
    # those of the whole array, which Keras computed.
    ours.adapt(iter([x[:2], x[2:5], x[5:]]))
    np.testing.assert_allclose(ours(x).numpy(), keras_out(theirs, x), rtol=1e-5, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_normalization_fixed_statistics_and_invert_match_keras():
    keras = real_keras()
    x = images((4, 3), 5)
    options = dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25])
    for invert in (False, True):
        expected = keras_out(keras.layers.Normalization(invert=invert, **options), x)
        ours = layers.Normalization(invert=invert, **options)(x).numpy()
        np.testing.assert_allclose(ours, expected, rtol=1e-6)
    assert layers.Normalization(**options).count_params() == 0  # nothing to save


def test_normalization_adapted_inside_a_model_saves_and_loads(tmp_path):
    x = images((8, 4, 4, 2), 255)
    norm = layers.Normalization()
    norm.adapt(x)
    model = cl.Sequential([layers.Input((4, 4, 2)), norm, layers.Flatten(), layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    loaded = cl.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- random layers at inference: Keras's identity, RandomCrop as Keras documents -----

RANDOM_LAYERS = {
    "RandomFlip": dict(mode="horizontal_and_vertical", seed=1),
    "RandomRotation": dict(factor=0.2, seed=1),
    "RandomZoom": dict(height_factor=0.3, width_factor=-0.2, seed=1),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.3, seed=1),
    "RandomContrast": dict(factor=0.5, seed=1),
    "RandomBrightness": dict(factor=0.5, seed=1),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_random_layers_are_the_identity_at_inference(name):
    keras = real_keras()
    x = images((2, 6, 7, 3), 255)
    theirs = getattr(keras.layers, name)(**RANDOM_LAYERS[name])
    ours = getattr(layers, name)(**RANDOM_LAYERS[name])
    np.testing.assert_array_equal(
        ours(x, training=False).numpy(), keras_out(theirs, x, training=False)
    )
    np.testing.assert_array_equal(ours(x, training=False).numpy(), x)
    model = cl.Sequential([layers.Input((6, 7, 3)), ours])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_random_crop_at_inference_is_keras_smart_resize():
    keras = real_keras()
    x = images((2, 7, 9, 3))
    expected = np.asarray(keras.preprocessing.image.smart_resize(x, (4, 4)))
    ours = layers.RandomCrop(4, 4, seed=3)(x, training=False).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)


# ----- random layers in training -----


def test_random_flip_gives_one_of_the_flips_of_each_image():
    x = images((16, 5, 6, 1))
    cases = {
        "horizontal": [x, x[:, :, ::-1]],
        "vertical": [x, x[:, ::-1]],
        "horizontal_and_vertical": [x, x[:, ::-1, ::-1]],  # Keras: both flips or neither
    }
    for mode, choices in cases.items():
        out = layers.RandomFlip(mode, seed=0)(x, training=True).numpy()
        which = [[np.array_equal(out[i], c[i]) for c in choices] for i in range(len(x))]
        assert all(any(w) for w in which), mode
        assert {w.index(True) for w in which} == {0, 1}, mode  # 16 images: both outcomes


def test_keras_flip_draws_have_the_same_outcomes():
    keras = real_keras()
    x = images((16, 5, 6, 1))
    out = keras_out(keras.layers.RandomFlip("horizontal_and_vertical", seed=0), x, training=True)
    assert all(np.array_equal(o, a) or np.array_equal(o, a[::-1, ::-1]) for o, a in zip(out, x))


def test_a_quarter_turn_is_rot90():
    x = images((3, 6, 6, 2))
    for interpolation in INTERPOLATIONS:
        turn = layers.RandomRotation((0.25, 0.25), interpolation=interpolation)
        out = turn(x, training=True).numpy()
        np.testing.assert_allclose(out, np.rot90(x, k=1, axes=(1, 2)), atol=1e-5)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("factor", [(0.25, 0.25), (0.06, 0.06), (-0.1, -0.1)])
def test_a_fixed_rotation_matches_keras(factor, fill_mode, interpolation):
    keras = real_keras()
    # Not square, so the turn uncovers corners; H - W even, so a quarter turn lands on whole
    # pixels (on half pixels, nearest's ties would follow Keras's float32 rounding errors).
    x = images((2, 6, 8, 2))
    options = dict(factor=factor, fill_mode=fill_mode, interpolation=interpolation, fill_value=0.3)
    expected = keras_out(keras.layers.RandomRotation(**options), x, training=True)
    np.testing.assert_allclose(layers.RandomRotation(**options)(x).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("factors", [((0.1, 0.1), (0.1, 0.1)), ((-0.3, -0.3), (0.55, 0.55))])
def test_a_fixed_translation_matches_keras(factors, fill_mode, interpolation):
    keras = real_keras()
    x = images((2, 10, 8, 2))
    options = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=0.7)
    expected = keras_out(keras.layers.RandomTranslation(*factors, **options), x, training=True)
    ours = layers.RandomTranslation(*factors, **options)(x).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("factors", [((0.3, 0.3), None), ((-0.4, -0.4), (0.2, 0.2))])
def test_a_fixed_zoom_matches_keras(factors, fill_mode):
    keras = real_keras()
    x = images((2, 8, 10, 3))
    options = dict(fill_mode=fill_mode, fill_value=0.1)
    expected = keras_out(keras.layers.RandomZoom(*factors, **options), x, training=True)
    np.testing.assert_allclose(
        layers.RandomZoom(*factors, **options)(x).numpy(), expected, atol=1e-5
    )


def test_contrast_formula_matches_keras_for_given_factors():
    keras = real_keras()
    x = images((3, 5, 4, 3), 255)
    factors = np.array([0.3, 1.0, 1.7], np.float32).reshape(3, 1, 1, 1)
    theirs = keras.layers.RandomContrast(0.5)
    expected = np.asarray(theirs.transform_images(x, {"contrast_factor": factors}, training=True))
    ours = layers.RandomContrast(0.5).adjust(Tensor(x), factors).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-3)


def test_random_contrast_draws_stay_in_the_documented_range():
    x = 50 + images((64, 4, 4, 1), 100)  # contrast 1.4 keeps them within (0, 255)
    out = layers.RandomContrast((0.2, 0.4), seed=0)(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    away = np.abs(x - mean) > 5  # where the ratio is well conditioned in float32
    c = (out - mean) / np.where(away, x - mean, 1)
    per_image = np.nanmedian(np.where(away, c, np.nan), axis=(1, 2, 3))  # (64,)
    np.testing.assert_allclose(
        c[away], np.broadcast_to(per_image[:, None, None, None], c.shape)[away], rtol=1e-3
    )
    assert 0.8 <= per_image.min() and per_image.max() <= 1.4  # [1 - 0.2, 1 + 0.4]
    assert per_image.max() - per_image.min() > 0.3


@pytest.mark.parametrize("value_range", [(0, 255), (0.0, 1.0), (-1, 1)])
def test_a_fixed_brightness_matches_keras(value_range):
    keras = real_keras()
    low, high = value_range
    x = (images((2, 4, 5, 3)) * (high - low) + low).astype(np.float32)
    for factor in [(0.1, 0.1), (-0.3, -0.3), (0.6, 0.6)]:  # 0.6: some pixels clipped
        options = dict(factor=factor, value_range=value_range)
        expected = keras_out(keras.layers.RandomBrightness(**options), x, training=True)
        np.testing.assert_allclose(
            layers.RandomBrightness(**options)(x).numpy(), expected, atol=1e-5
        )


def test_random_crop_in_training_is_one_window_of_the_batch():
    keras = real_keras()
    x = images((3, 7, 9, 2))
    for layer in (layers.RandomCrop(4, 5, seed=2), keras.layers.RandomCrop(4, 5, seed=2)):
        out = np.asarray(layer(x, training=True))
        windows = [
            (top, left)
            for top in range(4)
            for left in range(5)
            if np.array_equal(out, x[:, top : top + 4, left : left + 5])
        ]
        assert len(windows) == 1, type(layer).__module__
    tops = {
        layers.RandomCrop(2, 2, seed=s)(x, training=True).numpy()[0, 0, 0, 0] for s in range(20)
    }
    assert len(tops) > 5  # the window moves from draw to draw


# ----- the training rule, seeding, inside models -----


def test_a_direct_call_augments_as_in_keras():
    keras = real_keras()
    x = images((8, 6, 6, 1))
    theirs = keras_out(keras.layers.RandomFlip("horizontal", seed=0), x)  # no training given
    ours = layers.RandomFlip("horizontal", seed=0)(x).numpy()
    assert not np.array_equal(theirs, x) and not np.array_equal(ours, x)


def test_seeded_layers_repeat_and_successive_calls_differ():
    x = images((4, 6, 6, 3), 255)
    for name, options in RANDOM_LAYERS.items():
        first, second = (getattr(layers, name)(**options) for _ in range(2))
        a, b = first(x).numpy(), second(x).numpy()
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert not np.array_equal(first(x).numpy(), a), name  # the stream continues


def test_unseeded_layers_follow_the_global_seed():
    x = images((4, 6, 6, 3))
    outputs = []
    for _ in range(2):
        utils.set_random_seed(11)
        outputs.append(layers.RandomRotation(0.2)(x).numpy())
    set_global_seed(None)  # back to fresh entropy for the tests that follow
    np.testing.assert_array_equal(*outputs)


def test_augmentation_trains_inside_sequential_and_functional_models(tmp_path):
    x = images((16, 8, 8, 1))
    y = rng.random((16, 1)).astype(np.float32)
    augment = [layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.1, seed=2)]
    inputs = layers.Input((8, 8, 1))
    h = inputs
    for layer in augment:
        h = layer(h)
    h = layers.Conv2D(2, 3)(h)
    model = cl.Model(inputs, layers.Dense(1)(layers.Flatten()(h)))
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.layers[3].get_weights()[0].copy()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(model.layers[3].get_weights()[0], kernel)
    model.save(tmp_path / "m.keras")
    loaded = cl.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    sequential = cl.Sequential(
        [layers.Input((8, 8, 1)), layers.RandomZoom(0.2), layers.Resizing(4, 4)]
    )
    assert sequential.output_shape == (None, 4, 4, 1)
    assert sequential(x, training=True).shape == (16, 4, 4, 1)


def test_gradient_flows_through_a_random_transform():
    x = Tensor(images((2, 5, 5, 1)).astype(np.float64), requires_grad=True)
    layer = layers.RandomRotation(0.2, seed=0, dtype="float64")
    out = layer(x, training=True)
    cl.ops.sum(out).backward()
    assert x.grad.shape == x.shape and np.isfinite(x.grad).all() and np.abs(x.grad).sum() > 0


# ----- argument errors name the layer -----


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.RandomFlip("diagonal", name="f"), r'RandomFlip "f": mode must be one of'),
        (lambda: layers.RandomRotation(1.5, name="r"), r'RandomRotation "r": factor must be'),
        (
            lambda: layers.RandomRotation(0.1, fill_mode="mirror", name="r2"),
            r'RandomRotation "r2": fill_mode must be one of',
        ),
        (
            lambda: layers.RandomTranslation(0.1, (0.1, 2), name="t"),
            r'RandomTranslation "t": width_factor must be',
        ),
        (lambda: layers.RandomZoom(-1.0, name="z"), r'RandomZoom "z": height_factor must be'),
        (
            lambda: layers.RandomZoom(0.1, interpolation="bicubic", name="z2"),
            r'RandomZoom "z2": interpolation must be one of',
        ),
        (lambda: layers.RandomContrast(-0.1, name="c"), r'RandomContrast "c": factor must be'),
        (
            lambda: layers.RandomBrightness(0.1, value_range=(1,), name="b"),
            r'RandomBrightness "b": value_range must be',
        ),
        (lambda: layers.RandomCrop(0, 3, name="k"), r'RandomCrop "k": height must be a positive'),
        (lambda: layers.RandomFlip(seed=-1, name="s"), r'RandomFlip "s": seed must be'),
        (lambda: layers.Resizing(2, 2, interpolation="area", name="rs"), r'Resizing "rs": interp'),
        (lambda: layers.CenterCrop(2, "3", name="cc"), r'CenterCrop "cc": width must be'),
        (lambda: layers.Normalization(mean=1.0, name="n"), r'Normalization "n": give both mean'),
    ],
)
def test_bad_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_name_the_layer():
    with pytest.raises(ValueError, match=r'RandomFlip "flip_x": expected images of rank 3'):
        layers.RandomFlip(name="flip_x")(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r'Normalization "nz": adapt\(\) received no data'):
        layers.Normalization(name="nz").adapt([])


# ----- configs: Keras's keys, JSON round trips -----

CONFIG_CASES = {
    "RandomFlip": dict(mode="vertical", seed=3),
    "RandomRotation": dict(factor=(-0.2, 0.3), fill_mode="constant", fill_value=1.0, seed=3),
    "RandomZoom": dict(height_factor=(0.1, 0.2), width_factor=0.3, interpolation="nearest"),
    "RandomTranslation": dict(height_factor=0.1, width_factor=(-0.2, 0.1), fill_mode="wrap"),
    "RandomContrast": dict(factor=(0.1, 0.3), value_range=(0, 1), seed=4),
    "RandomBrightness": dict(factor=(-0.1, 0.2), value_range=(-1, 1)),
    "RandomCrop": dict(height=3, width=2, seed=5),
    "Resizing": dict(height=3, width=2, interpolation="nearest", crop_to_aspect_ratio=True),
    "CenterCrop": dict(height=3, width=2),
    "Normalization": dict(axis=(1, 2), mean=[1.0, 2.0], variance=[3.0, 4.0], invert=True),
}


@pytest.mark.parametrize("name", sorted(CONFIG_CASES))
def test_config_has_keras_keys_and_travels_through_keras(name):
    keras = real_keras()
    ours = getattr(layers, name)(**CONFIG_CASES[name])
    theirs = getattr(keras.layers, name)(**CONFIG_CASES[name])
    assert set(ours.get_config()) == set(theirs.get_config())
    rebuilt = keras.layers.deserialize(json.loads(json.dumps(serialization_api.serialize(ours))))
    back = serialization_api.deserialize(json.loads(json.dumps(keras.layers.serialize(rebuilt))))
    assert back.get_config() == ours.get_config()


def test_augmentation_grid_draws_n_samples(tmp_path):
    pytest.importorskip("matplotlib")
    from convlens import viz

    image = images((12, 16, 3), 255)
    layer = layers.RandomFlip(seed=0)
    stream_before = layer.rng.bit_generator.state
    figure = viz.augmentation_grid(layer, image, n=4, seed=1, path=tmp_path / "grid.png")
    assert sum(axis.images != [] for axis in figure.axes) == 4
    assert (tmp_path / "grid.png").stat().st_size > 1000
    assert layer.rng.bit_generator.state == stream_before  # the picture changed no stream
    with pytest.raises(ValueError, match="augmentation_grid: expected one image"):
        viz.augmentation_grid(layer, image[None])


def test_fit_augments_and_predict_does_not():
    class Recorder(layers.Layer):
        seen = []

        def call(self, inputs):
            Recorder.seen.append(inputs.numpy().copy())
            return inputs

    x = images((4, 3, 3, 1), 0.3)
    inputs = layers.Input((3, 3, 1))
    shifted = layers.RandomBrightness((0.5, 0.5), value_range=(0, 1))(inputs)
    outputs = layers.Dense(1)(layers.Flatten()(Recorder()(shifted)))
    model = cl.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    Recorder.seen.clear()
    model.fit(x, np.zeros((4, 1)), batch_size=4, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(Recorder.seen[-1], x + 0.5, atol=1e-6)
    Recorder.seen.clear()
    model.predict(x, verbose=0)
    np.testing.assert_allclose(Recorder.seen[-1], x)


def test_normalization_adapts_on_pairs_and_nested_lists():
    x = images((6, 3), 4)
    oracle = [x.mean(axis=0), x.var(axis=0)]
    for data in ([(x[:4], np.zeros(4)), (x[4:], np.zeros(2))], x.tolist()):
        layer = layers.Normalization()
        layer.adapt(data)
        for got, want in zip(layer.get_weights(), oracle):
            np.testing.assert_allclose(got, want, rtol=1e-5)
