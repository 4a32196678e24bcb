"""Per-sample losses with Keras's names, arguments and numerics; the reduction is the caller's.

Each returns one value per sample: the loss averaged (or, for the cross-entropies over classes,
summed) over the last axis, so (N, K) inputs give (N,). A rank-1 input counts each element as a
sample. ``y_true`` is data (an array; it gets no gradient) and is cast to ``y_pred``'s dtype.

From probabilities, the cross-entropies follow Keras exactly: probabilities renormalised over the
class axis, clipped to [1e-7, 1 - 1e-7], then ``-Σ y log p``. From logits they are fused
primitives on the max-shifted log-softmax (or the stable sigmoid formula), whose gradient is
``softmax - y`` (``sigmoid - y``) times the upstream gradient.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..arguments import check_axis
from ..tensor import Function, Tensor, as_tensor
from .elementwise import abs as abs_
from .elementwise import clip, divide, log, multiply, negative, subtract, where
from .reduce import mean
from .reduce import sum as reduce_sum

EPSILON = 1e-7  # Keras's backend.epsilon(): the clip of probabilities


class SparseSoftmaxCrossEntropy(Function):
    """-log softmax(z)[label] along ``axis`` in one pass; no one-hot matrix."""

    def forward(self, z, *, labels, axis):
        xp = backend.xp
        shifted = z - z.max(axis=axis, keepdims=True)  # max-shifted: exp never overflows
        self.index, self.axis = _label_index(labels), axis
        picked = xp.moveaxis(shifted, axis, -1)[self.index]  # z[label] - max, labels' shape
        e = xp.exp(shifted, out=shifted)
        total = e.sum(axis=axis, keepdims=True)
        self.p = xp.divide(e, total, out=e)  # softmax, kept for backward
        return xp.log(total.squeeze(axis)) - picked  # log Σ e^(z - max) - (z[label] - max)

    def backward(self, grad):  # dz = (softmax - onehot) g
        dz = self.p * backend.xp.expand_dims(grad, self.axis)
        backend.xp.moveaxis(dz, self.axis, -1)[self.index] -= grad  # one cell per sample
        return dz


class SoftmaxCrossEntropy(Function):
    """-Σ y log softmax(z) along ``axis`` for dense (possibly soft) labels ``y``."""

    def forward(self, z, *, y, axis):
        xp = backend.xp
        shifted = z - z.max(axis=axis, keepdims=True)
        y_shifted = (y * shifted).sum(axis=axis)  # Σ y (z - max)
        e = xp.exp(shifted, out=shifted)
        total = e.sum(axis=axis, keepdims=True)
        self.p, self.y, self.axis = xp.divide(e, total, out=e), y, axis
        self.y_sum = y.sum(axis=axis, keepdims=True)  # 1 for one-hot or smoothed labels
        return xp.log(total.squeeze(axis)) * self.y_sum.squeeze(axis) - y_shifted

    def backward(self, grad):  # dz = (softmax Σy - y) g
        return (self.p * self.y_sum - self.y) * backend.xp.expand_dims(grad, self.axis)


class SigmoidCrossEntropy(Function):
    """Elementwise max(z, 0) - z y + log(1 + e^-|z|): never overflows, never takes log 0."""

    def forward(self, z, *, y):
        xp = backend.xp
        self.e, self.z, self.y = xp.exp(-xp.abs(z)), z, y  # e^-|z| <= 1
        return xp.maximum(z, 0) - z * y + xp.log1p(self.e)

    def backward(self, grad):  # dz = (sigmoid(z) - y) g
        e = self.e
        sigmoid = backend.xp.where(self.z >= 0, 1 / (1 + e), e / (1 + e))
        return (sigmoid - self.y) * grad


def _label_index(labels):
    """An index selecting each sample's class in an array whose class axis is moved last."""
    xp, ndim = backend.xp, labels.ndim
    ranges = [
        xp.arange(n).reshape((-1,) + (1,) * (ndim - 1 - i)) for i, n in enumerate(labels.shape)
    ]
    return (*ranges, labels)  # each sample's position on the other axes, then its class


