"""Loss objects with Keras's names: per-sample losses from ``convlens.ops``, reduced over a batch.

Reduction as Keras's default ``"sum_over_batch_size"``: the weighted per-sample losses summed and
divided by the number of samples (not by the sum of the weights).
"""

from __future__ import annotations

from . import ops
from .registry import deserialize, lookup, snake_case
from .tensor import Tensor


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> a scalar Tensor."""

    per_sample = None  # the op computing one loss per sample

    def __init__(self, name: str | None = None, **options):
        self.name = name or snake_case(type(self).__name__)
        self.options = options

    def per_sample_losses(self, y_true, y_pred) -> Tensor:
        return type(self).per_sample(y_true, y_pred, **self.options)

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        losses = self.per_sample_losses(y_true, y_pred)
        if sample_weight is not None:
            losses = losses * _match(sample_weight, losses)
        return ops.sum(losses) / max(losses.size, 1)

    def get_config(self) -> dict:
        return {"name": self.name, **self.options}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _match(sample_weight, losses):
    weight = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    weight = ops.reshape(Tensor(weight, dtype=losses.dtype), (-1,) + (1,) * (losses.ndim - 1))
    return weight


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy between integer labels ``(N,)`` and class probabilities (or logits)."""

    per_sample = staticmethod(ops.sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, name=None):
        super().__init__(name, from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """Cross-entropy between one-hot labels and class probabilities (or logits)."""

    per_sample = staticmethod(ops.categorical_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None):
        super().__init__(
            name, from_logits=bool(from_logits), label_smoothing=float(label_smoothing)
        )


class BinaryCrossentropy(Loss):
    """Cross-entropy of 0/1 labels and probabilities (or logits), averaged over the last axis."""

    per_sample = staticmethod(ops.binary_crossentropy)

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None):
        super().__init__(
            name, from_logits=bool(from_logits), label_smoothing=float(label_smoothing)
        )


class MeanSquaredError(Loss):
    """The mean of (y_true - y_pred)² over the last axis."""

    per_sample = staticmethod(ops.mean_squared_error)


class MeanAbsoluteError(Loss):
    """The mean of |y_true - y_pred| over the last axis."""

    per_sample = staticmethod(ops.mean_absolute_error)


class Huber(Loss):
    """Quadratic below ``delta``, linear above it: robust to outliers."""

    per_sample = staticmethod(ops.huber)

    def __init__(self, delta=1.0, name=None):
        super().__init__(name, delta=float(delta))


_BY_NAME = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "huber": Huber,
}
_CLASSES = {cls.__name__: cls for cls in set(_BY_NAME.values())}


class FunctionLoss(Loss):
    """A user's function ``f(y_true, y_pred) -> per-sample Tensor`` as a Loss."""

    def __init__(self, function, name=None):
        super().__init__(name or getattr(function, "__name__", "loss"))
        self.function = function

    def per_sample_losses(self, y_true, y_pred):
        return self.function(y_true, y_pred)


def get(identifier) -> Loss:
    """A Loss from a name (``"sparse_categorical_crossentropy"``, ``"mse"``...), a config dict,
    a Loss, or a function of ``(y_true, y_pred)``.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.
    """
    if isinstance(identifier, Loss):
        return identifier
    if callable(identifier) and not isinstance(identifier, type):
        return FunctionLoss(identifier)
    if isinstance(identifier, dict):
        return deserialize("loss", identifier, _CLASSES)
    return lookup("loss", identifier, _BY_NAME)()


def serialize(loss: Loss) -> dict:
    if isinstance(loss, FunctionLoss):
        raise ValueError(
            f"The custom loss function {loss.name!r} cannot be saved in a model file; "
            "compile again after loading."
        )
    return {"class_name": type(loss).__name__, "config": loss.get_config()}
