"""Optimizers with Keras 3's names, defaults and update rules, and learning-rate schedules.

``get("adam")`` (any case), ``get({"class_name": "Adam", "config": {...}})`` or an instance;
``serialize``/``deserialize`` give and read plain JSON-able dicts.

Example:
    >>> import convlens as cl
    >>> from convlens import optimizers
    >>> w = cl.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> optimizer = optimizers.get("SGD")
    >>> optimizer.apply([[[10.0, -10.0]]], [w])   # w ← w − 0.01·g
    >>> w.data.tolist(), optimizer.iterations
    ([[0.9, 2.1]], 1)
    >>> optimizers.serialize(optimizers.Adam(learning_rate=0.01))["config"]["learning_rate"]
    0.01
"""

from __future__ import annotations

from .. import registry
from . import schedules
from .adaptive import Adadelta, Adamax, Lion, Nadam
from .algorithms import SGD, Adagrad, Adam, AdamW, RMSprop
from .base import Optimizer
from .ftrl import Ftrl

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

_BY_NAME = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "adadelta": Adadelta,
    "lion": Lion,
    "ftrl": Ftrl,
}
_CLASSES = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier) -> Optimizer:
    """An optimizer from a name (any case), a config dict, an Optimizer or an Optimizer class.

    Names give the optimizer with Keras's defaults (``"adam"`` is ``Adam(learning_rate=0.001)``).

    Raises:
        ValueError: for an unknown name (listing the accepted ones) or anything else.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            registry.lookup("optimizer", identifier, _BY_NAME)  # raises, listing the names
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(
        f"Could not interpret optimizer identifier {identifier!r}: expected a name "
        f"(one of {', '.join(sorted(_BY_NAME))}), a config dict or an Optimizer."
    )


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": "Adam", "config": {...}}``; a schedule is nested as its own dict."""
    return registry.serialize(optimizer)


def deserialize(config: dict) -> Optimizer:
    """An optimizer from :func:`serialize`'s dict (Keras 3's dicts are read too)."""
    return registry.deserialize("optimizer", config, _CLASSES, _BY_NAME)