def _prepare(op, y_true, y_pred):
    """``y_pred`` as a Tensor; ``y_true`` as an array of its dtype and shape."""
    y_pred = as_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        raise TypeError(f"{op}: y_pred must be floating, received dtype {y_pred.dtype}.")
    y_true = y_true.data if isinstance(y_true, Tensor) else y_true
    y_true = backend.xp.asarray(y_true, dtype=y_pred.dtype)
    # As Keras: labels (N,) against predictions (N, 1), or the reverse, line up.
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1:] == (1,):
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{op}: y_true and y_pred must have the same shape, received y_true.shape="
            f"{tuple(y_true.shape)} and y_pred.shape={y_pred.shape}."
        )
    return y_true, y_pred


def _per_sample(values: Tensor) -> Tensor:
    return mean(values, axis=-1) if values.ndim >= 2 else values


def _smoothing(op, label_smoothing) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise ValueError(f"{op}: label_smoothing must be a number, received {label_smoothing!r}.")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], received {label_smoothing!r}.")
    return float(label_smoothing)


def _class_axis(op, y_pred, axis) -> int:
    return check_axis(axis, y_pred.ndim, op, "axis (of y_pred)")


def _sparse_labels(op, y_true, shape, axis):
    """Integer class labels of shape ``shape`` without ``axis``, checked against the K classes."""
    xp = backend.xp
    labels = xp.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    expected = shape[:axis] + shape[axis + 1 :]
    if labels.shape == expected + (1,) and axis == len(shape) - 1:
        labels = labels[..., 0]  # (N, 1) labels, as Keras accepts
    if labels.shape != expected:
        raise ValueError(
            f"{op}: y_true must hold one class label per sample, shape {expected} (or "
            f"{expected + (1,)}), for y_pred of shape {shape}; received y_true.shape="
            f"{tuple(labels.shape)}."
        )
    K = shape[axis]
    if labels.dtype.kind not in "iub" and not (
        labels.dtype.kind == "f" and bool(xp.all(labels == xp.floor(labels)))
    ):
        raise ValueError(
            f"{op}: labels must be integers in [0, {K}), received dtype {labels.dtype}."
        )
    if labels.size and (bool(labels.min() < 0) or bool(labels.max() >= K)):
        raise ValueError(
            f"{op}: labels must be in [0, {K}), the {K} classes of y_pred (axis {axis}); "
            f"received values from {labels.min().item():g} to {labels.max().item():g}."
        )
    return labels.astype(xp.intp, copy=False)


