"""The built-in losses, with Keras 3's class names, arguments, defaults and names.

Each is a :class:`~.base.LossFunctionWrapper` around a per-sample function of
:mod:`convlens.ops` (``ops/losses.py``, ``ops/probabilistic_losses.py``,
``ops/regression_losses.py``, ``ops/hinge_losses.py``); ``reduction`` and ``dtype`` are the
base class's.
"""

from __future__ import annotations

from ..arguments import check_bool, check_number
from ..ops import hinge_losses, probabilistic_losses, regression_losses
from ..ops import losses as base_losses
from .base import LossFunctionWrapper

_DEFAULT = "sum_over_batch_size"


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer labels ``(N,)`` and class probabilities (or logits).

    Raises:
        ValueError: for ``ignore_class`` other than None (not supported).
    """

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction=_DEFAULT,
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        if ignore_class is not None:
            raise ValueError(
                "SparseCategoricalCrossentropy: ignore_class is not supported; received "
                f"ignore_class={ignore_class!r}, expected None. Give the ignored samples a "
                "sample_weight of 0 instead."
            )
        super().__init__(
            base_losses.sparse_categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=check_bool(from_logits, "from_logits", type(self).__name__),
            axis=axis,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot (or soft) labels and class probabilities (or logits)."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_DEFAULT,
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            base_losses.categorical_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=check_bool(from_logits, "from_logits", type(self).__name__),
            label_smoothing=check_number(
                label_smoothing, "label_smoothing", type(self).__name__, 0, 1
            ),
            axis=axis,
        )


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy of 0/1 labels and probabilities (or logits), averaged over the last axis.

    Raises:
        ValueError: for an ``axis`` other than -1 (only the last axis is supported).
    """

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_DEFAULT,
        name="binary_crossentropy",
        dtype=None,
    ):
        if axis != -1:
            raise ValueError(f"BinaryCrossentropy: only axis=-1 is supported, received {axis!r}.")
        super().__init__(
            base_losses.binary_crossentropy,
            reduction,
            name,
            dtype,
            from_logits=check_bool(from_logits, "from_logits", type(self).__name__),
            label_smoothing=check_number(
                label_smoothing, "label_smoothing", type(self).__name__, 0, 1
            ),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": -1}


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy scaled by ``(1 - p_t)^γ`` (Lin et al. 2017); see
    :func:`convlens.ops.probabilistic_losses.binary_focal_crossentropy`."""

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_DEFAULT,
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            probabilistic_losses.binary_focal_crossentropy,
            reduction,
            name,
            dtype,
            apply_class_balancing=bool(apply_class_balancing),
            alpha=alpha,
            gamma=gamma,
            from_logits=check_bool(from_logits, "from_logits", type(self).__name__),
            label_smoothing=label_smoothing,
            axis=axis,
        )
        probabilistic_losses.check_focal_arguments(
            type(self).__name__, alpha, gamma, label_smoothing
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy with each term scaled by ``α (1 - p)^γ``; see
    :func:`convlens.ops.probabilistic_losses.categorical_focal_crossentropy`."""

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_DEFAULT,
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            probabilistic_losses.categorical_focal_crossentropy,
            reduction,
            name,
            dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=check_bool(from_logits, "from_logits", type(self).__name__),
            label_smoothing=label_smoothing,
            axis=axis,
        )
        probabilistic_losses.check_focal_arguments(
            type(self).__name__, alpha, gamma, label_smoothing
        )


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``Σ y log(y / p)``."""

    def __init__(self, reduction=_DEFAULT, name="kl_divergence", dtype=None):
        super().__init__(probabilistic_losses.kl_divergence, reduction, name, dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss ``mean(p - y log(p + ε))``."""

    def __init__(self, reduction=_DEFAULT, name="poisson", dtype=None):
        super().__init__(probabilistic_losses.poisson, reduction, name, dtype)


class MeanSquaredError(LossFunctionWrapper):
    """The mean of (y_true - y_pred)² over the last axis."""

    def __init__(self, reduction=_DEFAULT, name="mean_squared_error", dtype=None):
        super().__init__(base_losses.mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """The mean of |y_true - y_pred| over the last axis."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_error", dtype=None):
        super().__init__(base_losses.mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``100 · mean(|y_true - y_pred| / max(|y_true|, ε))``."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(regression_losses.mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """The mean of ``(log(1 + y_pred) - log(1 + y_true))²``."""

    def __init__(self, reduction=_DEFAULT, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(regression_losses.mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(LossFunctionWrapper):
    """The negated cosine similarity along ``axis``: -1 for aligned vectors."""

    def __init__(self, axis=-1, reduction=_DEFAULT, name="cosine_similarity", dtype=None):
        super().__init__(regression_losses.cosine_similarity, reduction, name, dtype, axis=axis)


class LogCosh(LossFunctionWrapper):
    """The mean of ``log(cosh(y_pred - y_true))``."""

    def __init__(self, reduction=_DEFAULT, name="log_cosh", dtype=None):
        super().__init__(regression_losses.log_cosh, reduction, name, dtype)


class Huber(LossFunctionWrapper):
    """Quadratic below ``delta``, linear above it: robust to outliers."""

    def __init__(self, delta=1.0, reduction=_DEFAULT, name="huber_loss", dtype=None):
        super().__init__(
            base_losses.huber,
            reduction,
            name,
            dtype,
            delta=check_number(delta, "delta", "Huber", 0, strict=True),
        )


class Hinge(LossFunctionWrapper):
    """The mean of ``max(1 - y_true·y_pred, 0)``, with 0/1 labels mapped to -1/+1."""

    def __init__(self, reduction=_DEFAULT, name="hinge", dtype=None):
        super().__init__(hinge_losses.hinge, reduction, name, dtype)


class SquaredHinge(LossFunctionWrapper):
    """The mean of ``max(1 - y_true·y_pred, 0)²``, with 0/1 labels mapped to -1/+1."""

    def __init__(self, reduction=_DEFAULT, name="squared_hinge", dtype=None):
        super().__init__(hinge_losses.squared_hinge, reduction, name, dtype)


class CategoricalHinge(LossFunctionWrapper):
    """``max(best wrong score - true score + 1, 0)`` for one-hot labels."""

    def __init__(self, reduction=_DEFAULT, name="categorical_hinge", dtype=None):
        super().__init__(hinge_losses.categorical_hinge, reduction, name, dtype)


ALL_CLASSES = (
    SparseCategoricalCrossentropy,
    CategoricalCrossentropy,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
)
