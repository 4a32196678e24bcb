"""convlens.applications against the real Keras 3 (JAX): the same layer names in the same
order, the same weight shapes, and, with Keras's weights copied in by layer name (batch
statistics and biases randomised first, so a wrong layer shows), the same predictions; the
same parameter counts at the default sizes; and ``preprocess_input`` as Keras computes it."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import convlens as cl
from convlens import applications
from keras_oracle import real_keras

# (ours, Keras's name under keras.applications, module)
FAMILIES = {
    "VGG16": (applications.VGG16, "vgg16"),
    "ResNet50": (applications.ResNet50, "resnet50"),
    "MobileNet": (applications.MobileNet, "mobilenet"),
    "MobileNetV2": (applications.MobileNetV2, "mobilenet_v2"),
    "EfficientNetB0": (applications.EfficientNetB0, "efficientnet"),
}
# batch-norm scales wide enough that ReLU6's cap is reached (else a plain ReLU would pass)
GAMMA = {"MobileNet": (1.0, 4.0), "MobileNetV2": (1.0, 4.0)}
MAX_DIFF = {}  # the largest |ours - Keras| seen per architecture, printed with -s


@pytest.fixture(autouse=True, scope="module")
def keras_draws_with_numpy():
    """Keras's initializers on JAX compile one XLA program per weight shape (about a second
    each here, minutes for a network). Every weight is overwritten before the comparison, so
    while this module runs, Keras's initializers draw the values they ask for (same
    distribution and scale) from a seeded NumPy generator instead."""
    os.environ.setdefault("KERAS_BACKEND", "jax")  # before Keras's first import, as real_keras
    try:
        import jax
        import keras
        import keras.src.backend.jax.random as jax_random
    except ImportError:  # no Keras or no JAX: the Keras tests skip themselves
        yield
        return
    if keras.backend.backend() != "jax":
        yield
        return
    rng = np.random.default_rng(0)

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        values = rng.normal(mean, stddev, shape)
        return jax.numpy.asarray(values.astype(dtype or "float32"))

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        values = np.clip(rng.normal(0.0, 1.0, shape), -2.0, 2.0) * stddev + mean
        return jax.numpy.asarray(values.astype(dtype or "float32"))

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        values = rng.uniform(minval, maxval, shape)
        return jax.numpy.asarray(values.astype(dtype or "float32"))

    with pytest.MonkeyPatch.context() as patch:
        for draw in (normal, truncated_normal, uniform):
            patch.setattr(jax_random, draw.__name__, draw)
        yield


def fresh_pair(keras, family, **kwargs):
    """Ours and Keras's model for the same arguments, each built after its session was
    cleared, so automatically named layers (``rescaling``, ``input_layer``...) are numbered
    alike."""
    cl.backend.clear_session()
    ours = getattr(applications, family)(weights=None, **kwargs)
    keras.backend.clear_session()
    theirs = getattr(keras.applications, family)(weights=None, **kwargs)
    return ours, theirs


def randomised(layer, rng, gamma=(0.5, 1.5)):
    """``layer``'s weights with biases, batch statistics and Normalization statistics drawn at
    random (Keras initialises them to constants that would hide a wrong layer); kernels keep
    Keras's initial values (its initializers' scales) so activations stay of moderate size."""
    weights = []
    for variable, value in zip(layer.weights, layer.get_weights()):
        name = variable.path.rsplit("/", 1)[-1]
        if name == "gamma":
            value = rng.uniform(*gamma, value.shape)
        elif name in ("moving_variance", "variance"):
            value = rng.uniform(0.5, 1.5, value.shape)
        elif name in ("beta", "moving_mean", "bias", "mean"):
            value = rng.normal(0.0, 0.5, value.shape)
        weights.append(np.asarray(value, dtype=np.asarray(value).dtype))
    return weights


def copy_keras_weights(ours, theirs, seed=0, gamma=(0.5, 1.5)):
    """Check names and weight shapes layer by layer, then copy Keras's (randomised) weights
    into ours by layer name."""
    rng = np.random.default_rng(seed)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    for layer in theirs.layers:
        weights = randomised(layer, rng, gamma)
        layer.set_weights(weights)
        if hasattr(layer, "finalize_state"):  # Keras's Normalization reads its weights here
            layer.finalize_state()
        target = ours.get_layer(layer.name)
        assert [tuple(w.shape) for w in target.get_weights()] == [w.shape for w in weights], (
            layer.name
        )
        target.set_weights(weights)


def assert_same_predictions(family, ours, theirs, shape, rtol=1e-5, atol=1e-4, seed=1):
    """Both models on one seeded batch of pixels in [0, 255], preprocessed as the family's
    ``preprocess_input`` does; ``atol`` is relative to the largest output (float32 sums in
    another order differ by ~1e-5 of it after ~50 layers)."""
    keras = real_keras()
    module = getattr(keras.applications, FAMILIES[family][1])
    x = np.random.default_rng(seed).uniform(0, 255, (2, *shape)).astype("float32")
    x = module.preprocess_input(x.copy())
    expected = theirs.predict(x, verbose=0)  # one jitted program: faster than op by op
    actual = ours.predict(x, verbose=0)
    assert actual.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale)
    diff = float(np.abs(actual - expected).max())
    MAX_DIFF[family] = max(MAX_DIFF.get(family, 0.0), diff)
    print(f"{family}: max |ours - Keras| = {diff:.3g} (outputs up to {scale:.3g})")


def check_against_keras(family, shape, **kwargs):
    keras = real_keras()
    ours, theirs = fresh_pair(keras, family, input_shape=shape, **kwargs)
    assert ours.name == theirs.name
    assert ours.output_shape == tuple(theirs.output_shape)
    copy_keras_weights(ours, theirs, gamma=GAMMA.get(family, (0.5, 1.5)))
    assert ours.count_params() == theirs.count_params()
    assert_same_predictions(family, ours, theirs, shape)


# --- each architecture, without and with its classifier ----------------------------------

# (family, input_shape, arguments): one quick configuration per architecture, then the rest
QUICK = [
    ("VGG16", (32, 32, 3), dict(include_top=False, pooling="max")),
    ("ResNet50", (32, 32, 3), dict(include_top=False, pooling="avg")),
    ("MobileNet", (32, 32, 3), dict(include_top=True, classes=7, classifier_activation=None)),
    # odd sizes take the other branch of correct_pad; alpha 1.4 widens the last 1×1
    ("MobileNetV2", (35, 33, 3), dict(include_top=False, alpha=1.4)),
    ("EfficientNetB0", (33, 35, 3), dict(include_top=False)),
]
SLOW = [
    ("VGG16", (32, 32, 3), dict(include_top=True, classes=5)),
    ("ResNet50", (48, 40, 3), dict(include_top=True, classes=3, classifier_activation=None)),
    ("MobileNet", (36, 36, 3), dict(include_top=False, alpha=0.5, depth_multiplier=2)),
    ("MobileNet", (32, 32, 3), dict(include_top=False, pooling="max")),
    ("MobileNetV2", (32, 32, 3), dict(include_top=True, classes=4, classifier_activation=None)),
    ("MobileNetV2", (32, 32, 3), dict(include_top=False, pooling="avg")),
    ("MobileNetV2", (32, 32, 3), dict(include_top=False, pooling="max", alpha=0.35)),
    ("EfficientNetB0", (40, 40, 3), dict(include_top=True, classes=7, classifier_activation=None)),
    ("EfficientNetB0", (32, 32, 3), dict(include_top=False, pooling="max")),
]


def _label(case):
    family, shape, kwargs = case
    return f"{family}-{shape[0]}x{shape[1]}-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", QUICK, ids=_label)
def test_matches_keras(case):
    family, shape, kwargs = case
    check_against_keras(family, shape, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW, ids=_label)
def test_more_configurations_match_keras(case):
    family, shape, kwargs = case
    check_against_keras(family, shape, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["ResNet50", "MobileNetV2", "EfficientNetB0"])
def test_channels_first_matches_keras(family):
    """With image_data_format "channels_first" the channel axis moves (batch normalization,
    Normalization, the squeeze-and-excite reshape), in both libraries."""
    keras = real_keras()
    before = keras.config.image_data_format(), cl.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    cl.config.set_image_data_format("channels_first")
    try:
        ours, theirs = fresh_pair(keras, family, input_shape=(3, 32, 34), include_top=False)
        copy_keras_weights(ours, theirs, gamma=GAMMA.get(family, (0.5, 1.5)))
        x = np.random.default_rng(7).uniform(-1, 1, (2, 3, 32, 34)).astype("float32")
        expected = theirs.predict(x, verbose=0)
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-4 * scale)
    finally:
        keras.config.set_image_data_format(before[0])
        cl.config.set_image_data_format(before[1])


def test_efficientnet_with_kerass_imagenet_file_corrects_the_variance(tmp_path, monkeypatch):
    """Keras's EfficientNet files hold the standard deviation where Normalization's variance
    belongs; given such a file (by its published name), the model adds Keras's correcting
    Rescaling, as Keras does for weights="imagenet"."""
    loaded = []
    monkeypatch.setattr(
        applications.imagenet_utils, "load_weights", lambda m, w: loaded.append(w) or m
    )
    path = tmp_path / "efficientnetb0_notop.h5"
    path.write_bytes(b"")
    cl.backend.clear_session()
    model = applications.EfficientNetB0(weights=str(path), include_top=False)
    names = [layer.name for layer in model.layers[:5]]
    assert names == ["input_layer", "rescaling", "normalization", "rescaling_1", "stem_conv_pad"]
    np.testing.assert_allclose(
        model.get_layer("rescaling_1").scale, [1 / np.sqrt(s) for s in (0.229, 0.224, 0.225)]
    )
    assert loaded == [str(path)]
    other = tmp_path / "mine.weights.h5"
    other.write_bytes(b"")
    model = applications.EfficientNetB0(weights=str(other), include_top=False)
    assert "rescaling_1" not in [layer.name for layer in model.layers]


@pytest.mark.slow
def test_classifier_activation_is_applied():
    keras = real_keras()
    ours, theirs = fresh_pair(
        keras, "MobileNet", input_shape=(32, 32, 3), classes=6, classifier_activation="sigmoid"
    )
    copy_keras_weights(ours, theirs)
    assert_same_predictions("MobileNet", ours, theirs, (32, 32, 3))
    outputs = ours.predict(np.zeros((1, 32, 32, 3), "float32"), verbose=0)
    assert outputs.shape == (1, 6) and ((outputs > 0) & (outputs < 1)).all()


# --- parameter counts at Keras's default input size (EfficientNetB1...B7: larger), 1000 classes


@pytest.mark.parametrize(
    "family",
    [
        "ResNet50",
        "MobileNet",
        "MobileNetV2",
        "EfficientNetB0",
        pytest.param("VGG16", marks=pytest.mark.slow),
        pytest.param("ResNet101", marks=pytest.mark.slow),
        pytest.param("ResNet152", marks=pytest.mark.slow),
        *(pytest.param(f"EfficientNetB{i}", marks=pytest.mark.slow) for i in range(1, 8)),
    ],
)
def test_parameter_counts_match_keras(family):
    keras = real_keras()
    ours, theirs = fresh_pair(keras, family)
    assert ours.input_shape == tuple(theirs.input_shape)  # (None, 224, 224, 3) for most
    assert ours.count_params() == theirs.count_params()
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]


def test_published_parameter_counts():
    """The figures Keras's documentation gives (the Keras comparison runs above)."""
    assert applications.ResNet50(weights=None).count_params() == 25_636_712
    assert applications.MobileNetV2(weights=None).count_params() == 3_538_984


