"""Intersection-over-union metrics with Keras 3's definitions: ``IoU``, ``MeanIoU``,
``BinaryIoU``, for semantic segmentation.

A confusion matrix (rows: true class, columns: predicted class) accumulates over batches; a
class's IoU is ``TP / (TP + FP + FN)``, and the result is the mean over the target classes that
occur (in labels or predictions). As Keras, the matrix is integer by default, so float sample
weights are truncated; give ``dtype="float32"`` to weigh by fractions.
"""

from __future__ import annotations

import numbers

import numpy

from ..arguments import check_int, check_number
from .base import Metric, accumulate, host, read

EPSILON = 1e-7  # Keras's backend.epsilon()


def _class_ids(owner, num_classes, target_class_ids):
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, numbers.Integral)
        or (num_classes < 1)
    ):
        raise ValueError(f"{owner}: num_classes must be a positive int, received {num_classes!r}.")
    if isinstance(target_class_ids, (str, bytes)) or not hasattr(target_class_ids, "__iter__"):
        raise TypeError(
            f"{owner}: target_class_ids must be a list or tuple of class ids, received "
            f"{target_class_ids!r}."
        )
    ids = [check_int(i, "target_class_ids", owner, minimum=0) for i in target_class_ids]
    if not ids or min(ids) < 0 or max(ids) >= num_classes:
        raise ValueError(
            f"{owner}: target_class_ids must be class ids in [0, {num_classes}), received "
            f"{list(target_class_ids)!r}."
        )
    return ids


class IoU(Metric):
    """The mean IoU of the classes ``target_class_ids``.

    Args:
        num_classes: the number of classes K (the matrix is K × K).
        target_class_ids: the classes averaged.
        name, dtype: as :class:`~.base.Metric` (the matrix's dtype, int64 by default).
        ignore_class: a label whose pixels are left out (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: whether labels / predictions are class ids (else
            one-hot or scores, reduced with argmax along ``axis``).
        axis: the class axis of dense inputs.

    Raises:
        ValueError: for target classes outside [0, num_classes).

    Example:
        >>> m = IoU(num_classes=2, target_class_ids=[0])
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(name=name, dtype=dtype or "int64")
        self.target_class_ids = _class_ids(type(self).__name__, num_classes, target_class_ids)
        self.num_classes, self.ignore_class = int(num_classes), ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable(
            (self.num_classes, self.num_classes), "zeros", name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = host(y_true), host(y_pred)
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        weight = 1 if sample_weight is None else host(sample_weight).astype(self.dtype)
        if numpy.ndim(weight) > 1:
            weight = numpy.reshape(weight, -1)
        try:
            weight = numpy.broadcast_to(weight, y_true.shape)
        except ValueError as error:  # as Keras: one weight per label (pixel), or one in all
            raise ValueError(
                f'{type(self).__name__} "{self.name}": sample_weight of shape '
                f"{numpy.shape(sample_weight)} does not match the {y_true.size} labels; give "
                "one weight per label (the labels' shape)."
            ) from error
        K = self.num_classes
        keep = (y_true >= 0) & (y_true < K) & (y_pred >= 0) & (y_pred < K)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        matrix = numpy.zeros((K, K), dtype=self.dtype)
        numpy.add.at(
            matrix, (y_true[keep].astype(numpy.intp), y_pred[keep].astype(numpy.intp)), weight[keep]
        )
        accumulate(self.total_cm, matrix)

    def result(self) -> float:
        matrix = read(self.total_cm).astype(numpy.float64)
        true_positives = numpy.diag(matrix)
        denominator = matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives
        ids = self.target_class_ids
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = denominator > 1e-9  # classes that occurred
        iou = numpy.where(valid, true_positives / (denominator + EPSILON), 0.0)
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes (those that occur).

    Example:
        >>> m = MeanIoU(num_classes=2)
        >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
        >>> round(m.result(), 4)
        0.3333
    """

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
            raise ValueError(f"MeanIoU: num_classes must be an int, received {num_classes!r}.")
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of binary segmentation: predictions ``>= threshold`` are class 1.

    Raises:
        ValueError: for target classes other than 0 and 1.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = check_number(threshold, "threshold", "BinaryIoU", 0, 1)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        predicted = host(y_pred).astype(numpy.float32) >= self.threshold
        super().update_state(host(y_true), predicted, sample_weight)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
        }
