"""Activation functions by Keras name: ``get("relu")``, ``serialize(fn) -> "relu"``.

The functions are the ops of :mod:`convlens.ops.activation` (they take and return Tensors and
are differentiable); a few Keras activations that are not ops are composed here from ops.

Example:
    >>> from convlens import activations
    >>> activations.get("relu")([-1.0, 2.0]).numpy().tolist()
    [0.0, 2.0]
    >>> activations.serialize(activations.get(None))
    'linear'
"""

from __future__ import annotations

from . import ops, registry
from .ops import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    linear,
    log_softmax,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from .registry import lookup
from .tensor import Tensor, as_tensor

__all__ = [
    "elu",
    "exponential",
    "gelu",
    "get",
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
    "serialize",
    "deserialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]


def relu(
    x, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """Keras's ``activations.relu``: ``max(x, 0)``, optionally leaky, capped or thresholded.

    Args:
        x: the input Tensor or array.
        negative_slope: the slope below ``threshold`` (0: plain ReLU).
        max_value: the largest output, or None for no cap.
        threshold: inputs at or below it give ``negative_slope * (x - threshold)``.

    Example:
        >>> relu([-2.0, 1.0, 9.0], negative_slope=0.5, max_value=6.0).numpy().tolist()
        [-1.0, 1.0, 6.0]
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)  # the primitive, the common case
    x = as_tensor(x)
    # Keras's order: keep x above threshold, clip to [0, max_value], subtract the leaky part.
    out = ops.where(x.data > threshold, x, 0.0)
    if max_value is not None:
        out = ops.clip(out, 0.0, float(max_value))
    if negative_slope != 0.0:
        out = out - ops.relu(threshold - x) * negative_slope
    return out


def relu6(x) -> Tensor:
    """``min(max(x, 0), 6)``; the gradient is 0 at both kinks, as TensorFlow's."""
    x = as_tensor(x)
    return ops.where(x.data < 6, ops.relu(x), 6.0)


def exponential(x) -> Tensor:
    """``e^x``."""
    return ops.exp(x)


def hard_silu(x) -> Tensor:
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    return ops.multiply(x, hard_sigmoid(x))


def mish(x) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra 2019)."""
    return ops.multiply(x, tanh(softplus(x)))


def log_sigmoid(x) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, without overflow."""
    return ops.negative(softplus(ops.negative(x)))


hard_swish = hard_silu

_BY_NAME = {
    "elu": elu,
    "exponential": exponential,
    "gelu": gelu,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": hard_silu,
    "hard_swish": hard_silu,
    "leaky_relu": leaky_relu,
    "linear": linear,
    "log_sigmoid": log_sigmoid,
    "log_softmax": log_softmax,
    "mish": mish,
    "relu": relu,
    "relu6": relu6,
    "selu": selu,
    "sigmoid": sigmoid,
    "silu": silu,
    "softmax": softmax,
    "softplus": softplus,
    "softsign": softsign,
    "swish": silu,
    "tanh": tanh,
}


# Function -> its Keras name; the op versions (ops.relu...) and aliases serialize by name too.
def _unwrapped(function):
    """The op itself, without the wrapper that records it on symbolic tensors."""
    return getattr(function, "__wrapped__", function)


_NAMES = {
    _unwrapped(fn): name for name, fn in _BY_NAME.items() if name not in ("swish", "hard_swish")
}
_NAMES.update({_unwrapped(ops.relu): "relu", _unwrapped(ops.exp): "exponential"})


def get(identifier):
    """The activation function for ``identifier``.

    Args:
        identifier: None (linear), a name (``"relu"``, ``"softmax"``...), a Keras 3 dict
            (``{"class_name": "function", "config": "relu"}``), or a callable, returned as is.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.

    Example:
        >>> get("rellu")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: Unknown activation 'rellu'. Accepted names: elu, ... Did you mean 'relu'?
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        registered = registry.get_registered_object(identifier) if ">" in identifier else None
        return registered or lookup("activation", identifier, _BY_NAME)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation identifier {identifier!r}: expected a "
        f"name (one of {', '.join(sorted(_BY_NAME))}), None or a callable."
    )


def serialize(activation) -> str | dict:
    """The Keras name of a built-in activation (``relu`` -> ``"relu"``, None -> ``"linear"``),
    or Keras's function dict for one registered with ``register_keras_serializable``.

    Raises:
        ValueError: for a function of your own, which a JSON model file cannot hold.
    """
    if activation is None:
        return "linear"
    activation = _unwrapped(activation)
    try:
        return _NAMES[activation]
    except (KeyError, TypeError):
        pass
    if registry.get_registered_name(activation) is not None:
        return registry.serialize_function(activation)  # a registered function of the user's
    raise ValueError(
        f"Cannot serialize the activation {activation!r}: only built-in activations are saved "
        f"by name ({', '.join(sorted(_BY_NAME))}). Use one of them, or apply yours in a layer "
        "that you rebuild after loading."
    )


def deserialize(config):
    """The function for a name or a Keras 3 dict ``{"class_name": "function", "config": name}``.

    Raises:
        ValueError: for an unknown name or a malformed dict.
    """
    if isinstance(config, dict):
        registered = config.get("registered_name")
        if config.get("class_name") == "function" and isinstance(config.get("config"), str):
            config = config["config"]
        else:
            config = config.get("class_name")
        for name in (registered, config):  # a user's function, registered by that name
            function = registry.get_registered_object(name) if isinstance(name, str) else None
            if function is not None:
                return function
    return get(config) if isinstance(config, str) else lookup("activation", config, _BY_NAME)
