"""The layers Keras 3 programs call, against the real Keras 3 (JAX backend, a test-only oracle).

Each case builds the same layer, written once as ``lambda L: L.Name(...)``, from
``keras.layers`` and from ``convlens.layers``; Keras's weights (drawn at random, so that a
gamma of ones or an alpha of zeros cannot hide a mistake) are copied into ours with
``set_weights``, and then the weight names and shapes, the symbolic output shape, the eager
output, and the get_config keys must agree.
"""

import numpy as np
import pytest

import convlens as cl
from convlens import layers
from keras_oracle import real_keras

rng = np.random.default_rng(12)

# Keys Keras writes that convlens has no use for: the deprecated rms_scaling of
# LayerNormalization and Dense's quantization settings.
KERAS_ONLY_KEYS = {"rms_scaling", "quantization_config"}

CASES = {
    # merge layers: same shapes, broadcasting, inputs of lower rank, many inputs
    "add": (lambda L: L.Add(), [(4, 4, 3), (4, 4, 3)]),
    "add_broadcast": (lambda L: L.Add(), [(4, 4, 3), (1, 1, 3)]),
    "add_lower_rank": (lambda L: L.Add(), [(4, 4, 3), (3,)]),
    "add_one_input": (lambda L: L.Add(), [(5,)]),
    "subtract": (lambda L: L.Subtract(), [(6,), (6,)]),
    "multiply_three": (lambda L: L.Multiply(), [(2, 5), (2, 5), (1, 5)]),
    "average": (lambda L: L.Average(), [(3, 2), (3, 2), (3, 2)]),
    "maximum": (lambda L: L.Maximum(), [(4, 3), (4, 1)]),
    "minimum": (lambda L: L.Minimum(), [(4, 3), (4, 3)]),
    "concatenate": (lambda L: L.Concatenate(), [(4, 4, 3), (4, 4, 5)]),
    "concatenate_axis1": (lambda L: L.Concatenate(axis=1), [(2, 3), (4, 3)]),
    # reshaping
    "upsampling2d": (lambda L: L.UpSampling2D(), (3, 4, 2)),
    "upsampling2d_sizes": (lambda L: L.UpSampling2D((2, 3)), (3, 4, 2)),
    "upsampling2d_first": (lambda L: L.UpSampling2D(2, data_format="channels_first"), (2, 3, 4)),
    "upsampling2d_bilinear": (lambda L: L.UpSampling2D(interpolation="bilinear"), (4, 5, 2)),
    "upsampling2d_bilinear_3x2": (
        lambda L: L.UpSampling2D((3, 2), interpolation="bilinear"),
        (3, 4, 2),
    ),
    "upsampling2d_bilinear_first": (
        lambda L: L.UpSampling2D((2, 4), data_format="channels_first", interpolation="bilinear"),
        (2, 3, 5),
    ),
    "upsampling1d": (lambda L: L.UpSampling1D(3), (4, 2)),
    "cropping2d": (lambda L: L.Cropping2D(((1, 2), (0, 3))), (6, 7, 2)),
    "cropping2d_int": (lambda L: L.Cropping2D(1), (5, 5, 2)),
    "cropping2d_pair_first": (
        lambda L: L.Cropping2D((1, 2), data_format="channels_first"),
        (2, 5, 6),
    ),
    "cropping1d": (lambda L: L.Cropping1D((1, 2)), (6, 3)),
    "zero_padding1d": (lambda L: L.ZeroPadding1D((2, 1)), (4, 3)),
    "zero_padding1d_first": (
        lambda L: L.ZeroPadding1D(2, data_format="channels_first"),
        (3, 4),
    ),
    "permute": (lambda L: L.Permute((2, 1)), (4, 3)),
    "permute3": (lambda L: L.Permute((3, 1, 2)), (2, 3, 4)),
    "repeat_vector": (lambda L: L.RepeatVector(3), (5,)),
    "identity": (lambda L: L.Identity(), (3, 2)),
    "lambda": (lambda L: L.Lambda(lambda x: x * 2.0 + 1.0), (3, 2)),
    # normalization
    "layer_norm": (lambda L: L.LayerNormalization(), (4, 6)),
    "layer_norm_axes": (lambda L: L.LayerNormalization(axis=[1, 2]), (3, 4, 2)),
    "layer_norm_plain": (
        lambda L: L.LayerNormalization(center=False, scale=False, epsilon=1e-5),
        (4, 4, 3),
    ),
    "group_norm": (lambda L: L.GroupNormalization(groups=2), (3, 3, 6)),
    "group_norm_instance": (lambda L: L.GroupNormalization(groups=-1), (3, 3, 4)),
    "group_norm_first": (
        lambda L: L.GroupNormalization(groups=3, axis=1, scale=False),
        (6, 3, 3),
    ),
    # activations
    "prelu": (lambda L: L.PReLU(), (4, 3)),
    "prelu_shared": (lambda L: L.PReLU(shared_axes=[1, 2]), (3, 3, 4)),
    "elu": (lambda L: L.ELU(), (5,)),
    "elu_alpha": (lambda L: L.ELU(alpha=0.5), (5,)),
    "activation_callable": (lambda L: L.Activation(lambda x: x * x), (5,)),
    # pooling
    "max_pool1d": (lambda L: L.MaxPooling1D(), (7, 3)),
    "max_pool1d_same": (lambda L: L.MaxPooling1D(3, strides=2, padding="same"), (8, 3)),
    "max_pool1d_first": (lambda L: L.MaxPooling1D(2, data_format="channels_first"), (3, 6)),
    "avg_pool1d": (lambda L: L.AveragePooling1D(2), (7, 3)),
    "avg_pool1d_same": (lambda L: L.AveragePooling1D(3, strides=1, padding="same"), (5, 2)),
    "global_max_pool1d": (lambda L: L.GlobalMaxPooling1D(), (7, 3)),
    "global_avg_pool1d_keepdims": (lambda L: L.GlobalAveragePooling1D(keepdims=True), (7, 3)),
    "global_avg_pool1d_first": (
        lambda L: L.GlobalAveragePooling1D(data_format="channels_first"),
        (3, 7),
    ),
    "global_max_pool2d_keepdims": (lambda L: L.GlobalMaxPooling2D(keepdims=True), (4, 4, 3)),
    # noise layers at inference: the identity
    "spatial_dropout2d": (lambda L: L.SpatialDropout2D(0.5, seed=1), (3, 3, 2)),
    "spatial_dropout1d": (lambda L: L.SpatialDropout1D(0.5, seed=1), (3, 2)),
    "gaussian_noise": (lambda L: L.GaussianNoise(0.5, seed=1), (4,)),
    "gaussian_dropout": (lambda L: L.GaussianDropout(0.3, seed=1), (4,)),
    "alpha_dropout": (lambda L: L.AlphaDropout(0.3, seed=1), (4,)),
    # core
    "dense_input_dim": (lambda L: L.Dense(3, input_dim=4), (4,)),
}