# --- preprocess_input, as Keras computes it ----------------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(family, data_format):
    keras = real_keras()
    theirs = getattr(keras.applications, FAMILIES[family][1]).preprocess_input
    ours = getattr(applications, FAMILIES[family][1]).preprocess_input
    images = np.random.default_rng(2).uniform(0, 255, (3, 8, 6, 3)).astype("float32")
    if data_format == "channels_first":
        images = images.transpose(0, 3, 1, 2).copy()
    original = images.copy()
    actual = ours(images, data_format=data_format)
    np.testing.assert_allclose(actual, theirs(images.copy(), data_format=data_format), rtol=1e-6)
    np.testing.assert_array_equal(images, original)  # ours never writes over its input
    one = ours(images[0], data_format=data_format)  # one image, no batch axis
    np.testing.assert_allclose(one, theirs(images[0].copy(), data_format=data_format), rtol=1e-6)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_modes_match_keras_for_integer_images(mode):
    keras = real_keras()
    images = np.random.default_rng(3).integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    actual = applications.imagenet_utils.preprocess_input(images, mode=mode)
    expected = keras.applications.imagenet_utils.preprocess_input(images.copy(), mode=mode)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


def test_preprocess_input_on_tensors_and_in_a_graph():
    images = np.random.default_rng(4).uniform(0, 255, (2, 6, 6, 3)).astype("float32")
    expected = applications.vgg16.preprocess_input(images)
    tensor = applications.vgg16.preprocess_input(cl.Tensor(images))
    np.testing.assert_allclose(tensor.numpy(), expected, rtol=1e-6)
    inputs = cl.layers.Input((6, 6, 3))
    model = cl.models.Model(inputs, applications.vgg16.preprocess_input(inputs))
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-6)


