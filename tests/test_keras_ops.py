"""convlens.ops under Keras 3's ``keras.ops`` names: values against the real Keras (JAX),
gradients against float64 central differences, dtypes and bad input as Keras documents."""

import math

import numpy as np
import pytest

import convlens as cl
from convlens import ops
from keras_oracle import real_keras
from oracle import assert_gradients, check_op

rng = np.random.default_rng(12)


def signed(*shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def resolve(module, name):
    for part in name.split("."):
        module = getattr(module, part)
    return module


X = signed(2, 3, 4).astype("float32")
P = positive(2, 3, 4).astype("float32")
M = signed(3, 4).astype("float32")
N = signed(4, 5).astype("float32")
IMAGES = signed(2, 6, 9, 3).astype("float32")
LABELS = np.array([[0, 2], [1, -1]])

# name, positional arguments, keyword arguments: each called on ours and on keras.ops.
SAME_AS_KERAS = [
    ("ones", ((2, 3),), {}),
    ("zeros", ((4,),), {"dtype": "int32"}),
    ("ones_like", (X,), {}),
    ("zeros_like", (X,), {}),
    ("full", ((2, 2), 3.5), {}),
    ("full_like", (X, 7.0), {}),
    ("arange", (5,), {}),
    ("arange", (1.0, 4.0, 0.5), {}),
    ("eye", (3, 4), {"k": 1}),
    ("identity", (3,), {}),
    ("one_hot", (LABELS, 3), {}),
    ("one_hot", (LABELS, 4), {"axis": 0}),
    ("argmax", (X,), {}),
    ("argmax", (X,), {"axis": -1}),
    ("argmin", (X,), {"axis": 1, "keepdims": True}),
    ("cast", (X, "int32"), {}),
    ("square", (X,), {}),
    ("abs", (X,), {}),
    ("absolute", (X,), {}),
    ("mean", (X,), {"axis": (0, 2)}),
    ("sum", (X,), {"axis": 1, "keepdims": True}),
    ("max", (X,), {"axis": -1}),
    ("min", (X,), {}),
    ("amax", (X,), {"axis": 0}),
    ("prod", (X,), {"axis": 1}),
    ("std", (X,), {"axis": -1}),
    ("var", (X,), {"axis": (1, 2)}),
    ("sqrt", (P,), {}),
    ("rsqrt", (P,), {}),
    ("log", (P,), {}),
    ("log1p", (P,), {}),
    ("expm1", (X,), {}),
    ("exp", (X,), {}),
    ("sin", (X,), {}),
    ("cos", (X,), {}),
    ("reciprocal", (P,), {}),
    ("power", (P, 1.7), {}),
    ("clip", (X, -0.5, 0.7), {}),
    ("where", (X > 0, X, P), {}),
    ("equal", (X, X[:, :1]), {}),
    ("not_equal", (X, 0.5), {}),
    ("greater", (X, P - 1), {}),
    ("greater_equal", (X, 0.0), {}),
    ("less", (X, M[0]), {}),
    ("less_equal", (X, 0.3), {}),
    ("logical_and", (X > 0, P > 1), {}),
    ("logical_or", (X > 0, P > 1), {}),
    ("logical_xor", (X > 0, P > 1), {}),
    ("logical_not", (X > 0,), {}),
    ("any", (X > 1.5,), {"axis": 1}),
    ("all", (X > -1.5,), {}),
    ("expand_dims", (X, 1), {}),
    ("squeeze", (X[:, :1],), {}),
    ("squeeze", (X[:, :1],), {"axis": 1}),
    ("reshape", (X, (4, -1)), {}),
    ("transpose", (X,), {}),
    ("transpose", (X, (1, 0, 2)), {}),
    ("concatenate", ([X, P],), {"axis": -1}),
    ("stack", ([X, P],), {"axis": 1}),
    ("tile", (M, (2, 1, 3)), {}),
    ("tile", (M, 2), {}),
    ("repeat", (M, 2), {"axis": 1}),
    ("repeat", (M, np.array([1, 0, 3])), {"axis": 0}),
    ("repeat", (M, 2), {}),
    ("matmul", (M, N), {}),
    ("matmul", (X, N), {}),
    ("dot", (M, N), {}),
    ("dot", (X, N), {}),
    ("dot", (M[0], M[1]), {}),
    ("tensordot", (X, N), {"axes": 1}),
    ("tensordot", (X, signed(3, 4, 2).astype("float32")), {"axes": 2}),
    ("tensordot", (X, M), {"axes": ([1, 2], [0, 1])}),
    ("softmax", (X,), {"axis": 1}),
    ("log_softmax", (X,), {}),
    ("relu", (X,), {}),
    ("relu6", (X * 5,), {}),
    ("sigmoid", (X,), {}),
    ("tanh", (X,), {}),
    ("softplus", (X,), {}),
    ("log_sigmoid", (X,), {}),
    ("hard_silu", (X * 3,), {}),
    ("maximum", (X, P - 1), {}),
    ("minimum", (X, 0.1), {}),
    ("round", (X * 3,), {}),
    ("round", (X,), {"decimals": 1}),
    ("floor", (X,), {}),
    ("ceil", (X,), {}),
    ("sign", (X,), {}),
    ("broadcast_to", (M[0], (2, 3, 4)), {}),
    ("moveaxis", (X, 0, -1), {}),
    ("moveaxis", (X, [0, 2], [1, 0]), {}),
    ("swapaxes", (X, 0, 2), {}),
    ("ravel", (X,), {}),
    ("take", (X, [2, 0, 2]), {"axis": 1}),
    ("take", (X, [[1, 5], [0, 7]]), {}),
    ("take_along_axis", (X, np.argsort(X, axis=-1)), {"axis": -1}),
    ("sort", (X,), {"axis": 1}),
    ("argsort", (X,), {}),
    ("flip", (X,), {"axis": 1}),
    ("cumsum", (X,), {"axis": 1}),
    ("cumsum", (X,), {}),
    ("logsumexp", (X,), {"axis": -1}),
    ("logsumexp", (X * 100,), {}),
    ("norm", (X,), {}),
    ("norm", (X,), {"axis": -1}),
    ("norm", (X,), {"ord": 1, "axis": 1}),
    ("norm", (X,), {"ord": np.inf, "axis": 0}),
    ("norm", (M,), {"ord": "fro"}),
    ("norm", (M,), {"ord": 1}),
    ("norm", (M,), {"ord": -np.inf}),
    ("norm", (X,), {"ord": 3, "axis": 2, "keepdims": True}),
    ("normalize", (X,), {"axis": 1}),
    ("normalize", (X,), {"order": 1}),
    ("isnan", (np.array([1.0, np.nan, np.inf]),), {}),
    ("isinf", (np.array([1.0, np.nan, -np.inf]),), {}),
    ("isfinite", (np.array([1.0, np.nan, np.inf]),), {}),
    ("erf", (X,), {}),
    ("mod", (X * 3, 1.3), {}),
    ("mod", (X * 3, -P), {}),
    ("floor_divide", (X * 3, P), {}),
    ("linspace", (0.0, 2.0, 7), {}),
    ("linspace", (1.0, 2.0, 4), {"endpoint": False}),
    ("count_nonzero", (np.round(X),), {"axis": 1}),
    ("average", (X,), {"axis": 1}),
    ("average", (X,), {"axis": 1, "weights": np.array([1.0, 2.0, 0.5], "float32")}),
    ("average", (X,), {"weights": P}),
    ("in_top_k", (np.array([0, 2, 3]), M, 2), {}),
    ("size", (X,), {}),
    ("ndim", (X,), {}),
    ("image.resize", (IMAGES, (3, 4)), {}),
    ("image.resize", (IMAGES, (8, 13)), {}),
    ("image.resize", (IMAGES, (4, 5)), {"antialias": True}),
    ("image.resize", (IMAGES, (13, 4)), {"interpolation": "nearest"}),
    ("image.resize", (IMAGES[0], (4, 4)), {"crop_to_aspect_ratio": True}),
    ("image.resize", (IMAGES.transpose(0, 3, 1, 2), (5, 4)), {"data_format": "channels_first"}),
    ("image.rgb_to_grayscale", (IMAGES,), {}),
    ("image.rgb_to_grayscale", (IMAGES[0],), {}),
    ("image.rgb_to_grayscale", (IMAGES.transpose(0, 3, 1, 2),), {"data_format": "channels_first"}),
    ("image.rgb_to_grayscale", (IMAGES[..., :1],), {}),
    ("nn.softmax", (X,), {}),
    ("nn.relu", (X,), {}),
    ("nn.sigmoid", (X,), {}),
    ("nn.log_softmax", (X,), {"axis": 0}),
    ("nn.gelu", (X,), {}),
    ("nn.one_hot", (LABELS, 3), {}),
    ("nn.normalize", (X,), {}),
]


def _as_numpy(value):
    if isinstance(value, (tuple, list)):
        return [_as_numpy(v) for v in value]
    return np.asarray(value)


@pytest.mark.parametrize(
    "name, args, kwargs",
    SAME_AS_KERAS,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SAME_AS_KERAS)],
)
def test_values_and_dtypes_match_keras(name, args, kwargs):
    keras = real_keras()
    expected = _as_numpy(resolve(keras.ops, name)(*args, **kwargs))
    got = resolve(ops, name)(*args, **kwargs)
    got = _as_numpy(got.numpy() if isinstance(got, cl.Tensor) else got)
    assert np.shape(got) == np.shape(expected)
    if np.asarray(expected).dtype.kind in "biu":
        assert np.asarray(got).dtype == np.asarray(expected).dtype, name
        np.testing.assert_array_equal(got, expected)
    else:
        assert np.asarray(got).dtype.kind == "f"
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


