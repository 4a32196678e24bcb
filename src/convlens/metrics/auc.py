"""AUC: the area under the ROC or precision-recall curve, Keras 3's Riemann-sum estimate.

The curve is sampled at ``num_thresholds`` thresholds (evenly spaced in [0, 1] plus one just
below 0 and one just above 1, so that every prediction falls inside); the confusion counts at
each threshold give one point (false positive rate and recall for ROC, recall and precision for
PR), and the area sums trapezoids (``"interpolation"``), or the lower (``"minoring"``) or upper
(``"majoring"``) rectangles. PR with interpolation integrates precision exactly between the
points, interpolating the counts (Davis & Goadrich, "The Relationship Between Precision-Recall
and ROC Curves", 2006), as Keras.
"""

from __future__ import annotations

import numbers

import numpy

from .base import Metric, accumulate, host, read
from .confusion import (
    CONDITIONS,
    _line_up,
    confusion_counts,
    evenly_distributed,
    parse_thresholds,
)

EPSILON = 1e-7  # Keras's backend.epsilon(): the outer thresholds sit this far outside [0, 1]
CURVES = ("ROC", "PR", "PRGAIN")
SUMMATIONS = ("interpolation", "minoring", "majoring")


def _no_nan(a, b):
    return numpy.divide(a, b, out=numpy.zeros(numpy.broadcast(a, b).shape), where=b != 0)


class AUC(Metric):
    """The area under the ROC (default) or PR curve, approximated from confusion counts.

    Args:
        num_thresholds: the number of thresholds (> 1), evenly spaced.
        curve: ``"ROC"`` or ``"PR"`` (or ``"PRGAIN"``), any case.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name, dtype: as :class:`~.base.Metric`.
        thresholds: explicit thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: treat each column of 2-D inputs as its own label (one curve per label, the
            areas averaged), instead of flattening them into one.
        num_labels: the number of labels with ``multi_label`` (else read from the first batch).
        label_weights: weights of the labels: in the flattened counts, or in the average of the
            areas with ``multi_label``.
        from_logits: apply a sigmoid to the predictions first.

    Raises:
        ValueError: for an unknown curve or summation method, ``num_thresholds`` < 2, or
            ``num_labels`` without ``multi_label``.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> m.result()
        0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        super().__init__(name=name, dtype=dtype)
        self.curve = self._choice("curve", curve, CURVES, str.upper)
        self.summation_method = self._choice(
            "summation_method", summation_method, SUMMATIONS, str.lower
        )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds(thresholds, None, "AUC"))
            self._evenly = evenly_distributed([0.0, *inner, 1.0])
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, numbers.Integral)
                or num_thresholds <= 1
            ):
                raise ValueError(
                    f"AUC: num_thresholds must be an int > 1, received {num_thresholds!r}."
                )
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self.num_thresholds = len(inner) + 2
        self._thresholds = [0.0 - EPSILON, *inner, 1.0 + EPSILON]
        if num_labels and not multi_label:
            raise ValueError("AUC: num_labels is needed only when multi_label is True.")
        self.multi_label, self.num_labels = bool(multi_label), num_labels
        self.label_weights = None if label_weights is None else _weights(label_weights)
        self._from_logits = bool(from_logits)
        self._built = False
        if not self.multi_label or num_labels:
            self._build(num_labels)

    def _choice(self, argument, value, allowed, normalize):
        if not isinstance(value, str) or normalize(value) not in allowed:
            raise ValueError(f"AUC: {argument} must be one of {allowed}, received {value!r}.")
        return normalize(value)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def _build(self, num_labels) -> None:
        shape = (
            (self.num_thresholds,) if not self.multi_label else (self.num_thresholds, num_labels)
        )
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape, "zeros", "float64", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", "float64", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", "float64", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", "float64", name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = host(y_pred).astype(self.dtype)
        y_true = host(y_true).astype(self.dtype)
        weight = None if sample_weight is None else host(sample_weight).astype(self.dtype)
        y_true, y_pred, weight = _line_up(y_true, y_pred, weight)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    f"AUC: y_pred must have rank 2 when multi_label=True, received shape "
                    f"{y_pred.shape}."
                )
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = (1 / (1 + numpy.exp(-y_pred))).astype(self.dtype)
        weights = numpy.ones((), self.dtype) if weight is None else weight
        if self.label_weights is not None and not self.multi_label:
            weights = weights * self.label_weights  # broadcast along the last axis
        counts = confusion_counts(
            y_true, y_pred, self._thresholds, weights, self.multi_label, self._evenly
        )
        for condition, variable in zip(CONDITIONS, self._variables_by_condition(), strict=True):
            accumulate(variable, counts[condition])

    def _variables_by_condition(self):
        return (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )

    def _average(self, areas):
        """One area: the sum, or with ``multi_label`` the (weighted) mean over the labels."""
        if not self.multi_label:
            return float(areas.sum())
        by_label = areas.sum(axis=0)
        if self.label_weights is None:
            return float(by_label.mean())
        return float(_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum()))

    def _interpolated_pr_area(self, tp, fp, fn):
        """Davis & Goadrich's exact area between the PR points (Keras's ``interpolate_pr_auc``)."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _no_nan(dtp, numpy.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = numpy.where(both, _no_nan(p[:-1], numpy.maximum(p[1:], 0)), 1.0)
        log_ratio = numpy.log(ratio)  # ratio > 0: both counts are positive, or it is 1
        increments = _no_nan(
            slope * (dtp + intercept * log_ratio), numpy.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average(increments)

    def result(self) -> float:
        tp, fp, tn, fn = (read(v) for v in self._variables_by_condition())
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_area(tp, fp, fn)
        recall = _no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _no_nan(tp, tp + fp)
        else:  # PR-gain (Flach & Kull 2015)
            scale = _no_nan(tp + fn, tn + fp)
            x = numpy.maximum(numpy.where(tp == 0, 0.0, 1 - scale * _no_nan(fn, tp)), 0.0)
            y = numpy.where(tp == 0, 1.0, 1 - scale * _no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = numpy.minimum(y[:-1], y[1:])
        else:
            heights = numpy.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _weights(label_weights) -> numpy.ndarray:
    """``label_weights`` as float64, finite and >= 0."""
    try:
        weights = numpy.asarray(label_weights, numpy.float64)
    except (TypeError, ValueError):
        weights = None
    if weights is None or not numpy.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(
            f"AUC: label_weights must be finite numbers >= 0, one per label, received "
            f"{label_weights!r}."
        )
    return weights
