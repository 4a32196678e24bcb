"""F-scores with Keras 3's definitions: ``FBetaScore`` and ``F1Score``.

Per class, ``F_β = (1 + β²)·P·R / (β²·P + R)`` from the precision ``P`` and recall ``R`` of the
thresholded predictions (each with Keras's ε in the denominators); ``average`` combines the
classes: None (one score per class), ``"micro"`` (pooled counts), ``"macro"`` (the mean) or
``"weighted"`` (weighted by each class's number of true labels).
"""

from __future__ import annotations

import numpy

from .base import Metric, accumulate, host, read, scalar_or_array

EPSILON = 1e-7  # Keras's backend.epsilon()


class FBetaScore(Metric):
    """The F-beta score of multi-class or multi-label predictions.

    Args:
        average: None, ``"micro"``, ``"macro"`` or ``"weighted"``.
        beta: ``β`` > 0, a float: the weight of recall against precision.
        threshold: predictions above it are positive (a float in (0, 1]); None marks each
            sample's highest score positive.
        name, dtype: as :class:`~.base.Metric`.

    Raises:
        ValueError: for an unknown average, a non-float or non-positive beta, a threshold
            outside (0, 1], or inputs that are not 2-D.

    Example:
        >>> m = F1Score(average="macro", threshold=0.5)
        >>> m.update_state([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.6, 0.7], [0.4, 0.8]])
        >>> round(m.result(), 4)
        0.75
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                f"{owner}: average must be one of None, 'micro', 'macro', 'weighted', "
                f"received average={average!r}."
            )
        if not isinstance(beta, float) or beta <= 0:
            raise ValueError(f"{owner}: beta must be a float > 0, received beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0 < threshold <= 1):
            raise ValueError(
                f"{owner}: threshold must be a float in (0, 1], received threshold={threshold!r}."
            )
        self.average, self.beta, self.threshold = average, beta, threshold
        self._built = False

    def _build(self, y_true_shape, y_pred_shape) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__}: expected 2-D inputs (batch_size, output_dim), "
                f"received y_true.shape={y_true_shape} and y_pred.shape={y_pred_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for name in (
            "true_positives",
            "false_positives",
            "false_negatives",
            "intermediate_weights",
        ):
            setattr(self, name, self.add_variable(shape, "zeros", "float64", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = host(y_true).astype(self.dtype)
        y_pred = host(y_pred).astype(self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:  # each sample's top score (ties all count), if not ~0
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (numpy.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(numpy.float64)
        y_true = y_true.astype(numpy.float64)
        weight = None if sample_weight is None else host(sample_weight).astype(numpy.float64)
        axis = None if self.average == "micro" else 0

        def weighted_sum(values):
            return (values if weight is None else values * weight[:, None]).sum(axis=axis)

        accumulate(self.true_positives, weighted_sum(predicted * y_true))
        accumulate(self.false_positives, weighted_sum(predicted * (1 - y_true)))
        accumulate(self.false_negatives, weighted_sum((1 - predicted) * y_true))
        accumulate(self.intermediate_weights, weighted_sum(y_true))

    def result(self):
        if not self._built:
            return 0.0
        tp, fp, fn = (
            read(self.true_positives),
            read(self.false_positives),
            read(self.false_negatives),
        )
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        beta_squared = self.beta**2
        score = precision * recall / (beta_squared * precision + recall + EPSILON)
        score = score * (1 + beta_squared)
        if self.average == "weighted":
            weights = read(self.intermediate_weights)
            score = (score * weights / (weights.sum() + EPSILON)).sum()
        elif self.average is not None:
            score = score.mean()
        return scalar_or_array(score)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, ``2·P·R / (P + R)``: :class:`FBetaScore` with ``beta=1.0``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