def _tensors(value):
    """Arrays as convlens Tensors of the same dtype (lists of arrays too)."""
    if isinstance(value, np.ndarray):
        return ops.convert_to_tensor(value)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [ops.convert_to_tensor(v) for v in value]
    return value


@pytest.mark.parametrize(
    "name, args, kwargs",
    SAME_AS_KERAS,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SAME_AS_KERAS)],
)
def test_tensors_give_what_arrays_give(name, args, kwargs):
    fn = resolve(ops, name)
    from_arrays = fn(*args, **kwargs)
    from_tensors = fn(*[_tensors(a) for a in args], **kwargs)
    if isinstance(from_arrays, cl.Tensor):
        assert isinstance(from_tensors, cl.Tensor)
        assert from_tensors.dtype == from_arrays.dtype
        from_arrays, from_tensors = from_arrays.numpy(), from_tensors.numpy()
    np.testing.assert_array_equal(from_tensors, from_arrays)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("split", (X, 3), {"axis": 1}),
        ("split", (X, [1, 3]), {"axis": -1}),
        ("unstack", (X,), {"axis": 1}),
        ("top_k", (X, 2), {}),
        ("moments", (X, (0, 2)), {}),
        ("where", (X > 1,), {}),
    ],
)
def test_ops_returning_several_tensors_match_keras(name, args, kwargs):
    keras = real_keras()
    expected = resolve(keras.ops, name)(*args, **kwargs)
    got = resolve(ops, name)(*args, **kwargs)
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=2e-5, atol=2e-6)