def test_preprocess_input_rejects_unknown_arguments():
    with pytest.raises(ValueError, match="mode"):
        applications.imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), mode="keras")
    with pytest.raises(ValueError, match="data_format"):
        applications.vgg16.preprocess_input(np.zeros((1, 2, 2, 3)), data_format="nhwc")


# --- decode_predictions, offline ---------------------------------------------------------


def test_decode_predictions_reads_keras_cache_only(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    preds = np.random.default_rng(5).random((2, 1000)).astype("float32")
    with pytest.raises(ValueError, match="imagenet_class_index.json"):
        applications.resnet.decode_predictions(preds)
    (tmp_path / "models").mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    decoded = applications.resnet.decode_predictions(preds, top=3)
    for row, pred in zip(decoded, preds):
        best = sorted(range(1000), key=lambda i: -pred[i])[:3]
        assert [entry[1] for entry in row] == [f"class_{i}" for i in best]
        assert [entry[2] for entry in row] == [pred[i] for i in best]
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        applications.vgg16.decode_predictions(preds[:, :10])


# --- arguments, with Keras's rules and clear errors --------------------------------------


@pytest.mark.parametrize("family", list(FAMILIES))
def test_imagenet_weights_say_what_to_download(family):
    build = FAMILIES[family][0]
    with pytest.raises(ValueError, match=r"download.*\.h5.*weights='/path/to/") as error:
        build(weights="imagenet", include_top=False)
    assert "https://storage.googleapis.com/" in str(error.value)


def test_imagenet_file_names_are_kerass():
    expectations = [
        (applications.VGG16, {}, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (applications.ResNet50, {}, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (applications.MobileNet, {"input_shape": (160, 160, 3)}, "mobilenet_1_0_160_tf_no_top"),
        (
            applications.MobileNetV2,
            {"alpha": 0.35},
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
        ),
        (applications.EfficientNetB0, {}, "efficientnetb0_notop.h5"),
    ]
    for build, kwargs, file_name in expectations:
        with pytest.raises(ValueError, match=file_name.replace(".", r"\.")):
            build(weights="imagenet", include_top=False, **kwargs)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_input_shape_rules(family):
    build = FAMILIES[family][0]
    with pytest.raises(ValueError, match=r"at least 32x32.*input_shape=\(31, 40, 3\)"):
        build(weights=None, include_top=False, input_shape=(31, 40, 3))
    with pytest.raises(ValueError, match="static `input_shape`"):
        build(weights=None, include_top=True, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="three integers"):
        build(weights=None, include_top=False, input_shape=(32, 32))
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        build(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="no file at 'nowhere.h5'"):
        build(weights="nowhere.h5", include_top=False)
    with pytest.raises(ValueError, match="`pooling`"):
        build(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="sum")
    model = build(weights=None, include_top=False)
    assert model.input_shape == (None, None, None, 3)


def test_pretrained_classifier_activation_must_be_softmax_or_none(tmp_path):
    path = tmp_path / "some.weights.h5"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        applications.MobileNet(
            weights=str(path), input_shape=(32, 32, 3), classifier_activation="relu"
        )


def test_weights_path_is_loaded_by_the_model(tmp_path):
    """``weights=<path>`` runs ``model.load_weights(path)``: a model saved with
    save_weights comes back with the same predictions."""
    source = applications.MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3))
    rng = np.random.default_rng(6)
    for layer in source.layers:
        layer.set_weights([w + rng.normal(0, 0.05, w.shape) for w in layer.get_weights()])
    path = tmp_path / "mobilenet_v2.weights.h5"
    source.save_weights(str(path))
    loaded = applications.MobileNetV2(weights=str(path), include_top=False, input_shape=(32, 32, 3))
    x = rng.uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), source.predict(x, verbose=0))


