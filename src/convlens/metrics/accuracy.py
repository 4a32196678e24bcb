"""Accuracy metrics with Keras 3's names: per-sample functions and their running means.

One deliberate difference from Keras: Keras reduces rank-1 inputs (``y_true`` and ``y_pred`` of
shape ``(N,)``) over the batch axis to one value per call; here each of the N entries is a
sample, as when the model outputs ``(N, 1)``, so accumulation over batches stays exact.

Example:
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> m.result()
    0.5
"""

from __future__ import annotations

import numpy

from ..arguments import check_number
from .base import MeanMetricWrapper
from .base import host as _host
from .base import same_rank as _same_rank


def _mean_last(values):
    """The mean over the last axis (Keras's ``axis=-1``), rank-1 values being per sample already."""
    return values.mean(axis=-1) if values.ndim >= 2 else values


def accuracy(y_true, y_pred):
    """1.0 where ``y_pred`` equals ``y_true`` exactly, else 0.0."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last((y_true == y_pred).astype(numpy.float64))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often ``y_pred > threshold`` matches the 0/1 ``y_true``, averaged over the last axis."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last((y_true == (y_pred > threshold)).astype(numpy.float64))


def categorical_accuracy(y_true, y_pred):
    """Whether ``argmax(y_pred)`` is ``argmax(y_true)`` (one-hot labels); ties take the first."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(numpy.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether ``argmax(y_pred)`` is the integer label ``y_true`` (shape ``(N,)`` or ``(N, 1)``)."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true == y_pred.argmax(axis=-1)).astype(numpy.float64)


def _in_top_k(targets, predictions, k):
    """TF's ``in_top_k``: the target is in the top k when fewer than k scores beat it strictly,
    so tied classes straddling the boundary all count; a row with a non-finite score, or an
    out-of-range target, counts as a miss."""
    targets = targets.astype(numpy.int64)  # (M,)
    valid = (targets >= 0) & (targets < predictions.shape[-1])
    score = numpy.take_along_axis(predictions, numpy.where(valid, targets, 0)[:, None], axis=-1)
    beaten_by = (predictions > score).sum(axis=-1)  # (M,)
    return valid & (beaten_by < k) & numpy.isfinite(predictions).all(axis=-1)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the integer label ``y_true`` is among the ``k`` highest scores of ``y_pred``."""
    y_true, y_pred = _host(y_true), _host(y_pred)
    if y_true.size != y_pred.size // max(y_pred.shape[-1], 1):
        raise ValueError(
            "sparse_top_k_categorical_accuracy: expected one integer label per sample, received "
            f"y_true of shape {y_true.shape} for y_pred of shape {y_pred.shape}; one-hot labels "
            "take top_k_categorical_accuracy."
        )
    matches = _in_top_k(y_true.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return matches.reshape(y_true.shape).astype(numpy.float64)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether ``argmax(y_true)`` (one-hot) is among the ``k`` highest scores of ``y_pred``."""
    return sparse_top_k_categorical_accuracy(_host(y_true).argmax(axis=-1), y_pred, k)


def mean_squared_error(y_true, y_pred):
    """The mean of ``(y_true - y_pred)²`` over the last axis."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last(numpy.square(y_true.astype(numpy.float64) - y_pred))


def mean_absolute_error(y_true, y_pred):
    """The mean of ``|y_true - y_pred|`` over the last axis."""
    y_true, y_pred = _same_rank(_host(y_true), _host(y_pred))
    return _mean_last(numpy.abs(y_true.astype(numpy.float64) - y_pred))


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` equals the 0/1 label.

    Raises:
        ValueError: for a threshold outside (0, 1).
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        threshold = check_number(threshold, "threshold", "BinaryAccuracy", 0, 1, strict=True)
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the scores is that of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the scores is the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


def _positive_k(k, owner):
    if isinstance(k, bool) or not isinstance(k, (int, numpy.integer)) or k < 1:
        raise ValueError(f"{owner}: k must be a positive int, received {k!r}.")
    return int(k)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest scores (ties count, as in_top_k)."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = _positive_k(k, "TopKCategoricalAccuracy")
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest scores (ties count, as in_top_k)."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = _positive_k(k, "SparseTopKCategoricalAccuracy")
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
