"""Probabilistic losses with Keras 3's definitions, one value per sample: the focal
cross-entropies (Lin et al., "Focal Loss for Dense Object Detection", 2017), the
Kullback-Leibler divergence and the Poisson loss.

As in :mod:`.losses`, ``y_true`` is data (cast to ``y_pred``'s dtype, no gradient), probabilities
are clipped to [ε, 1 - ε] with Keras's ε = 1e-7, and a rank-1 input counts each element as a
sample.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..tensor import Tensor
from .activation import sigmoid, softmax
from .elementwise import clip, divide, log, multiply, negative, power, subtract
from .losses import EPSILON, _class_axis, _per_sample, _prepare, _smoothing
from .reduce import mean
from .reduce import sum as reduce_sum


def _non_negative(op, name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{op}: {name} must be a number >= 0, received {name}={value!r}.")
    return float(value)


def check_focal_arguments(owner, alpha, gamma, label_smoothing) -> None:
    """Validate the focal losses' arguments when the loss is made, not at its first call.

    Raises:
        ValueError: for a negative alpha or gamma, or a smoothing outside [0, 1].
    """
    _non_negative(owner, "alpha", alpha)
    _non_negative(owner, "gamma", gamma)
    _smoothing(owner, label_smoothing)


def _reduce_axis(values: Tensor, axis, reduce) -> Tensor:
    """Reduce over ``axis`` for inputs of rank >= 2; rank-1 values are per sample already."""
    return reduce(values, axis=axis) if values.ndim >= 2 else values


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
) -> Tensor:
    """Binary cross-entropy scaled by ``(1 - p_t)^γ``, so well-classified examples count less.

    ``p_t = y·p + (1 - y)(1 - p)`` is the probability given to the true label; with
    ``apply_class_balancing`` each term is also weighted by ``α`` (positives) or ``1 - α``.

    Args:
        y_true: 0/1 (or soft) labels, the shape of ``y_pred``.
        y_pred: probabilities, or logits with ``from_logits=True``.
        apply_class_balancing: weight positives by ``alpha`` and negatives by ``1 - alpha``.
        alpha: the class-balancing weight, >= 0.
        gamma: the focusing exponent ``γ`` >= 0; 0 gives the binary cross-entropy.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; labels become ``y (1 - s) + s / 2``.
        axis: the axis averaged over.

    Returns:
        A Tensor with one value per sample.

    Raises:
        ValueError: for shapes that differ, a negative alpha or gamma, or a smoothing outside
            [0, 1].

    Example:
        >>> binary_focal_crossentropy([[0.0, 1.0]], [[0.4, 0.6]], gamma=2.0).numpy().round(5)
        array([0.08172], dtype=float32)
    """
    op = "binary_focal_crossentropy"
    alpha, gamma = _non_negative(op, "alpha", alpha), _non_negative(op, "gamma", gamma)
    label_smoothing = _smoothing(op, label_smoothing)
    y_true, y_pred = _prepare(op, y_true, y_pred)
    axis = _class_axis(op, y_pred, axis)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    p = sigmoid(y_pred) if from_logits else y_pred
    clipped = clip(p, EPSILON, 1 - EPSILON)
    bce = negative(
        multiply(y_true, log(clipped)) + multiply(1 - y_true, log(subtract(1.0, clipped)))
    )
    p_t = multiply(y_true, p) + multiply(1 - y_true, subtract(1.0, p))  # the true label's p
    focal = multiply(power(subtract(1.0, p_t), gamma), bce)  # (1 - p_t)^γ · bce
    if apply_class_balancing:
        focal = multiply(y_true * alpha + (1 - y_true) * (1 - alpha), focal)
    return _reduce_axis(focal, axis, mean)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
) -> Tensor:
    """Categorical cross-entropy with each class term scaled by ``α (1 - p)^γ``.

    Args:
        y_true: one-hot (or soft) labels (N, K).
        y_pred: probabilities (renormalised over ``axis`` and clipped, as Keras), or logits
            with ``from_logits=True``.
        alpha: the weight ``α`` >= 0 of every term.
        gamma: the focusing exponent ``γ`` >= 0.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; labels become ``y (1 - s) + s / K``.
        axis: the class axis.

    Returns:
        A Tensor with one value per sample: ``-Σ α (1 - p)^γ y log p``.

    Raises:
        ValueError: for shapes that differ, a negative alpha or gamma, or a smoothing outside
            [0, 1].

    Example:
        >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.4, 0.6]]).numpy().round(5)
        array([0.02043], dtype=float32)
    """
    op = "categorical_focal_crossentropy"
    alpha, gamma = _non_negative(op, "alpha", alpha), _non_negative(op, "gamma", gamma)
    label_smoothing = _smoothing(op, label_smoothing)
    y_true, y_pred = _prepare(op, y_true, y_pred)
    axis = _class_axis(op, y_pred, axis)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_true.shape[-1]
    p = softmax(y_pred, axis=axis) if from_logits else y_pred
    p = clip(divide(p, reduce_sum(p, axis=axis, keepdims=True)), EPSILON, 1 - EPSILON)
    cross_entropy = negative(multiply(y_true, log(p)))
    focal = multiply(multiply(power(subtract(1.0, p), gamma), alpha), cross_entropy)
    return reduce_sum(focal, axis=axis)


def kl_divergence(y_true, y_pred) -> Tensor:
    """``Σ y log(y / p)`` over the last axis, both clipped to [ε, 1] (Keras).

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).numpy().round(5)
        array([0.14384], dtype=float32)
    """
    y_true, y_pred = _prepare("kl_divergence", y_true, y_pred)
    y_true = backend.xp.clip(y_true, EPSILON, 1)
    terms = multiply(y_true, negative(log(clip(y_pred, EPSILON, 1.0))) + backend.xp.log(y_true))
    return _reduce_axis(terms, -1, reduce_sum)


def poisson(y_true, y_pred) -> Tensor:
    """The Poisson negative log-likelihood up to a constant, ``mean(p - y log(p + ε))`` over
    the last axis, for count data predicted as rates ``p`` >= 0.

    Example:
        >>> poisson([[1.0, 0.0]], [[1.0, 2.0]]).numpy()
        array([1.], dtype=float32)
    """
    y_true, y_pred = _prepare("poisson", y_true, y_pred)
    return _per_sample(subtract(y_pred, multiply(y_true, log(y_pred + EPSILON))))