def test_input_tensor_is_used_and_its_source_is_the_model_input():
    inputs = cl.layers.Input((32, 32, 3))
    scaled = cl.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    model = applications.MobileNetV2(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is inputs
    assert model.output_shape == (None, 1, 1, 1280)
    with pytest.raises(TypeError, match="input_tensor"):
        applications.VGG16(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_default_names_follow_keras():
    assert applications.MobileNet(weights=None, input_shape=(128, 128, 3)).name == (
        "mobilenet_1.00_128"
    )
    model = applications.MobileNetV2(weights=None, alpha=0.5, include_top=False)
    assert model.name == "mobilenetv2_0.50_None"
    assert applications.VGG16(weights=None, include_top=False, name="backbone").name == "backbone"


def test_lecture_models_stay_importable():
    from convlens.applications import MODELS, colour_cnn, lenet5

    assert MODELS == {"lenet5": lenet5, "colour_cnn": colour_cnn}
    assert lenet5().count_params() == 61_706


def test_rescaling_takes_a_scale_per_channel_as_keras():
    """EfficientNet's ImageNet stem scales each channel by its own factor (a list scale)."""
    keras = real_keras()
    scale = [1 / np.sqrt(s) for s in (0.229, 0.224, 0.225)]
    x = np.random.default_rng(8).normal(size=(2, 4, 4, 3)).astype("float32")
    ours = cl.layers.Rescaling(scale, offset=0.5)
    theirs = keras.layers.Rescaling(scale, offset=0.5)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)
    assert ours.get_config()["scale"] == pytest.approx(theirs.get_config()["scale"])


@pytest.mark.parametrize("kind", ["keras3", "keras2"])
@pytest.mark.parametrize(
    "family, kwargs",
    [
        ("MobileNetV2", dict(include_top=False, input_shape=(32, 32, 3))),
        pytest.param(
            "EfficientNetB0",
            dict(include_top=True, classes=5, input_shape=(32, 32, 3)),
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "ResNet50", dict(include_top=False, input_shape=(32, 32, 3)), marks=pytest.mark.slow
        ),
    ],
)
def test_weights_written_by_keras_load_by_path(tmp_path, family, kwargs, kind):
    """Keras writes the file (its own ``.weights.h5``, or a Keras 2 ``.h5`` laid out as the
    published ImageNet files are); ``weights=<path>`` gives ours Keras's predictions."""
    pytest.importorskip("h5py")
    keras = real_keras()
    keras.backend.clear_session()
    theirs = getattr(keras.applications, family)(weights=None, **kwargs)
    rng = np.random.default_rng(9)
    for layer in theirs.layers:
        layer.set_weights(randomised(layer, rng, GAMMA.get(family, (0.5, 1.5))))
        if hasattr(layer, "finalize_state"):
            layer.finalize_state()
    if kind == "keras3":
        path = tmp_path / "model.weights.h5"
        theirs.save_weights(str(path))
    else:
        import h5py
        from keras.src.legacy.saving import legacy_h5_format

        path = tmp_path / "model_tf_kernels.h5"
        with h5py.File(path, "w") as file:
            legacy_h5_format.save_weights_to_hdf5_group(file, theirs)
    cl.backend.clear_session()
    ours = getattr(applications, family)(weights=str(path), **kwargs)
    x = np.random.default_rng(10).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    expected = theirs.predict(x, verbose=0)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-4 * scale)
