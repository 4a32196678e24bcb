"""Confusion-matrix metrics with Keras 3's definitions: TruePositives, FalsePositives,
TrueNegatives, FalseNegatives, Precision and Recall (at one or several thresholds, ``top_k``,
``class_id``).

A prediction is positive at threshold ``t`` when ``y_pred > t`` and a label when it is non-zero.
Comparisons run in the metric's dtype (float32 by default, as Keras, so values on a threshold
fall on the same side) and counts accumulate in float64.
"""

from __future__ import annotations

import numbers

import numpy

from .base import Metric, accumulate, host, read, scalar_or_array

NEG_INF = -1e10  # Keras's threshold for top_k: every kept prediction counts as positive
CONDITIONS = ("tp", "fp", "tn", "fn")


def parse_thresholds(thresholds, default, owner: str) -> list:
    """``thresholds`` (a float or a list of floats in [0, 1]) as a list, or ``[default]``.

    Raises:
        ValueError: for a threshold outside [0, 1], naming it.
    """
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    wrong = [t for t in values if not isinstance(t, numbers.Real) or not 0 <= t <= 1]
    if wrong:
        raise ValueError(f"{owner}: thresholds must be in [0, 1], received {wrong}.")
    return [float(t) for t in values]


def evenly_distributed(thresholds) -> bool:
    """Keras's ``is_evenly_distributed_thresholds``: 0, 1/(n-1), ..., 1 (n >= 3)."""
    n = len(thresholds)
    even = numpy.arange(n, dtype=numpy.float32) / max(n - 1, 1)
    return n >= 3 and bool(numpy.allclose(thresholds, even, atol=1e-7))


def _filter_top_k(y_pred, k):
    """Keep the ``k`` largest scores of the last axis (the first on ties), the rest NEG_INF."""
    order = numpy.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = numpy.zeros(y_pred.shape, dtype=bool)
    numpy.put_along_axis(keep, order, True, axis=-1)
    return numpy.where(keep, y_pred, y_pred.dtype.type(NEG_INF))


def _line_up(y_true, y_pred, sample_weight):
    """Keras's rank alignment of labels, predictions and sample weights."""
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None] if y_true.ndim == 1 else y_true
        y_pred = y_pred if y_true.ndim == y_pred.ndim else y_pred[..., 0]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_pred = y_pred[..., None] if y_pred.ndim == 1 else y_pred
        y_true = y_true if y_true.ndim == y_pred.ndim else y_true[..., 0]
    if sample_weight is not None:
        sample_weight = sample_weight[..., None]  # one weight per sample: expand, then squeeze
        if sample_weight.ndim == y_true.ndim + 1 and sample_weight.shape[-1] == 1:
            sample_weight = sample_weight[..., 0]
    return y_true, y_pred, sample_weight


def _bucket_counts(labels, weights, buckets, num_thresholds):
    """Σ weights·labels over the predictions above each threshold, from each prediction's
    bucket: Keras's O(N + T) method for evenly spaced thresholds (a reversed cumulative sum)."""
    valid = (buckets >= 0) & (buckets < num_thresholds)
    per_bucket = numpy.bincount(
        buckets[valid], weights=(labels * weights)[valid], minlength=num_thresholds
    )
    return per_bucket[::-1].cumsum()[::-1]


def confusion_counts(y_true, y_pred, thresholds, weights, multi_label, evenly):
    """The weighted TP, FP, TN, FN counts at each threshold: ``(T,)`` arrays, or ``(T, L)``
    with ``multi_label`` (one column per label of 2-D inputs)."""
    positive = (y_true != 0).astype(numpy.float64)
    weights = numpy.broadcast_to(weights, y_pred.shape).astype(numpy.float64)
    if not multi_label:
        positive, y_pred, weights = positive.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    if evenly:  # the bucket method, as Keras (same counts as the comparisons, fewer operations)
        T = len(thresholds)
        with_epsilon = thresholds[0] < 0 or thresholds[-1] > 1
        clipped = numpy.clip(y_pred, 0, 1)
        buckets = numpy.ceil(clipped * y_pred.dtype.type(T - 1)) - 1
        buckets = (numpy.maximum(buckets, 0) if with_epsilon else buckets).astype(numpy.int64)
        columns = (
            [slice(None)] if not multi_label else [(slice(None), j) for j in range(y_pred.shape[1])]
        )
        tp = numpy.stack(
            [_bucket_counts(positive[c], weights[c], buckets[c], T) for c in columns], axis=-1
        )
        fp = numpy.stack(
            [_bucket_counts(1 - positive[c], weights[c], buckets[c], T) for c in columns], axis=-1
        )
        tp, fp = (tp[:, 0], fp[:, 0]) if not multi_label else (tp, fp)
    else:
        above = y_pred[None] > numpy.asarray(thresholds, y_pred.dtype).reshape(
            (-1,) + (1,) * y_pred.ndim
        )  # (T, ...)
        axes = tuple(range(1, above.ndim)) if not multi_label else 1
        tp = (above * (positive * weights)).sum(axis=axes)
        fp = (above * ((1 - positive) * weights)).sum(axis=axes)
    total_positive = (positive * weights).sum(axis=0)  # a number, or one per label
    total_negative = ((1 - positive) * weights).sum(axis=0)
    return {"tp": tp, "fp": fp, "tn": total_negative - fp, "fn": total_positive - tp}


