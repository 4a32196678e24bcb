"""Regression, probabilistic and hinge metrics with Keras 3's names: running means of per-sample
functions (Keras's ``MeanMetricWrapper`` metrics), and the root mean squared error.

The per-sample values come from the losses of :mod:`convlens.ops` (the same definitions as
Keras's metric functions), computed on the host in float64.
"""

from __future__ import annotations

import numpy

from ..ops import hinge_losses, probabilistic_losses, regression_losses
from ..ops import losses as loss_functions
from ..tensor import no_grad
from .base import Mean, MeanMetricWrapper
from .base import host as _host
from .base import same_rank as _same_rank


def _mean_last(values):
    return values.mean(axis=-1) if values.ndim >= 2 else values


def mean_squared_error(y_true, y_pred):
    """The mean of ``(y_true - y_pred)²`` over the last axis."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last(numpy.square(y_true.astype(numpy.float64) - y_pred))


def mean_absolute_error(y_true, y_pred):
    """The mean of ``|y_true - y_pred|`` over the last axis."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last(numpy.abs(y_true.astype(numpy.float64) - y_pred))


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred)²``."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


def _on_host(function, y_true, y_pred, **kwargs) -> numpy.ndarray:
    """``function`` (a loss of :mod:`convlens.ops`) on host float64 copies: one value per
    sample, no graph recorded."""
    with no_grad():
        values = function(_host(y_true), _host(y_pred).astype(numpy.float64), **kwargs)
    return _host(values)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 · mean(|y_true - y_pred| / max(|y_true|, ε))`` over the last axis."""
    return _on_host(regression_losses.mean_absolute_percentage_error, y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """The mean of ``(log(1 + y_pred) - log(1 + y_true))²`` over the last axis."""
    return _on_host(regression_losses.mean_squared_logarithmic_error, y_true, y_pred)


def log_cosh(y_true, y_pred):
    """The mean of ``log(cosh(y_pred - y_true))`` over the last axis."""
    return _on_host(regression_losses.log_cosh, y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity of ``y_true`` and ``y_pred`` along ``axis`` (1: aligned)."""
    return -_on_host(regression_losses.cosine_similarity, y_true, y_pred, axis=axis)


def kl_divergence(y_true, y_pred):
    """``Σ y log(y / p)`` over the last axis."""
    return _on_host(probabilistic_losses.kl_divergence, y_true, y_pred)


def poisson(y_true, y_pred):
    """``mean(p - y log(p + ε))`` over the last axis."""
    return _on_host(probabilistic_losses.poisson, y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Binary cross-entropy, averaged over the last axis."""
    return _on_host(
        loss_functions.binary_crossentropy,
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
    )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy of one-hot labels."""
    return _on_host(
        loss_functions.categorical_crossentropy,
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        axis=axis,
    )


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Categorical cross-entropy of integer labels."""
    return _on_host(
        loss_functions.sparse_categorical_crossentropy,
        y_true,
        y_pred,
        from_logits=from_logits,
        axis=axis,
    )


def hinge(y_true, y_pred):
    """The mean of ``max(1 - y_true·y_pred, 0)``, 0/1 labels mapped to -1/+1."""
    return _on_host(hinge_losses.hinge, y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """The mean of ``max(1 - y_true·y_pred, 0)²``, 0/1 labels mapped to -1/+1."""
    return _on_host(hinge_losses.squared_hinge, y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """``max(best wrong score - true score + 1, 0)`` for one-hot labels."""
    return _on_host(hinge_losses.categorical_hinge, y_true, y_pred)


class RootMeanSquaredError(Mean):
    """``√(Σ wᵢ (y_true - y_pred)² / Σ wᵢ)`` over every element seen (Keras's definition).

    Example:
        >>> m = RootMeanSquaredError()
        >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]])
        >>> m.result()
        0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
        error = numpy.square(y_pred.astype(numpy.float64) - y_true)
        super().update_state(error, sample_weight=sample_weight)

    def result(self) -> float:
        return float(numpy.sqrt(super().result()))


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of ``100·|y_true - y_pred| / max(|y_true|, ε)``."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of ``(log(1 + y_pred) - log(1 + y_true))²``."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))`` (Keras names it ``logcosh``)."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence ``Σ y log(y / p)``."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The mean Poisson loss ``p - y log(p + ε)``."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """The mean hinge loss ``max(1 - y_true·y_pred, 0)``."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean squared hinge loss ``max(1 - y_true·y_pred, 0)²``."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean categorical hinge loss of one-hot labels."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity of labels and predictions along ``axis``."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy (Keras's metric, same arguments as the loss)."""

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy of one-hot labels."""

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy of integer labels.

    Raises:
        ValueError: for ``ignore_class`` other than None (not supported).
    """

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        if ignore_class is not None:
            raise ValueError(
                "SparseCategoricalCrossentropy: ignore_class is not supported; received "
                f"ignore_class={ignore_class!r}, expected None."
            )
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            axis=axis,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "ignore_class": None}
