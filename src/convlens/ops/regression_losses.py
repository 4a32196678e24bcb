"""Regression losses with Keras 3's definitions, one value per sample: mean absolute percentage
error, mean squared logarithmic error, log-cosh and cosine similarity.

As in :mod:`.losses`, a rank-1 input counts each element as a sample, ``y_true`` is data (cast to
``y_pred``'s dtype, no gradient) and the epsilon is Keras's ``backend.epsilon()``, 1e-7.
"""

from __future__ import annotations

import math

import numpy

from .. import backend
from ..tensor import Tensor
from .activation import softplus
from .elementwise import abs as abs_
from .elementwise import divide, log, maximum, minimum, multiply, negative, power, subtract
from .losses import EPSILON, _class_axis, _per_sample, _prepare
from .reduce import sum as reduce_sum


def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """``100 · mean(|y_true - y_pred| / max(|y_true|, ε))`` over the last axis.

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]).numpy()
        array([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_absolute_percentage_error", y_true, y_pred)
    scale = backend.xp.maximum(backend.xp.abs(y_true), EPSILON)  # data: no gradient
    return multiply(_per_sample(abs_(divide(subtract(y_true, y_pred), scale))), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """The mean of ``(log(max(y_pred, ε) + 1) - log(max(y_true, ε) + 1))²`` over the last axis.

    Example:
        >>> round(float(mean_squared_logarithmic_error([[0.0]], [[1.718281828]]).item()), 6)
        1.0
    """
    y_true, y_pred = _prepare("mean_squared_logarithmic_error", y_true, y_pred)
    true_log = backend.xp.log(backend.xp.maximum(y_true, EPSILON) + 1)
    error = subtract(log(maximum(y_pred, EPSILON) + 1.0), true_log)
    return _per_sample(multiply(error, error))


def log_cosh(y_true, y_pred) -> Tensor:
    """The mean of ``log(cosh(y_pred - y_true))`` over the last axis: about ``x²/2`` for small
    errors and ``|x| - log 2`` for large ones, computed as ``x + softplus(-2x) - log 2`` so that
    cosh never overflows.

    Example:
        >>> log_cosh([[0.0, 0.0]], [[1.0, -1.0]]).numpy().round(6)
        array([0.433781], dtype=float32)
    """
    y_true, y_pred = _prepare("log_cosh", y_true, y_pred)
    x = subtract(y_pred, y_true)
    return _per_sample(subtract(x + softplus(multiply(x, -2.0)), math.log(2.0)))


def _l2_normalize(x, axis):
    """Keras's ``normalize``: ``x · min(1/√Σx², 1/ε)`` along ``axis``, as a Tensor."""
    inverse_norm = power(reduce_sum(multiply(x, x), axis=axis, keepdims=True), -0.5)
    return multiply(x, minimum(inverse_norm, 1.0 / EPSILON))


def cosine_similarity(y_true, y_pred, axis=-1) -> Tensor:
    """The negated cosine similarity ``-Σ ŷ_true · ŷ_pred`` along ``axis`` (unit vectors): -1
    for vectors pointing the same way, so minimising it aligns the predictions with the labels.

    Raises:
        ValueError: for shapes that differ, or an axis out of range.

    Example:
        >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]).numpy().round(4)
        array([-0., -1.], dtype=float32)
    """
    op = "cosine_similarity"
    y_true, y_pred = _prepare(op, y_true, y_pred)
    axis = _class_axis(op, y_pred, axis)
    xp = backend.xp
    with numpy.errstate(divide="ignore"):  # a zero label vector stays zero, as in Keras
        inverse_norm = 1 / xp.sqrt((y_true * y_true).sum(axis=axis, keepdims=True))
    true_unit = y_true * xp.minimum(inverse_norm, 1 / EPSILON)  # data: no gradient
    return negative(reduce_sum(multiply(true_unit, _l2_normalize(y_pred, axis)), axis=axis))