class ConfusionMetric(Metric):
    """Base of the metrics that count confusion-matrix cells at thresholds.

    Subclasses set ``_conditions`` (which of tp, fp, tn, fn they keep) and write ``result``.
    """

    _conditions: tuple = CONDITIONS

    def __init__(self, thresholds, top_k=None, class_id=None, default=0.5, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        if top_k is not None and (
            isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 1
        ):
            raise ValueError(f"{owner}: top_k must be a positive int, received {top_k!r}.")
        if class_id is not None and (
            isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral)
        ):
            raise ValueError(f"{owner}: class_id must be an int, received {class_id!r}.")
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = parse_thresholds(thresholds, default, owner)
        self._evenly = evenly_distributed(self.thresholds)
        self._add_counts((len(self.thresholds),))

    def _add_counts(self, shape) -> None:
        names = {
            "tp": "true_positives",
            "fp": "false_positives",
            "tn": "true_negatives",
            "fn": "false_negatives",
        }
        self._counts = {}
        for condition in self._conditions:
            self._counts[condition] = self.add_variable(
                shape, "zeros", "float64", name=names[condition]
            )
            setattr(self, names[condition], self._counts[condition])

    def _prepared(self, y_true, y_pred, sample_weight):
        """Host arrays of the metric's dtype, lined up, after top_k and class_id."""
        y_pred = host(y_pred).astype(self.dtype)
        y_true = host(y_true).astype(self.dtype)
        weight = None if sample_weight is None else host(sample_weight).astype(self.dtype)
        y_true, y_pred, weight = _line_up(y_true, y_pred, weight)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(
                    f"{type(self).__name__}: with class_id, y_pred must have shape "
                    f"(num_samples, num_classes), received shape {y_pred.shape}."
                )
            y_true, y_pred = y_true[..., self.class_id, None], y_pred[..., self.class_id, None]
        return y_true, y_pred, numpy.ones((), self.dtype) if weight is None else weight

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred, weight = self._prepared(y_true, y_pred, sample_weight)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{type(self).__name__}: y_true and y_pred must have the same shape, received "
                f"{y_true.shape} and {y_pred.shape}."
            )
        counts = confusion_counts(y_true, y_pred, self.thresholds, weight, False, self._evenly)
        for condition, variable in self._counts.items():
            accumulate(variable, counts[condition])

    def _ratio(self, numerator, other):
        """``numerator / (numerator + other)``, 0 where both are 0 (``divide_no_nan``)."""
        a, b = read(self._counts[numerator]), read(self._counts[other])
        ratio = numpy.divide(a, a + b, out=numpy.zeros_like(a), where=(a + b) != 0)
        return scalar_or_array(ratio[0] if len(self.thresholds) == 1 else ratio)

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class _Count(ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        counts = read(self._counts[self._conditions[0]])
        return scalar_or_array(counts[0] if len(self.thresholds) == 1 else counts)


class TruePositives(_Count):
    """The weighted number of positive labels predicted positive (``y_pred > threshold``)."""

    _conditions = ("tp",)


class FalsePositives(_Count):
    """The weighted number of negative labels predicted positive."""

    _conditions = ("fp",)


class TrueNegatives(_Count):
    """The weighted number of negative labels predicted negative."""

    _conditions = ("tn",)


class FalseNegatives(_Count):
    """The weighted number of positive labels predicted negative."""

    _conditions = ("fn",)


class _Rate(ConfusionMetric):
    """Precision's and Recall's arguments: thresholds, top_k, class_id."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        default = 0.5 if top_k is None else NEG_INF
        super().__init__(thresholds, top_k, class_id, default, name=name, dtype=dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Precision(_Rate):
    """``TP / (TP + FP)``: the fraction of positive predictions that are right.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5; with ``top_k``, every
            prediction kept counts as positive). A list gives one precision per threshold.
        top_k: only the ``k`` highest scores of each sample count as positive predictions.
        class_id: the class (index of the last axis) whose precision is computed.
        name, dtype: as :class:`~.base.Metric`.

    Example:
        >>> m = Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    _conditions = ("tp", "fp")

    def result(self):
        return self._ratio("tp", "fp")


class Recall(_Rate):
    """``TP / (TP + FN)``: the fraction of positive labels that are found (arguments as
    :class:`Precision`).

    Example:
        >>> m = Recall()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    _conditions = ("tp", "fn")

    def result(self):
        return self._ratio("tp", "fn")
