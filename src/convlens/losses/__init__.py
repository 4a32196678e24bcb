"""Losses with Keras 3's names: classes (``losses.Hinge()``), per-sample functions
(``losses.hinge``), and :func:`get` by name (``"hinge"``, ``"kld"``, ``"Hinge"``...).

Subclass :class:`Loss` and write ``call(y_true, y_pred)`` for a loss of your own, or give
``compile`` a function ``f(y_true, y_pred)``; see :mod:`.base` for the reductions.
"""

from __future__ import annotations

from ..ops.hinge_losses import categorical_hinge, hinge, squared_hinge
from ..ops.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from ..ops.probabilistic_losses import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
)
from ..ops.regression_losses import (
    cosine_similarity,
    log_cosh,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
)
from ..registry import deserialize as _deserialize
from ..registry import lookup
from .base import REDUCTIONS, FunctionLoss, Loss, LossFunctionWrapper, reduce_weighted_values
from .classes import (
    ALL_CLASSES,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)

# Keras 3's ``losses.get`` names: each function's name, and the short aliases.
_FUNCTIONS = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    log_cosh: LogCosh,
    huber: Huber,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
}
_BY_NAME = {function.__name__: cls for function, cls in _FUNCTIONS.items()}
for _alias, _cls in {
    "bce": BinaryCrossentropy,
    "kld": KLDivergence,
    "mae": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
}.items():
    _BY_NAME[_alias] = _BY_NAME[_alias.upper()] = _cls
_CLASSES = {cls.__name__: cls for cls in ALL_CLASSES}


def get(identifier) -> Loss:
    """A Loss from a name (``"sparse_categorical_crossentropy"``, ``"mse"``, ``"hinge"``...), a
    class name, a config dict, a Loss or Loss class, or a function of ``(y_true, y_pred)``.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.

    Example:
        >>> type(get("kld")).__name__, get("log_cosh").name
        ('KLDivergence', 'log_cosh')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        if identifier in _FUNCTIONS:  # a built-in function: its (saveable) class
            return _FUNCTIONS[identifier](name=identifier.__name__)
        return FunctionLoss(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup("loss", identifier, _BY_NAME, _CLASSES)()


def serialize(loss: Loss) -> dict:
    """``{"class_name": ..., "config": ...}`` for a built-in loss (JSON-able).

    Raises:
        ValueError: for a custom function, which a config cannot hold.
    """
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config) -> Loss:
    """The loss described by :func:`serialize`'s dict (Keras 3's dicts are read too)."""
    return _deserialize("loss", config, _CLASSES, _BY_NAME)


__all__ = [
    "REDUCTIONS",
    "FunctionLoss",
    "Loss",
    "LossFunctionWrapper",
    "reduce_weighted_values",
    "get",
    "serialize",
    "deserialize",
    *_CLASSES,
    *(f.__name__ for f in _FUNCTIONS),
]
