"""Activation ops against their definitions, central differences and PyTorch."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import convlens as cl
from convlens import ops
from oracle import check_op, host, torch_or_skip

erf = np.vectorize(math.erf)


def away_from_kinks(shape):
    """Values at least 0.05 from 0 and from ±3 (hard_sigmoid), where the functions have kinks."""
    x = np.random.default_rng(sum(shape)).uniform(-5, 5, shape)  # reproducible per example
    for kink in (0.0, 3.0, -3.0):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


# name -> (ours, definition)
ACTIVATIONS = {
    "relu": (ops.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (ops.elu, elu),
    "selu": (ops.selu, lambda x: 1.0507009873554805 * elu(x, 1.6732632423543772)),
    "gelu": (ops.gelu, lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "gelu_tanh": (
        lambda x: ops.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "sigmoid": (ops.sigmoid, sigmoid),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "tanh": (ops.tanh, np.tanh),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x))),
    "softsign": (ops.softsign, lambda x: x / (1 + np.abs(x))),
    "silu": (ops.silu, lambda x: x * sigmoid(x)),
    "linear": (ops.linear, lambda x: x),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=5))
def test_activation_matches_its_definition(name, shape):
    ours, definition = ACTIVATIONS[name]
    grad = name != "linear"  # linear returns its input: nothing is recorded
    check_op(ours, definition, away_from_kinks(shape), rtol=1e-7, grad=grad)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_over_any_axis(axis):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))

    def softmax(a):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    check_op(lambda t: ops.softmax(t, axis=axis), softmax, x)
    check_op(lambda t: ops.log_softmax(t, axis=axis), lambda a: np.log(softmax(a)), x)


def test_softmax_is_max_shifted_and_never_overflows():
    x = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    np.testing.assert_allclose(ops.softmax(x).numpy(), [[1.0, 0.0, 0.0]])
    assert np.isfinite(ops.log_softmax(x).numpy()).all()
    assert np.isfinite(ops.sigmoid(np.array([-1000.0, 1000.0], np.float32)).numpy()).all()
    assert np.isfinite(ops.softplus(np.array([-1000.0, 1000.0], np.float32)).numpy()).all()


def test_relu_gradient_is_zero_at_zero():
    x = cl.Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    ops.relu(x).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [0.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "elu",
        "selu",
        "gelu",
        "gelu_tanh",
        "sigmoid",
        "tanh",
        "softplus",
        "softsign",
        "silu",
        "hard_sigmoid",
        "leaky_relu",
    ],
)
@given(
    shape=array_shapes(min_dims=1, max_dims=3, max_side=6),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_activation_matches_pytorch(name, shape, dtype):
    torch = torch_or_skip()
    f = torch.nn.functional
    reference = {
        "relu": f.relu,
        "elu": f.elu,
        "selu": f.selu,
        "gelu": f.gelu,
        "gelu_tanh": lambda t: f.gelu(t, approximate="tanh"),
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softplus": f.softplus,
        "softsign": f.softsign,
        "silu": f.silu,
        "hard_sigmoid": f.hardsigmoid,
        "leaky_relu": lambda t: f.leaky_relu(t, 0.2),
    }[name]
    x = away_from_kinks(shape).astype(dtype)
    upstream = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    ours = cl.Tensor(x, requires_grad=True)
    out = ACTIVATIONS[name][0](ours)
    out.backward(upstream)
    theirs = torch.tensor(x, requires_grad=True)
    expected = reference(theirs)
    expected.backward(torch.tensor(upstream))
    # float32: a composite (gelu's tanh form, selu...) rounds in several steps where PyTorch
    # fuses; values up to ~5 carry ~1e-6 of float32 rounding. float64 stays tight.
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    if name == "hard_sigmoid" and dtype == np.float64:
        # PyTorch computes x/6 + 1/2 with a float32 constant even in float64 (3e-8 apart);
        # test_activation_matches_its_definition holds ours to Keras's relu6(x + 3)/6 exactly.
        tolerance = dict(rtol=1e-7, atol=1e-8)
    assert out.dtype == dtype and ours.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), **tolerance)
