"""Margin (hinge) losses with Keras 3's definitions, one value per sample.

Labels are -1/+1; 0/1 labels are mapped to -1/+1 first, as Keras does when every label is 0 or
1. The loss is zero once ``y_true * y_pred`` clears the margin of 1 (Cortes & Vapnik 1995).
"""

from __future__ import annotations

from .. import backend
from ..tensor import Tensor
from .elementwise import maximum, multiply, subtract
from .losses import _per_sample, _prepare
from .reduce import max as reduce_max
from .reduce import sum as reduce_sum


def _signed_labels(y_true):
    """Keras's ``convert_binary_labels_to_hinge``: 0/1 labels become -1/+1, others stay."""
    xp = backend.xp
    if bool(xp.all((y_true == 0) | (y_true == 1))):
        return 2 * y_true - 1
    return y_true


def _margin_violation(op, y_true, y_pred) -> Tensor:
    y_true, y_pred = _prepare(op, y_true, y_pred)
    return maximum(subtract(1.0, multiply(_signed_labels(y_true), y_pred)), 0.0)  # max(1 - y p, 0)


def hinge(y_true, y_pred) -> Tensor:
    """The mean of ``max(1 - y_true * y_pred, 0)`` over the last axis.

    Args:
        y_true: -1/+1 labels (0/1 labels are mapped to -1/+1), the shape of ``y_pred``.
        y_pred: scores (no squashing: a margin classifier's raw output).

    Returns:
        A Tensor with one value per sample.

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> hinge([[0.0, 1.0]], [[-0.5, 0.25]]).numpy()
        array([0.625], dtype=float32)
    """
    return _per_sample(_margin_violation("hinge", y_true, y_pred))


def squared_hinge(y_true, y_pred) -> Tensor:
    """The mean of ``max(1 - y_true * y_pred, 0)²`` over the last axis (see :func:`hinge`).

    Example:
        >>> squared_hinge([[0.0, 1.0]], [[-0.5, 0.25]]).numpy()
        array([0.40625], dtype=float32)
    """
    violation = _margin_violation("squared_hinge", y_true, y_pred)
    return _per_sample(multiply(violation, violation))


def categorical_hinge(y_true, y_pred) -> Tensor:
    """Crammer & Singer's multi-class hinge: ``max(neg - pos + 1, 0)`` per sample, where ``pos``
    is the score of the true class, ``Σ y_true·y_pred``, and ``neg`` the best other score,
    ``max((1 - y_true)·y_pred)``.

    Args:
        y_true: one-hot labels (N, K).
        y_pred: scores (N, K).

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.5, 0.75, 0.25]]).numpy()
        array([0.75], dtype=float32)
    """
    y_true, y_pred = _prepare("categorical_hinge", y_true, y_pred)
    positive = reduce_sum(multiply(y_true, y_pred), axis=-1)  # the true class's score
    negative = reduce_max(multiply(1 - y_true, y_pred), axis=-1)  # the best wrong score
    return maximum(subtract(negative, positive) + 1.0, 0.0)
