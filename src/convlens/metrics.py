"""Stateful metrics with Keras 3's names: ``update_state``, ``result``, ``reset_state``.

Metrics watch training; they are not differentiated, so they work on plain arrays (Tensors and
CuPy arrays are copied to the host) and accumulate in float64. Each metric is a running weighted
mean of per-sample values, as Keras's ``MeanMetricWrapper``: ``result() = Σ wᵢ vᵢ / Σ wᵢ`` over
every sample seen since the last ``reset_state()``, so several ``update_state`` calls give the
same result as one call on the concatenated batches.

One deliberate difference: Keras reduces rank-1 inputs (``y_true`` and ``y_pred`` of shape
``(N,)``) over the batch axis to one value per call; here each of the N entries is a sample, as
when the model outputs ``(N, 1)``, so accumulation over batches stays exact.

Example:
    >>> from convlens import metrics
    >>> m = metrics.SparseCategoricalAccuracy()
    >>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> m.result()
    0.5
"""

from __future__ import annotations

import numpy

from . import backend, registry
from .tensor import Tensor


def _host(x) -> numpy.ndarray:
    """A NumPy array from a Tensor, a NumPy/CuPy array or a list."""
    if isinstance(x, Tensor):
        x = x.data
    return numpy.asarray(backend.to_numpy(x) if backend.is_array(x) else x)


def _same_rank(a, b):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    ends in an axis of size 1, a rank-1 partner gains that axis, any other loses it."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[:, None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[:, None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def _mean_last(values):
    """The mean over the last axis (Keras's ``axis=-1``), rank-1 values being per sample already."""
    return values.mean(axis=-1) if values.ndim >= 2 else values


# ----- per-sample functions (Keras's metric functions) -----
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


# ----- stateful metrics -----
class Metric:
    """Base class: subclasses write ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: the key of the metric in the training logs.
        dtype: kept for Keras compatibility (results are Python floats).
    """

    def __init__(self, name: str | None = None, dtype=None):
        self.name = name or registry.snake_case(type(self).__name__)
        self.dtype = numpy.dtype(dtype or "float32").name
        self.reset_state()

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def result(self) -> float:
        raise NotImplementedError

    def reset_state(self) -> None:
        raise NotImplementedError

    def __call__(self, *args, **kwargs) -> float:
        """Update with one batch, then return the running result (Keras's ``Metric.__call__``)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} result={self.result():.4g}>"


class Mean(Metric):
    """The weighted mean of the values seen: ``Σ wᵢ vᵢ / Σ wᵢ``.

    ``update_state(values, sample_weight=None)``: values of rank > 1 are first averaged to one
    value per sample (per entry of ``sample_weight``), as Keras's ``reduce_to_samplewise_values``.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0, 5.0], sample_weight=[1, 1, 0])
        >>> m.result()
        2.0
    """

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values = _host(values).astype(numpy.float64)
        if sample_weight is not None:
            weight = _host(sample_weight).astype(numpy.float64)
            values, weight = _same_rank(values, weight)
            if values.ndim > weight.ndim:  # average the extra axes of each weighted entry
                values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
            try:
                weight = numpy.broadcast_to(weight, values.shape)
            except ValueError as error:
                raise ValueError(
                    f'Metric "{self.name}": sample_weight of shape {weight.shape} '
                    f"does not match values of shape {values.shape}."
                ) from error
            values = values * weight
            if weight.ndim > 1:
                weight = weight.mean(axis=tuple(range(1, weight.ndim)))
        if values.ndim > 1:
            values = values.mean(axis=tuple(range(1, values.ndim)))
        self.total += float(values.sum())
        if sample_weight is not None:
            self.count += float(weight.sum())
        else:
            self.count += float(values.shape[0]) if values.ndim >= 1 else 1.0

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0  # Keras's divide_no_nan


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, one value per sample.

    A function of your own given to ``compile(metrics=[...])`` becomes one of these; it is
    kept for the session but cannot be saved in a model file.
    """

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        if type(self) is MeanMetricWrapper:
            raise ValueError(
                f'The metric "{self.name}" wraps the function {self._fn!r}, which a '
                "JSON config cannot hold; compile again with it after loading."
            )
        return {**super().get_config(), **self._fn_kwargs}


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
        if not 0 < threshold < 1:
            raise ValueError(
                f"BinaryAccuracy: threshold must lie in (0, 1), received {threshold!r}."
            )
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


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


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred)²``."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|``."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


