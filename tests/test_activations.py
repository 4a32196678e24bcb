"""The activation registry: Keras names, serialization, and the activations composed here."""

import json

import numpy as np
import pytest

import convlens as cl
from convlens import activations, ops
from oracle import check_op, host, torch_or_skip

X = np.array([-7.0, -3.5, -1.2, -0.3, 0.4, 1.7, 3.2, 5.5, 8.0])  # away from the kinks 0, ±3, 6

KERAS_NAMES = [
    "elu",
    "exponential",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]


def softplus(x):
    return np.logaddexp(0.0, x)


# The activations composed in activations.py, against their definitions (float64).
DEFINITIONS = {
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "exponential": np.exp,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(softplus(x)),
    "log_sigmoid": lambda x: -softplus(-x),
}


@pytest.mark.parametrize("name", DEFINITIONS)
def test_composed_activation_matches_its_definition(name):
    check_op(activations.get(name), DEFINITIONS[name], X, rtol=1e-12)


def keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's ``activations.relu``, transcribed with NumPy."""
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"negative_slope": 0.1},
        {"max_value": 4.0},
        {"threshold": 1.0},
        {"negative_slope": 0.3, "max_value": 5.0, "threshold": -2.0},
    ],
)
def test_relu_options_match_keras(options):
    check_op(lambda t: activations.relu(t, **options), lambda x: keras_relu(x, **options), X)


def test_relu6_gradient_is_zero_at_both_kinks():
    x = cl.Tensor([0.0, 3.0, 6.0, 7.0], requires_grad=True)
    activations.relu6(x).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "name, reference",
    [
        ("relu6", "relu6"),
        ("hard_silu", "hardswish"),
        ("mish", "mish"),
        ("log_sigmoid", "logsigmoid"),
    ],
)
def test_composed_activation_matches_pytorch(name, reference):
    torch = torch_or_skip()
    upstream = np.random.default_rng(0).standard_normal(X.shape)
    ours = cl.Tensor(X, requires_grad=True)
    activations.get(name)(ours).backward(upstream)
    theirs = torch.tensor(X, requires_grad=True)
    expected = getattr(torch.nn.functional, reference)(theirs)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(
        activations.get(name)(X).numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_every_keras_name_resolves_and_serializes_back(name):
    fn = activations.get(name)
    out = fn(np.array([[-1.0, 0.5, 2.0]], np.float32))
    assert isinstance(out, cl.Tensor) and out.shape == (1, 3) and out.dtype == np.float32
    canonical = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert activations.serialize(fn) == canonical
    assert activations.deserialize(json.loads(json.dumps(activations.serialize(fn)))) is fn


def test_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear
    assert activations.serialize(None) == "linear"

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_ops_functions_serialize_by_name():
    assert activations.serialize(ops.relu) == "relu"
    assert activations.serialize(ops.softmax) == "softmax"
    assert activations.serialize(activations.swish) == "silu"


def test_keras3_function_dict_is_accepted():
    config = {
        "module": "keras.activations",
        "class_name": "function",
        "config": "relu",
        "registered_name": "relu",
    }
    assert activations.get(config) is activations.relu


def test_unknown_name_lists_the_accepted_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown activation 'rellu'\. Accepted names: elu, "
        r"exponential, gelu, .*tanh\. Did you mean 'relu'\?",
    ):
        activations.get("rellu")


def test_other_identifiers_are_rejected():
    with pytest.raises(ValueError, match="Could not interpret activation identifier 3"):
        activations.get(3)


def test_custom_function_cannot_be_serialized():
    with pytest.raises(ValueError, match="Cannot serialize the activation"):
        activations.serialize(lambda x: x)
