"""Layers: Keras signatures and shapes, equal to their ops, clear errors naming the layer."""

import numpy as np
import pytest

import convlens as cl
from convlens import layers, models, ops
from oracle import torch_or_skip

rng = np.random.default_rng(0)


def test_dense_is_inputs_times_kernel_plus_bias():
    layer = layers.Dense(3, activation="relu")
    x = rng.standard_normal((4, 5)).astype(np.float32)
    y = layer(x).numpy()
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-6)


def test_conv2d_layer_calls_the_op_with_its_weights():
    layer = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    kernel, bias = [cl.Tensor(w) for w in (layer(x) and layer.get_weights())]
    expected = ops.relu(ops.conv2d(x, kernel, bias, strides=2, padding="same")).numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)
    assert layer.kernel.shape == (3, 3, 3, 4)


@pytest.mark.parametrize(
    "layer, input_shape, output_shape",
    [
        (lambda: layers.Conv2D(6, 5, padding="same"), (28, 28, 1), (None, 28, 28, 6)),
        (lambda: layers.Conv2D(16, 5), (14, 14, 6), (None, 10, 10, 16)),
        (lambda: layers.Conv2D(8, 3, strides=2, padding=1), (9, 9, 3), (None, 5, 5, 8)),
        (lambda: layers.Conv2D(8, 3, data_format="channels_first"), (3, 9, 9), (None, 8, 7, 7)),
        (lambda: layers.Conv2D(4, 3, dilation_rate=2), (9, 9, 2), (None, 5, 5, 4)),
        (lambda: layers.Conv1D(4, 3, padding="causal"), (10, 2), (None, 10, 4)),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (8, 8, 3), (None, 6, 6, 6)),
        (lambda: layers.SeparableConv2D(5, 3, padding="same"), (8, 8, 3), (None, 8, 8, 5)),
        (
            lambda: layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
            (5, 5, 2),
            (None, 10, 10, 4),
        ),
        (lambda: layers.Conv2DTranspose(4, 3, strides=2), (5, 5, 2), (None, 11, 11, 4)),
        (lambda: layers.MaxPooling2D(), (28, 28, 6), (None, 14, 14, 6)),
        (lambda: layers.MaxPooling2D(2, padding="same"), (7, 7, 1), (None, 4, 4, 1)),
        (lambda: layers.MinPooling2D(3, strides=1), (5, 5, 2), (None, 3, 3, 2)),
        (lambda: layers.AveragePooling2D(2), (5, 5, 2), (None, 2, 2, 2)),
        (lambda: layers.GlobalAveragePooling2D(), (5, 5, 7), (None, 7)),
        (lambda: layers.GlobalMaxPooling2D(keepdims=True), (5, 5, 7), (None, 1, 1, 7)),
        (lambda: layers.ZeroPadding2D(((1, 2), (3, 4))), (5, 5, 1), (None, 8, 12, 1)),
        (lambda: layers.Flatten(), (5, 5, 16), (None, 400)),
        (lambda: layers.Reshape((-1, 4)), (2, 6), (None, 3, 4)),
        (lambda: layers.BatchNormalization(), (4, 4, 3), (None, 4, 4, 3)),
    ],
)
def test_symbolic_and_eager_shapes_agree(layer, input_shape, output_shape):
    symbolic = layer()(layers.Input(input_shape))
    assert symbolic.shape == output_shape
    eager = layer()(rng.standard_normal((2,) + input_shape).astype(np.float32))
    assert eager.shape == (2,) + output_shape[1:]


def test_conv2d_transpose_matches_pytorch_with_keras_layout():
    torch = torch_or_skip()
    layer = layers.Conv2DTranspose(4, 3, strides=2, padding="valid", use_bias=False)
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    ours = layer(x).numpy()
    kernel = layer.get_weights()[0]  # (KH, KW, filters, C_in)
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(kernel).permute(3, 2, 0, 1), stride=2
    )
    np.testing.assert_allclose(ours, expected.permute(0, 2, 3, 1).numpy(), rtol=1e-5, atol=1e-5)


def test_min_pooling_is_minus_max_pooling_of_minus():
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(
        layers.MinPooling2D()(x).numpy(), -layers.MaxPooling2D()(-x).numpy()
    )


def test_batch_normalization_trains_on_batch_statistics_and_updates_moving_ones():
    layer = layers.BatchNormalization(momentum=0.5)
    x = rng.standard_normal((64, 3)).astype(np.float64) * 3 + 2
    y = layer(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(
        y.std(axis=0), np.sqrt(x.var(axis=0) / (x.var(axis=0) + 1e-3)), rtol=1e-4
    )
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.5 + 0.5 * x.var(axis=0), rtol=1e-5)
    inference = layer(x, training=False).numpy()
    np.testing.assert_allclose(
        inference, (x - moving_mean) / np.sqrt(moving_variance + 1e-3), rtol=1e-4
    )
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2


def test_dropout_is_identity_at_inference_and_seeded_in_training():
    x = np.ones((4, 100), np.float32)
    assert (layers.Dropout(0.5)(x).numpy() == 1).all()
    a = layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    b = layers.Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 2.0}


def test_add_and_concatenate():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    # The layer computes in float32 (floatx): a sum that cancels has float32's relative error.
    expected = a.astype(np.float32) + b.astype(np.float32)
    np.testing.assert_allclose(layers.Add()([a, b]).numpy(), expected, rtol=1e-6)
    assert layers.Concatenate()([a, b]).shape == (2, 6)


