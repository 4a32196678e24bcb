"""What a tuner searches over (a ``HyperModel``) and what it optimises (an ``Objective``)."""

from __future__ import annotations

import math

_MINIMISED = (
    "loss",
    "error",
    "mae",
    "mse",
    "mape",
    "msle",
    "crossentropy",
    "hinge",
    "logcosh",
    "kl_divergence",
    "kld",
    "poisson",
    "huber",
)
_MAXIMISED = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "top_k", "score")


class HyperModel:
    """A search space: ``build(hp)`` returns a compiled model; ``fit(hp, model, ...)`` trains it.

    Override ``fit`` to tune how the model trains (batch size, epochs...): it receives the
    arguments given to ``tuner.search`` and returns a History, a dict of metrics, or the
    objective's value as a number.

    Example:
        >>> from convlens.tuner import HyperParameters
        >>> class Toy(HyperModel):
        ...     def build(self, hp):
        ...         return None
        ...     def fit(self, hp, model, *args, **kwargs):
        ...         return (hp.Float("x", -1, 1) - 0.5) ** 2
        >>> Toy().fit(HyperParameters(), None)  # x takes its default, -1
        2.25
    """

    def __init__(self, name: str | None = None, tunable: bool = True):
        self.name = name
        self.tunable = tunable

    def build(self, hp):
        raise NotImplementedError("A HyperModel must implement build(hp) and return a model.")

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, **kwargs)


class _FunctionHyperModel(HyperModel):
    def __init__(self, build):
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp):
        return self._build(hp)


def get_hypermodel(hypermodel) -> HyperModel:
    """A HyperModel from a HyperModel, or from a function ``build(hp)``."""
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(getattr(hypermodel, "build", None)):
        return hypermodel  # duck-typed: anything with build(hp) (and maybe fit)
    if callable(hypermodel):
        return _FunctionHyperModel(hypermodel)
    raise TypeError(
        f"hypermodel must be a HyperModel or a function build(hp), received "
        f"{type(hypermodel).__name__}."
    )


class Objective:
    """A metric to optimise: ``Objective("val_accuracy", direction="max")``."""

    def __init__(self, name: str, direction: str):
        if direction not in ("min", "max"):
            raise ValueError(
                f'Objective "{name}": direction must be "min" or "max", received {direction!r}.'
            )
        self.name, self.direction = name, direction

    @property
    def optuna_direction(self) -> str:
        return "minimize" if self.direction == "min" else "maximize"

    def better(self, a: float, b: float) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return a < b if self.direction == "min" else a > b

    def best_of(self, values) -> float:
        finite = [float(v) for v in values if v is not None and not math.isnan(float(v))]
        if not finite:
            return float("nan")
        return min(finite) if self.direction == "min" else max(finite)

    def __repr__(self) -> str:
        return f"Objective(name={self.name!r}, direction={self.direction!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Objective) and (other.name, other.direction) == (
            self.name,
            self.direction,
        )


def get_objective(objective) -> Objective:
    """An Objective from a metric name, inferring the direction as KerasTuner does: losses and
    errors are minimised, accuracies and scores maximised.

    Example:
        >>> get_objective("val_accuracy")
        Objective(name='val_accuracy', direction='max')
        >>> get_objective("val_loss").direction
        'min'
    """
    if isinstance(objective, Objective):
        return objective
    if not isinstance(objective, str):
        raise TypeError(
            f"objective must be a metric name or an Objective, received {type(objective).__name__}."
        )
    metric = objective.lower().removeprefix("val_")
    if any(word in metric for word in _MINIMISED):
        return Objective(objective, "min")
    if any(word in metric for word in _MAXIMISED):
        return Objective(objective, "max")
    raise ValueError(
        f"Cannot infer whether to minimise or maximise {objective!r}; pass "
        f'Objective({objective!r}, direction="min" or "max").'
    )


def score_of(result, objective: Objective) -> float:
    """The objective's value from what ``HyperModel.fit`` returned: a number, a dict of metrics,
    or a History (its best epoch, as KerasTuner)."""
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return float(result)
    logs = getattr(result, "history", result)
    if isinstance(logs, dict):
        if objective.name not in logs:
            raise ValueError(
                f'The objective "{objective.name}" is not among the metrics fit '
                f"returned ({', '.join(map(str, logs)) or 'none'}); compile the "
                f"metric, pass validation data, or choose another objective."
            )
        value = logs[objective.name]
        return objective.best_of(value if isinstance(value, (list, tuple)) else [value])
    raise TypeError(
        f"HyperModel.fit must return a History, a dict of metrics or a number, "
        f"received {type(result).__name__}."
    )