def _inputs(shapes, batch=2):
    if isinstance(shapes, list):
        return [rng.standard_normal((batch,) + s).astype(np.float32) for s in shapes]
    return rng.standard_normal((batch,) + shapes).astype(np.float32)


def _symbolic(L, shapes):
    if isinstance(shapes, list):
        return [L.Input(s) for s in shapes]
    return L.Input(shapes)


def _plain(value):
    """Tuples as lists, recursively: Keras's configs hold tuples where a JSON file holds lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_keras(case):
    keras = real_keras()
    factory, shapes = CASES[case]
    theirs, ours = factory(keras.layers), factory(layers)
    keras_out = theirs(_symbolic(keras.layers, shapes))
    our_out = ours(_symbolic(layers, shapes))
    assert our_out.shape == tuple(keras_out.shape)

    assert [(w.name, tuple(w.shape)) for w in theirs.weights] == [
        (w.name.split("/")[-1], w.shape) for w in ours.weights
    ]
    weights = [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)

    x = _inputs(shapes)
    expected = np.asarray(theirs(x, training=False))
    got = ours(x, training=False).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    if case not in ("lambda", "activation_callable"):  # functions are saved by registered name
        keras_config, our_config = theirs.get_config(), ours.get_config()
        assert set(keras_config) - KERAS_ONLY_KEYS <= set(our_config)
        for key in set(keras_config) - {"name", "dtype", "trainable", *KERAS_ONLY_KEYS}:
            if not isinstance(keras_config[key], dict):  # initializers are compared below
                assert _plain(our_config[key]) == _plain(keras_config[key]), key


@pytest.mark.parametrize(
    "name",
    ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"],
)
def test_functional_merge_helpers_match_keras(name):
    keras = real_keras()
    x = _inputs([(3, 4), (3, 4)])
    expected = np.asarray(getattr(keras.layers, name)(x))
    got = getattr(layers, name)(x)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-6)
    symbolic = getattr(layers, name)([layers.Input((3, 4)), layers.Input((3, 4))])
    assert symbolic.node.layer.__class__.__name__.lower() == name
    assert layers.concatenate(x, axis=1).shape == (2, 6, 4)


@pytest.mark.parametrize(
    "factory, shapes",
    [
        (lambda L: L.Add(), [(4, 3), (5, 3)]),
        (lambda L: L.Subtract(), [(3,), (3,), (3,)]),
        (lambda L: L.Concatenate(), [(4, 3), (5, 3)]),
    ],
)
def test_merge_shape_errors_as_keras(factory, shapes):
    keras = real_keras()
    with pytest.raises(ValueError):
        factory(keras.layers)(_symbolic(keras.layers, shapes))
    layer = factory(layers)
    with pytest.raises(ValueError, match=f'{type(layer).__name__} "{layer.name}"'):
        layer(_symbolic(layers, shapes))


def test_keras_weight_names_and_order_for_normalizations_and_prelu():
    keras = real_keras()
    for factory, shape in [
        (lambda L: L.LayerNormalization(axis=[1, 2]), (3, 4, 2)),
        (lambda L: L.GroupNormalization(groups=2, center=False), (3, 4)),
        (lambda L: L.PReLU(shared_axes=2), (3, 4, 5)),
    ]:
        theirs, ours = factory(keras.layers), factory(layers)
        theirs.build((None,) + shape)
        ours(layers.Input(shape))
        assert [w.name for w in theirs.weights] == [w.name.split("/")[-1] for w in ours.weights]
        assert [tuple(w.shape) for w in theirs.weights] == [w.shape for w in ours.weights]
        assert [w.trainable for w in theirs.weights] == [w.requires_grad for w in ours.weights]


def test_bilinear_upsampling_of_a_large_factor_matches_keras():
    keras = real_keras()
    x = _inputs((3, 2, 1))
    expected = np.asarray(keras.layers.UpSampling2D((5, 7), interpolation="bilinear")(x))
    got = layers.UpSampling2D((5, 7), interpolation="bilinear")(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


GRADIENT_CASES = {
    "layer_norm": (lambda L: L.LayerNormalization(), (3, 6)),
    "layer_norm_axes": (lambda L: L.LayerNormalization(axis=[1, 2]), (3, 4, 2)),
    "group_norm": (lambda L: L.GroupNormalization(groups=2), (3, 3, 4)),
    "prelu_shared": (lambda L: L.PReLU(shared_axes=[1]), (3, 4)),
    "upsampling2d_bilinear": (lambda L: L.UpSampling2D(interpolation="bilinear"), (3, 4, 2)),
    "upsampling2d_nearest": (lambda L: L.UpSampling2D((2, 3)), (3, 4, 2)),
    "max_pool1d_same": (lambda L: L.MaxPooling1D(3, strides=2, padding="same"), (8, 3)),
    "avg_pool1d": (lambda L: L.AveragePooling1D(2), (7, 3)),
}


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_keras_on_jax(case):
    """d sum(layer(x) * R) / d(x, weights) by our autograd equals JAX's through Keras."""
    keras = real_keras()
    import jax

    factory, shape = GRADIENT_CASES[case]
    theirs, ours = factory(keras.layers), factory(layers)
    theirs.build((None,) + shape)
    ours(layers.Input(shape))
    weights = [rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = _inputs(shape, batch=3)
    upstream = rng.standard_normal(ours(x).shape).astype(np.float32)

    def keras_loss(x, trainable):
        out, _ = theirs.stateless_call(trainable, [], x)
        return (out * upstream).sum()

    trainable = [np.asarray(v) for v in theirs.trainable_variables]
    x_grad, weight_grads = jax.grad(keras_loss, argnums=(0, 1))(x, trainable)

    x_tensor = cl.Tensor(x, requires_grad=True)
    for w in ours.weights:
        w.grad = None
    ours(x_tensor).backward(upstream)
    np.testing.assert_allclose(x_tensor.grad, np.asarray(x_grad), rtol=1e-4, atol=1e-5)
    for ours_w, theirs_g in zip(ours.trainable_weights, weight_grads):
        np.testing.assert_allclose(ours_w.grad, np.asarray(theirs_g), rtol=1e-4, atol=1e-5)