def test_a_channel_mismatch_names_the_layer_and_both_shapes():
    layer = layers.Conv2D(4, 3)
    layer(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(
        ValueError,
        match=r'Conv2D "conv2d(_\d+)?": expected input with 3 channels '
        r"on axis -1, received shape \(1, 8, 8, 1\)",
    ):
        layer(np.zeros((1, 8, 8, 1), np.float32))


def test_a_mismatch_between_layers_names_both_layers_and_both_shapes():
    with pytest.raises(
        ValueError,
        match=r'Conv2D "[a-z0-9_]+": expected a 4-D input, received '
        r"shape \(None, 10\)\. The input comes from Dense "
        r'"[a-z0-9_]+" \(output shape \(None, 10\)\)',
    ):
        models.Sequential([layers.Input((8,)), layers.Dense(10), layers.Conv2D(4, 3)])


def test_a_kernel_larger_than_the_input_is_named():
    with pytest.raises(ValueError, match=r"Conv2D .* larger than the padded input"):
        models.Sequential([layers.Input((4, 4, 1)), layers.Conv2D(2, 5)])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.Dense(0), "units must be a positive int"),
        (lambda: layers.Conv2D(4, 3, padding="full"), "padding must be one of valid, same"),
        (lambda: layers.Conv2D(4, 3, strides=-1), "strides must be a positive int"),
        (lambda: layers.Conv2D(5, 3, groups=2), "groups must be a positive int dividing filters"),
        (lambda: layers.Conv2D(4, 3, padding_mode="mirror"), "padding_mode must be one of"),
        (lambda: layers.Conv2D(4, 3, data_format="nhwc"), "data_format must be"),
        (lambda: layers.MaxPooling2D(0), "pool_size must be a positive int"),
        (lambda: layers.Dropout(1.0), r"rate must be in \[0, 1\)"),
        (lambda: layers.Dense(3, activation="rellu"), "Unknown activation"),
        (lambda: layers.Dense(3, bogus=1), "unexpected argument"),
    ],
)
def test_bad_arguments_fail_at_construction(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_set_weights_checks_shapes_and_names_the_weight():
    layer = layers.Dense(2)
    layer(np.zeros((1, 3), np.float32))
    with pytest.raises(
        ValueError,
        match=r'weight "dense[_0-9]*/kernel" has shape \(3, 2\), '
        r"received an array of shape \(2, 2\)",
    ):
        layer.set_weights([np.zeros((2, 2)), np.zeros(2)])


def test_layer_names_are_unique_and_keras_styled():
    first, second = layers.MaxPooling2D(), layers.MaxPooling2D()
    assert first.name.startswith("max_pooling2d") and first.name != second.name
    assert layers.GlobalAveragePooling2D().name.startswith("global_average_pooling2d")


@pytest.mark.parametrize(
    "layer",
    [
        layers.Conv2D(
            4,
            3,
            strides=2,
            padding=((1, 0), (0, 1)),
            padding_mode="reflect",
            kernel_regularizer="l2",
            activation="relu",
        ),
        layers.Dense(3, kernel_initializer="he_normal", kernel_constraint="max_norm"),
        layers.BatchNormalization(momentum=0.9),
        layers.MaxPooling2D(3, 2, "same"),
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=1),
        layers.SeparableConv2D(3, 3, depth_multiplier=2),
        layers.DepthwiseConv2D(3),
        layers.Dropout(0.3, seed=1),
        layers.Reshape((2, -1)),
        layers.ReLU(6.0),
    ],
)
def test_config_round_trip_rebuilds_the_same_layer(layer):
    import json

    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()


def test_conv1d_and_conv2d_are_siblings_on_one_base_taking_rank():
    from convlens.layers.base_conv import BaseConv

    conv1d, conv2d = layers.Conv1D(4, 3), layers.Conv2D(4, 3)
    assert (conv1d.rank, conv2d.rank) == (1, 2)
    assert layers.Conv1D.__bases__ == layers.Conv2D.__bases__ == (BaseConv,)
    assert not isinstance(conv1d, layers.Conv2D)
    for cls in (layers.DepthwiseConv2D, layers.SeparableConv2D, layers.Conv2DTranspose):
        assert issubclass(cls, BaseConv)
    # Keras's Conv1D order: activation follows groups.
    assert layers.Conv1D(4, 3, 1, "valid", None, 1, 1, "relu").activation is cl.activations.relu


def test_base_conv_rejects_a_rank_without_an_op():
    from convlens.layers.base_conv import BaseConv

    with pytest.raises(ValueError, match=r'BaseConv "base_conv[_0-9]*": rank must be 1 or 2'):
        BaseConv(rank=3, filters=4, kernel_size=3)


def test_conv_configs_saved_before_the_base_class_load_unchanged():
    """Configs written by the conv layers of format version 1 (tests/data, one per layer)
    rebuild layers whose get_config() gives them back key for key, in the same order."""
    import json
    from pathlib import Path

    path = Path(__file__).parent / "data" / "conv_layer_configs_v1.json"
    for entry in json.loads(path.read_text()):
        layer = getattr(layers, entry["class_name"]).from_config(entry["config"])
        assert list(layer.get_config().items()) == list(entry["config"].items()), layer.name
