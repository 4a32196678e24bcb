"""Label and array helpers with Keras 3's names: ``to_categorical`` and ``normalize``."""

from __future__ import annotations

import numpy

from ..tensor import Tensor


def to_categorical(x, num_classes=None) -> numpy.ndarray:
    """Class indices as one-hot rows: a float64 NumPy array, as Keras's.

    A trailing axis of length 1 is dropped first (labels shaped (N, 1) give (N, num_classes)).

    Args:
        x: integer class labels, any shape.
        num_classes: the number of classes; ``max(x) + 1`` when None.

    Returns:
        An array of shape ``x.shape + (num_classes,)`` (trailing 1 dropped).

    Raises:
        ValueError: for labels that are negative or not below ``num_classes``.

    Example:
        >>> to_categorical([0, 2, 1], 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    labels = numpy.asarray(x.numpy() if isinstance(x, Tensor) else x)
    if labels.size and (labels.dtype.kind == "f" and not numpy.all(labels == labels.round())):
        raise ValueError("to_categorical: x must hold integer class labels.")
    labels = labels.astype("int64")
    shape = labels.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"to_categorical: labels must be in [0, {num_classes}), received values from "
            f"{labels.min()} to {labels.max()}."
        )
    categorical = numpy.zeros((labels.size, int(num_classes)))  # float64, as Keras
    categorical[numpy.arange(labels.size), labels] = 1.0
    return categorical.reshape(shape + (int(num_classes),))


def normalize(x, axis=-1, order=2):
    """``x`` divided by its ``order``-norm along ``axis``.

    A NumPy array gives a NumPy array (zero norms count as 1, as Keras's); a Tensor gives a
    differentiable Tensor (:func:`convlens.ops.normalize`).
    """
    if isinstance(x, Tensor):
        from ..ops import normalize as normalize_op

        return normalize_op(x, axis=axis, order=order)
    x = numpy.asarray(x)
    norm = numpy.atleast_1d(numpy.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / numpy.expand_dims(norm, axis if axis is not None else -1)