_ACCURACIES = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy)
_TOP_K = (TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy)
_CLASSES = {
    c.__name__: c for c in (Mean, *_ACCURACIES, *_TOP_K, MeanSquaredError, MeanAbsoluteError)
}
_BY_NAME = {registry.snake_case(name): cls for name, cls in _CLASSES.items()}
_BY_NAME.update(acc=Accuracy, mse=MeanSquaredError, mae=MeanAbsoluteError)

# Losses that decide what "accuracy" means (Keras 2's get_metric_function looked at the loss).
_BINARY_LOSSES = {"binary_crossentropy", "binary_focal_crossentropy", "bce"}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy"}
_CATEGORICAL_LOSSES = {"categorical_crossentropy", "categorical_focal_crossentropy"}


def _loss_names(loss) -> set:
    """The names a loss goes by, in snake_case: a string, a Loss's name and class name, a
    function's name."""
    if loss is None:
        return set()
    names = {loss} if isinstance(loss, str) else {type(loss).__name__}
    if not isinstance(loss, str):
        names |= {getattr(loss, "name", None), getattr(loss, "__name__", None)}
    return {registry.snake_case(name) for name in names if isinstance(name, str)}


def resolve_accuracy(loss, y_true_shape=None, y_pred_shape=None, name: str = "accuracy"):
    """The metric that ``metrics=["accuracy"]`` means for this loss and these shapes.

    A cross-entropy loss decides (binary -> BinaryAccuracy, sparse categorical ->
    SparseCategoricalAccuracy, categorical -> CategoricalAccuracy), so multi-label outputs
    trained with binary cross-entropy get binary accuracy. Otherwise the shapes decide, as
    Keras 3's ``compile``: one output column (or a rank-1 output) -> binary; labels of lower rank
    than the scores, or ``(N, 1)`` labels for several scores -> sparse; else categorical. With
    neither known, exact-match :class:`Accuracy`.

    Args:
        loss: the loss name (``"sparse_categorical_crossentropy"``), a Loss, or None.
        y_true_shape, y_pred_shape: the shapes of one batch of labels and outputs, or None.
        name: the metric's name in the logs.

    Example:
        >>> resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 10)).name
        'accuracy'
        >>> type(resolve_accuracy("mse", (32, 10), (32, 10))).__name__
        'CategoricalAccuracy'
    """
    names = _loss_names(loss)
    pred_rank = None if y_pred_shape is None else len(y_pred_shape)
    if names & _BINARY_LOSSES or (
        pred_rank is not None and (pred_rank <= 1 or y_pred_shape[-1] == 1)
    ):
        return BinaryAccuracy(name=name)
    if names & _SPARSE_LOSSES:
        return SparseCategoricalAccuracy(name=name)
    if names & _CATEGORICAL_LOSSES:
        return CategoricalAccuracy(name=name)
    if y_true_shape is not None and pred_rank is not None:
        true_rank = len(y_true_shape)
        sparse = true_rank < pred_rank or (true_rank > 0 and y_true_shape[-1] == 1)
        return SparseCategoricalAccuracy(name=name) if sparse else CategoricalAccuracy(name=name)
    return Accuracy(name=name)


def get(identifier, loss=None):
    """A Metric from a name, a config dict, a Metric, or a function ``f(y_true, y_pred)``.

    A name becomes the metric's log key (``"mae"`` logs as ``mae``, as in Keras 3).
    ``"accuracy"``/``"acc"`` is resolved by :func:`resolve_accuracy` from ``loss``; the training
    loop, which also knows the shapes, calls :func:`resolve_accuracy` itself.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.

    Example:
        >>> get("mae").name, type(get("acc", loss="binary_crossentropy")).__name__
        ('mae', 'BinaryAccuracy')
    """
    if isinstance(identifier, str) and identifier in _BY_NAME:
        if identifier in ("accuracy", "acc"):
            return resolve_accuracy(loss, name=identifier)
        return _BY_NAME[identifier](name=identifier)
    if callable(identifier) and not isinstance(identifier, (type, Metric)):
        return MeanMetricWrapper(identifier)
    return registry.get("metric", identifier, _BY_NAME, _CLASSES, Metric)


def serialize(metric) -> dict:
    """``{"class_name": ..., "config": ...}`` for a built-in metric (JSON-able)."""
    return registry.serialize(metric)


def deserialize(config) -> Metric:
    """The metric described by :func:`serialize`'s dict."""
    return registry.deserialize("metric", config, _CLASSES, _BY_NAME)
