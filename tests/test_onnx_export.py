"""Model.export(format="onnx"): ONNX Runtime runs the exported graph, and its outputs must
equal convlens's ``model.predict`` (the oracle is onnxruntime, a test-only dependency).

Every layer configuration is one line of CASES; each is exported inside a small model with
seeded random weights (BatchNormalization's moving statistics too) and run at batch sizes 1
and 3, so the batch axis must be dynamic.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from convlens import applications, layers, models

onnx = pytest.importorskip("onnx", reason="ONNX export is an optional extra")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is the tests' oracle")

L = layers
RTOL, ATOL = 1e-5, 1e-5


def randomize(model, seed=0):
    """Seeded non-trivial weights: normals, and variances (moving_variance) in [0.5, 2]."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape = tuple(weight.shape)
        if "variance" in (weight.path or ""):
            value = rng.uniform(0.5, 2.0, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        weight.assign(value.astype(weight.dtype))
    return model


def run_onnx(path, inputs):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {arg.name: x for arg, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feed)


def check_export(model, tmp_path, batch_sizes=(1, 3), seed=1, spatial=None):
    """Export ``model``, check the file, and compare onnxruntime with predict (``spatial``
    fills the input's unknown sizes)."""
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    rng = np.random.default_rng(seed)
    for n in batch_sizes:
        inputs = [
            rng.normal(0.0, 2.0, (n, *(spatial or symbol.shape[1:]))).astype("float32")
            for symbol in model.inputs
        ]
        expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        expected = expected if isinstance(expected, list) else [expected]
        received = run_onnx(path, inputs)
        assert len(received) == len(expected)
        for ours, theirs in zip(expected, received):
            assert theirs.shape == ours.shape
            np.testing.assert_allclose(theirs, ours, rtol=RTOL, atol=ATOL)
    return proto


def single_layer_model(layer, input_shape):
    return randomize(models.Sequential([L.Input(input_shape), layer]))


CASES = {
    # convolutions: strides, dilation, groups, every padding form and mode
    "conv2d_valid": (lambda: L.Conv2D(4, 3), (9, 9, 3)),
    "conv2d_same_stride2": (lambda: L.Conv2D(4, 3, strides=2, padding="same"), (9, 8, 3)),
    "conv2d_same_even_kernel": (
        lambda: L.Conv2D(4, (2, 4), strides=(2, 3), padding="same"),
        (9, 10, 3),
    ),
    "conv2d_dilated_same": (lambda: L.Conv2D(4, 3, dilation_rate=2, padding="same"), (9, 9, 3)),
    "conv2d_dilated_rect": (lambda: L.Conv2D(2, (3, 2), dilation_rate=(1, 3)), (8, 9, 2)),
    "conv2d_groups": (lambda: L.Conv2D(6, 3, groups=3, padding="same"), (8, 8, 6)),
    "conv2d_explicit_int": (lambda: L.Conv2D(4, 3, padding=1), (7, 7, 2)),
    "conv2d_explicit_pair": (lambda: L.Conv2D(4, 3, padding=(2, 1)), (7, 7, 2)),
    "conv2d_stride_dilation_groups": (
        lambda: L.Conv2D(4, 3, strides=2, dilation_rate=2, groups=2, padding="same"),
        (11, 10, 4),
    ),
    "conv2d_reflect_stride_dilation": (
        lambda: L.Conv2D(3, 3, strides=(2, 1), dilation_rate=2, padding=2, padding_mode="reflect"),
        (9, 8, 2),
    ),
    "conv2d_explicit_pairs": (lambda: L.Conv2D(4, 3, padding=((1, 2), (0, 3))), (7, 7, 2)),
    "conv2d_reflect_same": (
        lambda: L.Conv2D(4, 3, padding="same", padding_mode="reflect"),
        (7, 7, 2),
    ),
    "conv2d_replicate": (lambda: L.Conv2D(4, 3, padding=2, padding_mode="replicate"), (7, 7, 2)),
    "conv2d_circular": (
        lambda: L.Conv2D(4, 3, strides=2, padding=((1, 2), (2, 1)), padding_mode="circular"),
        (7, 8, 2),
    ),
    "conv2d_no_bias_tanh": (lambda: L.Conv2D(4, 3, use_bias=False, activation="tanh"), (6, 6, 2)),
    "conv2d_channels_first": (
        lambda: L.Conv2D(4, 3, padding="same", data_format="channels_first"),
        (3, 8, 8),
    ),
    "conv1d_valid": (lambda: L.Conv1D(4, 3), (10, 3)),
    "conv1d_channels_first": (
        lambda: L.Conv1D(4, 3, strides=2, padding="same", data_format="channels_first"),
        (3, 10),
    ),
    "conv1d_causal_dilated": (lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2), (12, 3)),
    "conv1d_same_stride": (lambda: L.Conv1D(4, 4, strides=3, padding="same"), (11, 3)),
    "conv1d_groups": (lambda: L.Conv1D(4, 3, groups=2, activation="relu"), (10, 4)),
    "depthwise_same_multiplier": (
        lambda: L.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        (8, 8, 3),
    ),
    "depthwise_stride": (lambda: L.DepthwiseConv2D(3, strides=2), (9, 9, 3)),
    "depthwise_dilated": (lambda: L.DepthwiseConv2D(3, dilation_rate=2), (9, 9, 2)),
    "depthwise_reflect": (
        lambda: L.DepthwiseConv2D(3, padding="same", padding_mode="reflect"),
        (6, 6, 2),
    ),
    "separable": (
        lambda: L.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", activation="relu"),
        (8, 8, 3),
    ),
    "separable_stride_no_bias": (
        lambda: L.SeparableConv2D(5, 3, strides=2, use_bias=False),
        (9, 9, 3),
    ),
    "conv_transpose_valid_s2": (lambda: L.Conv2DTranspose(4, 3, strides=2), (5, 5, 3)),
    "conv_transpose_same_s2": (
        lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same"),
        (5, 4, 3),
    ),
    "conv_transpose_stride_gt_kernel": (lambda: L.Conv2DTranspose(4, 2, strides=3), (4, 4, 3)),
    "conv_transpose_output_padding": (
        lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1),
        (4, 4, 2),
    ),
    "conv_transpose_dilated": (lambda: L.Conv2DTranspose(4, 3, dilation_rate=2), (5, 5, 2)),
    "conv_transpose_even_same": (
        lambda: L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="sigmoid"),
        (5, 5, 2),
    ),
    # pooling
    "maxpool_valid": (lambda: L.MaxPooling2D(), (9, 9, 3)),
    "maxpool_same_stride": (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (9, 8, 3)),
    "avgpool_same": (lambda: L.AveragePooling2D(3, strides=2, padding="same"), (9, 8, 3)),
    "avgpool_rect": (lambda: L.AveragePooling2D((2, 3)), (8, 9, 2)),
    "minpool_same": (lambda: L.MinPooling2D(padding="same"), (7, 7, 2)),
    "maxpool_channels_first": (lambda: L.MaxPooling2D(data_format="channels_first"), (3, 8, 8)),
    "maxpool1d_same": (lambda: L.MaxPooling1D(3, strides=2, padding="same"), (11, 3)),
    "avgpool1d": (lambda: L.AveragePooling1D(2), (10, 3)),
    "avgpool1d_channels_first": (
        lambda: L.AveragePooling1D(3, padding="same", data_format="channels_first"),
        (3, 10),
    ),
    "global_avg": (lambda: L.GlobalAveragePooling2D(), (5, 6, 3)),
    "global_max_keepdims": (lambda: L.GlobalMaxPooling2D(keepdims=True), (5, 6, 3)),
    "global_avg_channels_first": (
        lambda: L.GlobalAveragePooling2D(data_format="channels_first"),
        (3, 5, 6),
    ),
    "global_avg1d": (lambda: L.GlobalAveragePooling1D(), (10, 3)),
    "global_max1d": (lambda: L.GlobalMaxPooling1D(), (10, 3)),
    # padding, cropping, upsampling
    "zero_padding2d": (lambda: L.ZeroPadding2D(((1, 2), (3, 0))), (5, 5, 2)),
    "zero_padding2d_channels_first": (
        lambda: L.ZeroPadding2D(1, data_format="channels_first"),
        (2, 5, 5),
    ),
    "zero_padding1d": (lambda: L.ZeroPadding1D((2, 1)), (10, 3)),
    "cropping2d": (lambda: L.Cropping2D(((1, 0), (2, 2))), (8, 8, 3)),
    "cropping1d": (lambda: L.Cropping1D((1, 2)), (10, 3)),
    "cropping2d_channels_first": (
        lambda: L.Cropping2D((1, 2), data_format="channels_first"),
        (2, 6, 7),
    ),
    "upsampling2d_nearest": (lambda: L.UpSampling2D((2, 3)), (4, 4, 2)),
    "upsampling2d_bilinear": (lambda: L.UpSampling2D(2, interpolation="bilinear"), (4, 5, 2)),
    "upsampling1d": (lambda: L.UpSampling1D(3), (5, 3)),
    "upsampling2d_channels_first": (
        lambda: L.UpSampling2D(2, data_format="channels_first", interpolation="bilinear"),
        (2, 3, 4),
    ),
    # normalization, dense, rescaling
    "batchnorm": (lambda: L.BatchNormalization(), (6, 6, 3)),
    "batchnorm_channels_first": (lambda: L.BatchNormalization(axis=1), (3, 6, 6)),
    "batchnorm_no_scale_center": (
        lambda: L.BatchNormalization(center=False, scale=False),
        (6, 3),
    ),
    "layernorm": (lambda: L.LayerNormalization(), (4, 6)),
    "layernorm_two_axes": (lambda: L.LayerNormalization(axis=[1, 2], scale=False), (4, 5, 3)),
    "groupnorm": (lambda: L.GroupNormalization(groups=2), (5, 5, 4)),
    "groupnorm_channels_first": (lambda: L.GroupNormalization(groups=3, axis=1), (6, 4, 4)),
    "groupnorm_instance": (lambda: L.GroupNormalization(groups=-1, center=False), (5, 3)),
    "normalization_weights": (lambda: L.Normalization(), (4, 4, 3)),
    "normalization_fixed": (lambda: L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.5]), (3, 2)),
    "normalization_invert": (
        lambda: L.Normalization(axis=None, mean=2.0, variance=9.0, invert=True),
        (3, 2),
    ),
    "dense": (lambda: L.Dense(5), (7,)),
    "dense_3d_no_bias": (lambda: L.Dense(5, use_bias=False), (4, 7)),
    "rescaling": (lambda: L.Rescaling(1 / 255, offset=-0.5), (4, 4, 3)),
    # reshaping
    "flatten": (lambda: L.Flatten(), (3, 4, 5)),
    "flatten_channels_first": (lambda: L.Flatten(data_format="channels_first"), (3, 4, 5)),
    "reshape": (lambda: L.Reshape((-1, 2)), (3, 4)),
    "permute": (lambda: L.Permute((2, 3, 1)), (3, 4, 5)),
    "repeat_vector": (lambda: L.RepeatVector(3), (4,)),
    # activation layers
    "relu": (lambda: L.ReLU(), (9,)),
    "relu_max_value": (lambda: L.ReLU(max_value=1.5), (9,)),
    "relu_slope_threshold": (lambda: L.ReLU(negative_slope=0.1, threshold=0.5), (9,)),
    "leaky_relu": (lambda: L.LeakyReLU(0.1), (9,)),
    "elu": (lambda: L.ELU(0.7), (9,)),
    "prelu_shared": (lambda: L.PReLU(shared_axes=[1, 2]), (4, 4, 3)),
    "softmax_axis1": (lambda: L.Softmax(axis=1), (4, 3)),
    # the identity at inference
    "dropout": (lambda: L.Dropout(0.5), (9,)),
    "spatial_dropout2d": (lambda: L.SpatialDropout2D(0.5), (4, 4, 3)),
    "spatial_dropout1d": (lambda: L.SpatialDropout1D(0.5), (4, 3)),
    "gaussian_noise": (lambda: L.GaussianNoise(0.5), (9,)),
    "gaussian_dropout": (lambda: L.GaussianDropout(0.5), (9,)),
    "alpha_dropout": (lambda: L.AlphaDropout(0.5), (9,)),
    "identity": (lambda: L.Identity(), (9,)),
    "random_flip": (lambda: L.RandomFlip(seed=1), (5, 5, 3)),
    "random_rotation": (lambda: L.RandomRotation(0.2, seed=1), (5, 5, 3)),
    "random_translation": (lambda: L.RandomTranslation(0.2, 0.2, seed=1), (5, 5, 3)),
    "random_zoom": (lambda: L.RandomZoom(0.2, seed=1), (5, 5, 3)),
    "random_contrast": (lambda: L.RandomContrast(0.5, seed=1), (5, 5, 3)),
    "random_brightness": (lambda: L.RandomBrightness(0.5, seed=1), (5, 5, 3)),
    "center_crop": (lambda: L.CenterCrop(3, 4), (6, 7, 2)),
    "center_crop_smaller_resizes": (lambda: L.CenterCrop(6, 4), (4, 5, 2)),
    "random_crop_inference": (lambda: L.RandomCrop(3, 5, seed=1), (6, 7, 2)),
    "resizing_bilinear_down": (lambda: L.Resizing(3, 4), (7, 9, 2)),
    "resizing_bilinear_antialias": (lambda: L.Resizing(3, 4, antialias=True), (7, 9, 2)),
    "resizing_nearest_up": (lambda: L.Resizing(9, 7, interpolation="nearest"), (4, 5, 2)),
    "resizing_crop_to_aspect": (lambda: L.Resizing(4, 4, crop_to_aspect_ratio=True), (6, 9, 2)),
    "resizing_pad_to_aspect": (
        lambda: L.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=0.5),
        (6, 9, 2),
    ),
    "resizing_pad_to_aspect_tall": (
        lambda: L.Resizing(4, 6, pad_to_aspect_ratio=True),
        (9, 5, 2),
    ),
    "resizing_channels_first": (lambda: L.Resizing(5, 3, data_format="channels_first"), (2, 4, 6)),
    "center_crop_channels_first": (
        lambda: L.CenterCrop(2, 3, data_format="channels_first"),
        (2, 5, 5),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_exports_and_matches_predict(case, tmp_path):
    make_layer, input_shape = CASES[case]
    check_export(single_layer_model(make_layer(), input_shape), tmp_path)


ACTIVATIONS = [
    "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu",
    "gelu", "silu", "swish", "leaky_relu", "hard_sigmoid", "hard_silu", "hard_swish",
    "softplus", "softsign", "exponential", "mish", "log_sigmoid",
]  # fmt: skip


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_argument_and_layer(name, tmp_path):
    inputs = L.Input((4, 6))
    dense = L.Dense(6, activation=name)(inputs)
    conv = L.Activation(name)(L.Conv1D(6, 3, padding="same")(inputs))
    check_export(randomize(models.Model(inputs, [dense, conv])), tmp_path)


@pytest.mark.parametrize(
    "merge", [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum, L.Concatenate]
)
def test_merge_layers(merge, tmp_path):
    a, b = L.Input((4, 4, 3)), L.Input((4, 4, 3))
    outputs = merge()([L.Conv2D(3, 1)(a), L.Conv2D(3, 1)(b)])
    check_export(randomize(models.Model([a, b], outputs)), tmp_path)


def test_merge_broadcasts_lower_rank_inputs_as_keras(tmp_path):
    a, b, c = L.Input((4, 5)), L.Input((5,)), L.Input((1, 5))
    outputs = L.Add()([a, b, c])
    check_export(models.Model([a, b, c], outputs), tmp_path)


def test_lenet5(tmp_path):
    proto = check_export(randomize(applications.lenet5(), seed=5), tmp_path)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [28, 28, 1]


def test_colour_cnn(tmp_path):
    check_export(randomize(applications.colour_cnn(), seed=6), tmp_path)


def test_functional_graph_with_branches_nesting_ops_and_two_outputs(tmp_path):
    """Residual and Inception-like branches, BN, a nested Sequential, symbolic ops
    (``inputs / 255.0``) and two outputs."""
    block = models.Sequential(
        [L.Input((8, 8, 8)), L.DepthwiseConv2D(3, padding="same"), L.BatchNormalization()]
    )
    image = L.Input((8, 8, 3), name="image")
    x = image / 255.0 - 0.5
    x = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = L.Add()([x, block(x)])
    left = L.MaxPooling2D()(x)
    right = L.AveragePooling2D()(L.SeparableConv2D(4, 3, padding="same")(x))
    x = L.Concatenate()([left, right])
    x = L.Dropout(0.3)(L.BatchNormalization()(x))
    logits = L.Dense(3)(L.GlobalAveragePooling2D()(x))
    probabilities = L.Softmax()(logits)
    decoded = L.Conv2DTranspose(2, 3, strides=2, padding="same")(x)
    model = models.Model(image, [probabilities, decoded])
    check_export(randomize(model, seed=3), tmp_path)


def test_shared_layers_and_a_nested_model_called_twice(tmp_path):
    encoder = models.Sequential([L.Input((6,)), L.Dense(4, activation="tanh"), L.Dense(3)])
    shared = L.Dense(3, activation="gelu")
    a, b = L.Input((6,)), L.Input((6,))
    distance = L.Subtract()([shared(encoder(a)), shared(encoder(b))])
    check_export(randomize(models.Model([a, b], [distance, encoder(a)]), seed=4), tmp_path)


def test_a_layer_inside_a_nested_model_is_named(tmp_path):
    inner = models.Sequential([L.Input((4,)), L.Lambda(lambda x: x, name="inner_lambda")])
    inputs = L.Input((4,))
    model = models.Model(inputs, L.Dense(2)(inner(inputs)))
    with pytest.raises(ValueError, match=r"'inner_lambda' \(Lambda\)"):
        model.export(tmp_path / "model.onnx")


def test_unknown_spatial_sizes_pad_same_as_keras(tmp_path):
    """Input((None, None, 3)): "same" becomes ONNX's SAME_UPPER (the odd cell after)."""
    model = models.Sequential(
        [
            L.Input((None, None, 3)),
            L.Conv2D(4, (3, 2), strides=2, padding="same"),
            L.MaxPooling2D(3, strides=2, padding="same"),
            L.AveragePooling2D(2, padding="same"),
            L.GlobalAveragePooling2D(),
        ]
    )
    randomize(model)
    check_export(model, tmp_path, spatial=(11, 10, 3))
    check_export(model, tmp_path, spatial=(8, 13, 3))


@pytest.mark.parametrize(
    "layer, reason",
    [
        (L.Conv2D(2, 3, padding="same", padding_mode="reflect"), "known spatial sizes"),
        (L.Conv2DTranspose(2, 3), "known spatial sizes"),
        (L.CenterCrop(20, 20), "known height and width"),
        (L.GroupNormalization(groups=1), "known sizes"),
    ],
)
def test_unknown_sizes_some_layers_refuse(layer, reason, tmp_path):
    model = models.Sequential([L.Input((None, None, 3)), layer])
    with pytest.raises(ValueError, match=f"Cannot export layer '{layer.name}'.*{reason}"):
        model.export(tmp_path / "model.onnx")


def test_a_sequential_built_by_its_first_batch_exports(tmp_path):
    model = models.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        model.export(tmp_path / "model.onnx")
    model.predict(np.zeros((1, 5, 5, 1), "float32"), verbose=0)
    check_export(randomize(model), tmp_path)


def test_a_layer_that_cannot_be_exported_is_named(tmp_path):
    model = models.Sequential(
        [L.Input((4,)), L.Dense(3), L.Lambda(lambda x: x * 2, name="doubler")]
    )
    with pytest.raises(ValueError, match=r"Cannot export layer 'doubler' \(Lambda\) to ONNX"):
        model.export(tmp_path / "model.onnx", format="onnx")
    assert not (tmp_path / "model.onnx").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_custom_activation_is_refused_naming_the_layer(tmp_path):
    model = models.Sequential([L.Input((4,)), L.Dense(3, activation=np.tanh, name="head")])
    with pytest.raises(ValueError, match=r"'head' \(Dense\).*activation"):
        model.export(tmp_path / "model.onnx")


def test_a_subclass_of_a_layer_is_not_exported_as_its_parent(tmp_path):
    class Doubled(L.Dense):
        def call(self, inputs, training=False):
            return super().call(inputs) * 2

    model = models.Sequential([L.Input((4,)), Doubled(3, name="doubled")])
    with pytest.raises(ValueError, match=r"'doubled' \(Doubled\).*no ONNX converter"):
        model.export(tmp_path / "model.onnx")


def test_a_failed_export_leaves_an_existing_file_alone(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"before")
    model = models.Sequential([L.Input((4,)), L.Lambda(lambda x: x)])
    with pytest.raises(ValueError, match="Cannot export layer"):
        model.export(path)
    assert path.read_bytes() == b"before"


def test_other_formats_are_refused_naming_onnx(tmp_path):
    model = applications.lenet5()
    with pytest.raises(ValueError, match=r"'tf_saved_model'.*'onnx'"):
        model.export(tmp_path / "model", format="tf_saved_model")
    with pytest.raises(ValueError, match="input_signature"):
        model.export(tmp_path / "model.onnx", input_signature=[(None, 28, 28, 1)])
    with pytest.raises(ValueError, match="opset_version"):
        model.export(tmp_path / "model.onnx", opset_version=11)


def test_opset_version_is_written(tmp_path):
    applications.lenet5().export(tmp_path / "model.onnx", opset_version=21)
    proto = onnx.load(str(tmp_path / "model.onnx"))
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 21)]


def test_a_subclassed_model_is_refused(tmp_path):
    class Tiny(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Tiny()
    model(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="subclassed"):
        model.export(tmp_path / "model.onnx")


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'convlens\[onnx\]'"):
        applications.lenet5().export(tmp_path / "model.onnx")