def _crossentropy_from_probabilities(y, y_pred, axis):
    """Keras: p = y_pred / Σ y_pred, clipped to [ε, 1 - ε]; -Σ y log p."""
    p = divide(y_pred, reduce_sum(y_pred, axis=axis, keepdims=True))
    p = clip(p, EPSILON, 1 - EPSILON)
    return negative(reduce_sum(multiply(y, log(p)), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1) -> Tensor:
    """Cross-entropy between integer class labels and class probabilities (or logits).

    Args:
        y_true: class indices, shape (N,) or (N, 1) (the shape of ``y_pred`` without ``axis``),
            integer or integral floats in [0, K).
        y_pred: (N, K) probabilities, or logits with ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits (the fused, max-shifted log-softmax: the
            fast path of training) or probabilities (renormalised and clipped, as Keras).
        axis: the class axis.

    Returns:
        A Tensor (N,): ``-log p[label]`` per sample.

    Raises:
        ValueError: for labels out of [0, K) (naming the range), non-integral labels, or a
            y_true whose shape does not match y_pred's without the class axis.

    Example:
        >>> import numpy as np
        >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> sparse_categorical_crossentropy([1, 2], y_pred).numpy().round(4)
        array([0.0513, 2.3026])
    """
    op = "sparse_categorical_crossentropy"
    y_pred = as_tensor(y_pred)
    axis = _class_axis(op, y_pred, axis)
    labels = _sparse_labels(op, y_true, y_pred.shape, axis)
    if from_logits:
        return SparseSoftmaxCrossEntropy.apply(y_pred, labels=labels, axis=axis)
    one_hot = backend.xp.zeros(y_pred.shape, dtype=y_pred.dtype)
    backend.xp.moveaxis(one_hot, axis, -1)[_label_index(labels)] = 1
    return _crossentropy_from_probabilities(one_hot, y_pred, axis)


def categorical_crossentropy(
    y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1
) -> Tensor:
    """Cross-entropy between one-hot (or soft) labels and class probabilities (or logits).

    Args:
        y_true: (N, K) labels, the shape of ``y_pred``.
        y_pred: (N, K) probabilities, or logits with ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; labels become ``y (1 - s) + s / K``, as Keras.
        axis: the class axis.

    Returns:
        A Tensor (N,): ``-Σ y log p`` per sample.

    Raises:
        ValueError: for shapes that differ (naming both) or a smoothing outside [0, 1].

    Example:
        >>> import numpy as np
        >>> y_true = np.array([[0, 1, 0], [0, 0, 1]])
        >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
        >>> categorical_crossentropy(y_true, y_pred).numpy().round(4)
        array([0.0513, 2.3026])
    """
    op = "categorical_crossentropy"
    label_smoothing = _smoothing(op, label_smoothing)
    y_true, y_pred = _prepare(op, y_true, y_pred)
    axis = _class_axis(op, y_pred, axis)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        return SoftmaxCrossEntropy.apply(y_pred, y=y_true, axis=axis)
    return _crossentropy_from_probabilities(y_true, y_pred, axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0) -> Tensor:
    """Cross-entropy of 0/1 (or soft) labels and probabilities (or logits), averaged over the
    last axis.

    Args:
        y_true: labels of ``y_pred``'s shape ((N,) against (N, 1) is accepted).
        y_pred: probabilities, clipped to [1e-7, 1 - 1e-7] (Keras), or logits with
            ``from_logits=True``: then ``max(z, 0) - z y + log(1 + e^-|z|)``, stable.
        label_smoothing: in [0, 1]; labels become ``y (1 - s) + s / 2``.

    Returns:
        A Tensor (N,) for (N, d) inputs (the mean over d); rank-1 inputs give one loss each.

    Raises:
        ValueError: for shapes that differ (naming both) or a smoothing outside [0, 1].

    Example:
        >>> import numpy as np
        >>> binary_crossentropy([[0.0, 1.0]], np.array([[0.4, 0.6]])).numpy().round(4)
        array([0.5108])
    """
    op = "binary_crossentropy"
    label_smoothing = _smoothing(op, label_smoothing)
    y_true, y_pred = _prepare(op, y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return _per_sample(SigmoidCrossEntropy.apply(y_pred, y=y_true))
    p = clip(y_pred, EPSILON, 1 - EPSILON)
    log_likelihood = multiply(y_true, log(p)) + multiply(1 - y_true, log(subtract(1.0, p)))
    return _per_sample(negative(log_likelihood))


def mean_squared_error(y_true, y_pred) -> Tensor:
    """The mean of (y_pred - y_true)² over the last axis.

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> mean_squared_error([[0.0, 1.0]], [[1.0, 3.0]]).numpy()
        array([2.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_squared_error", y_true, y_pred)
    error = subtract(y_pred, y_true)
    return _per_sample(multiply(error, error))


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """The mean of |y_pred - y_true| over the last axis.

    Raises:
        ValueError: for shapes that differ, naming both.

    Example:
        >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]).numpy()
        array([1.5], dtype=float32)
    """
    y_true, y_pred = _prepare("mean_absolute_error", y_true, y_pred)
    return _per_sample(abs_(subtract(y_pred, y_true)))


def huber(y_true, y_pred, delta=1.0) -> Tensor:
    """Huber loss, averaged over the last axis: ``e²/2`` where ``|e| <= delta``, else
    ``delta (|e| - delta/2)``, for ``e = y_pred - y_true``. Quadratic near 0, linear (robust to
    outliers) far from it.

    Raises:
        ValueError: for shapes that differ (naming both) or a negative delta.

    Example:
        >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
        array([1.3125], dtype=float32)
    """
    op = "huber"
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or delta < 0:
        raise ValueError(f"{op}: delta must be a non-negative number, received {delta!r}.")
    y_true, y_pred = _prepare(op, y_true, y_pred)
    error = subtract(y_pred, y_true)
    absolute = abs_(error)
    quadratic = multiply(multiply(error, error), 0.5)
    linear = subtract(multiply(absolute, delta), 0.5 * delta * delta)
    return _per_sample(where(absolute.data <= delta, quadratic, linear))