def test_shape_and_dtype_read_like_keras():
    assert ops.shape(X) == (2, 3, 4) and ops.shape(cl.Tensor(M)) == (3, 4)
    assert ops.dtype(cl.Tensor(M)) == "float32" and ops.is_tensor(cl.Tensor(M))
    assert not ops.is_tensor(M)
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor(1.5).dtype == np.float32
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64  # arrays keep their dtype
    assert ops.convert_to_tensor(M, dtype="float16").dtype == np.float16
    np.testing.assert_array_equal(ops.convert_to_numpy(cl.Tensor(M)), M)


# ----- gradients: float64 central differences -----

A = signed(2, 3, 4)
B = signed(3, 5)
POS = positive(2, 3, 4)
GRADIENTS = {
    "square": (ops.square, A),
    "rsqrt": (ops.rsqrt, POS),
    "reciprocal": (ops.reciprocal, POS),
    "log1p": (ops.log1p, POS),
    "expm1": (ops.expm1, A),
    "sin": (ops.sin, A),
    "cos": (ops.cos, A),
    "prod": (lambda x: ops.prod(x, axis=(0, 2)), A),
    "prod with a zero": (
        lambda x: ops.prod(x, axis=-1),
        np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]]),
    ),
    "prod all": (ops.prod, A[0, :2]),
    "cumsum": (lambda x: ops.cumsum(x, axis=1), A),
    "std": (lambda x: ops.std(x, axis=-1), A),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), A),
    "norm": (ops.norm, A),
    "norm ord 3": (lambda x: ops.norm(x, ord=3, axis=-1), A),
    "norm ord 1 matrix": (lambda x: ops.norm(x, ord=1, axis=(1, 2)), A),
    "normalize": (lambda x: ops.normalize(x, axis=1), A),
    "normalize order 1": (lambda x: ops.normalize(x, order=1), A),
    "moments": (lambda x: ops.add(*ops.moments(x, (0, 1))), A),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), A),
    "repeat": (lambda x: ops.repeat(x, 3, axis=1), A),
    "repeat counts": (lambda x: ops.repeat(x, [2, 0, 1], axis=1), A),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (3, 2, 3, 4)), A),
    "take repeated": (lambda x: ops.take(x, [2, 0, 2], axis=1), A),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[[1], [0], [1]]]), 2), A),
    "sort": (lambda x: ops.sort(x, axis=1), A),
    "top_k": (lambda x: ops.top_k(x, 2)[0], A),
    "split": (lambda x: ops.split(x, [1], axis=2)[1], A),
    "unstack": (lambda x: ops.unstack(x, axis=1)[2], A),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), A),
    "flip": (lambda x: ops.flip(x, axis=(0, 2)), A),
    "dot": (lambda x: ops.dot(x, np.linspace(-1.0, 1.0, 8).reshape(4, 2)), A),
    "log_sigmoid": (ops.log_sigmoid, A),
    "erf": (ops.erf, A),
    "mod": (lambda x: ops.mod(x, 0.7), A),
    "average weighted": (lambda x: ops.average(x, axis=1, weights=np.array([1.0, 2.0, 0.5])), A),
    "relu6": (lambda x: ops.relu6(x * 4), A),
    "moveaxis two": (lambda x: ops.moveaxis(x, [0, 1], [2, 0]), A),
    "rgb_to_grayscale": (ops.image.rgb_to_grayscale, signed(2, 3, 4, 3)),
    "resize up": (lambda x: ops.image.resize(x, (5, 7)), A[..., None]),
    "resize down antialias": (
        lambda x: ops.image.resize(x, (2, 3), antialias=True),
        signed(1, 5, 7, 2),
    ),
    "resize nearest": (
        lambda x: ops.image.resize(x, (4, 3), interpolation="nearest"),
        A[..., None],
    ),
    "resize crop": (lambda x: ops.image.resize(x, (2, 2), crop_to_aspect_ratio=True), A[..., None]),
}


