"""Stateful metrics with Keras 3's names: ``update_state``, ``result``, ``reset_state``.

Subclass :class:`Metric` (``add_variable``, ``update_state``, ``result``; see :mod:`.base`) for
a metric of your own. The built-ins watch training and are not differentiated: they work on host
arrays in float64, and most are a running weighted mean of per-sample values, as Keras's
``MeanMetricWrapper``: ``result() = Σ wᵢ vᵢ / Σ wᵢ`` over every sample seen since the last
``reset_state()``, so several ``update_state`` calls give the result of one call on the
concatenated batches. The confusion-matrix metrics (:mod:`.confusion`, :mod:`.auc`,
:mod:`.f_score`, :mod:`.iou`) accumulate counts.

Example:
    >>> from convlens import metrics
    >>> m = metrics.SparseCategoricalAccuracy()
    >>> m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> m.result()
    0.5
"""

from __future__ import annotations

from .. import registry
from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .auc import AUC
from .base import Mean, MeanMetricWrapper, Metric, Sum
from .confusion import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from .f_score import F1Score, FBetaScore
from .iou import BinaryIoU, IoU, MeanIoU
from .regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)

_ACCURACIES = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy)
_TOP_K = (TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy)
_REGRESSION = (
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    CosineSimilarity,
    LogCoshError,
)
_PROBABILISTIC = (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
)
_CONFUSION = (
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    Precision,
    Recall,
    AUC,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    BinaryIoU,
)
_CLASSES = {
    c.__name__: c
    for c in (Mean, Sum, *_ACCURACIES, *_TOP_K, *_REGRESSION, *_PROBABILISTIC, *_CONFUSION)
}
# Keras 3's ``metrics.get`` names: each class's snake_case name, and the short aliases.
_BY_NAME = {registry.snake_case(name): cls for name, cls in _CLASSES.items()}
_BY_NAME.update(
    acc=Accuracy,
    bce=BinaryCrossentropy,
    mse=MeanSquaredError,
    mae=MeanAbsoluteError,
    mape=MeanAbsolutePercentageError,
    msle=MeanSquaredLogarithmicError,
)
_HIDDEN = {
    **_CLASSES,
    **{alias.upper(): _BY_NAME[alias] for alias in ("bce", "mse", "mae", "mape", "msle")},
}

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
    aliases = {**_BY_NAME, **{k: v for k, v in _HIDDEN.items() if k.isupper()}}
    if isinstance(identifier, str) and identifier in aliases:
        if identifier in ("accuracy", "acc"):
            return resolve_accuracy(loss, name=identifier)
        return aliases[identifier](name=identifier)
    if callable(identifier) and not isinstance(identifier, (type, Metric)):
        return MeanMetricWrapper(identifier)
    return registry.get("metric", identifier, _BY_NAME, _HIDDEN, Metric)


def serialize(metric) -> dict:
    """``{"class_name": ..., "config": ...}`` for a built-in metric (JSON-able)."""
    return registry.serialize(metric)


def deserialize(config) -> Metric:
    """The metric described by :func:`serialize`'s dict."""
    return registry.deserialize("metric", config, _CLASSES, {**_BY_NAME, **_HIDDEN})