@pytest.mark.parametrize("name", GRADIENTS)
def test_gradients_match_central_differences(name):
    fn, array = GRADIENTS[name]
    assert_gradients(fn, array)


def test_two_input_products_have_gradients_in_both():
    assert_gradients(lambda a, b: ops.tensordot(a, b, axes=([1], [0])), A, B[:, :4])
    assert_gradients(lambda a, b: ops.dot(a, b), A, signed(4, 2))
    assert_gradients(lambda a, b: ops.dot(a, b), signed(4), signed(4))
    check_op(
        lambda a, b: ops.tensordot(a, b, axes=1),
        lambda a, b: np.tensordot(a, b, 1),
        A,
        signed(4, 2),
    )


# ----- what has no gradient, and dtypes -----


def test_comparisons_and_logic_return_boolean_tensors_without_gradient():
    x = cl.Tensor(A, requires_grad=True)
    for mask in (ops.greater(x, 0), ops.equal(x, x), ops.logical_not(x > 0), x <= 0.5):
        assert isinstance(mask, cl.Tensor) and mask.dtype == np.bool_
        assert not mask.requires_grad
    np.testing.assert_array_equal((x < 0).numpy(), A < 0)
    np.testing.assert_array_equal((x >= 0.3).numpy(), A >= 0.3)
    np.testing.assert_array_equal(((x > 0) & (x < 1)).numpy(), (A > 0) & (A < 1))
    np.testing.assert_array_equal(((x < -1) | ~(x < 1)).numpy(), (A < -1) | ~(A < 1))
    assert ops.argmax(x, axis=0).dtype == np.int32


def test_cast_keeps_the_gradient_between_floats_and_cuts_it_to_integers():
    x = cl.Tensor(A, requires_grad=True)
    y = ops.cast(x, "float32")
    assert y.dtype == np.float32 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, np.ones_like(A))
    assert not ops.cast(x, "int32").requires_grad
    assert ops.stop_gradient(x).requires_grad is False


def test_a_masked_mean_differentiates_through_the_cast_mask():
    # A Keras-style metric: the mask comes from a comparison, the gradient through the values.
    x = cl.Tensor(A, requires_grad=True)
    mask = ops.cast(ops.greater(x, 0), "float64")
    loss = ops.sum(ops.square(x) * mask) / ops.maximum(ops.sum(mask), 1.0)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * A * (A > 0) / (A > 0).sum())


# ----- Tensor operators and conversions -----


def test_equality_stays_identity_so_tensors_remain_dictionary_keys():
    a, b = cl.Tensor([1.0, 2.0]), cl.Tensor([1.0, 2.0])
    assert (a == a) is True and (a == b) is False and a != b
    assert {a: 1, b: 2}[b] == 2


def test_single_values_convert_to_python_numbers():
    t = cl.Tensor(np.array([[2.75]]))
    assert float(t) == 2.75 and int(t) == 2 and bool(t) is True
    assert bool(cl.Tensor(0.0)) is False
    assert math.isclose(float(ops.mean(cl.Tensor(A))), A.mean())
    with pytest.raises(TypeError):  # as a JAX array: only one element converts
        float(cl.Tensor(A))
    array = np.asarray(cl.Tensor(A))
    np.testing.assert_array_equal(array, A)
    assert np.asarray(cl.Tensor(A), dtype="float32").dtype == np.float32


# ----- bad input -----


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.one_hot([1], 3, sparse=True), "sparse=True is not supported"),
        (lambda: ops.one_hot([1], 0), "num_classes must be a positive int"),
        (lambda: ops.split(A, 5, axis=1), "5 sections do not divide axis 1 of length 3"),
        (lambda: ops.top_k(A, 9), r"k=9 must be in \[1, 4\]"),
        (lambda: ops.norm(A[0], ord="nuc"), "not supported"),
        (lambda: ops.image.resize(A, (2, 2), interpolation="cubic"), "interpolation must be one"),
        (lambda: ops.image.resize(A[0], (2, 2)), r"rank 3 \(H, W, C\) or 4"),
        (lambda: ops.image.resize(A[..., None], (0, 2)), "size must be"),
        (lambda: ops.repeat(A, [1, 2], axis=1), "2 repeat counts for an axis of length 3"),
        (lambda: ops.tensordot(A, B, axes=([2], [0])), "differ in length"),
        (lambda: ops.normalize(A, order=0), "order must be an int >= 1"),
        (lambda: ops.argmax(np.zeros((0,))), "empty tensor"),
        (lambda: ops.where(A > 0, A), "pass both x1 and x2"),
        (lambda: ops.unstack(A, num=3, axis=0), "num=3 but axis 0 has length 2"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
