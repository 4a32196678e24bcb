"""MonitorCallback: the one rule for "has the monitored value improved?" (Keras 3's).

EarlyStopping, ModelCheckpoint (``save_best_only``) and ReduceLROnPlateau all watch one key of
the epoch logs (``monitor="val_loss"``) and compare it with the best value so far. They inherit
the comparison, the direction (``mode``), ``min_delta`` and the missing-key warning from this
base class, as in Keras 3 (``keras/src/callbacks/monitor_callback.py``).
"""

from __future__ import annotations

import math
import warnings

from ..arguments import check_number
from .callback import Callback

MODES = ("auto", "min", "max")

# Metrics that improve upwards, by name (Keras 2's rule is "acc" in the name; Keras 3 asks
# the metric object for its direction, which these names cover for convlens's metrics).
_MAXIMIZED = (
    "acc",
    "fmeasure",
    "auc",
    "precision",
    "recall",
    "f1_score",
    "fbeta_score",
    "iou",
    "r2_score",
)


def maximizes(monitor: str, mode: str, model=None) -> bool:
    """True when larger values of ``monitor`` are better.

    ``mode="auto"``: a metric object of the model with a ``_direction`` decides (as Keras 3);
    else accuracy-like names ("acc", "accuracy", "auc", "precision"...) maximise and everything
    else (losses, errors) minimises.

    Example:
        >>> maximizes("val_accuracy", "auto"), maximizes("val_loss", "auto")
        (True, False)
        >>> maximizes("val_loss", "max")
        True
    """
    if mode != "auto":
        return mode == "max"
    name = monitor.removeprefix("val_")
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return direction == "up"
    if name == "loss" or name.endswith("_loss"):
        return False
    return any(key in name for key in _MAXIMIZED)


class MonitorCallback(Callback):
    """Base class of callbacks that watch ``logs[monitor]`` and compare it with the best so far.

    A value improves on a reference when it is larger (``mode="max"``) or smaller (``"min"``)
    by more than ``min_delta``. ``"auto"`` asks the model's metric of that name for its
    direction (a ``_direction`` of ``"up"`` or ``"down"``, as Keras 3), else goes by the name:
    accuracy-like names (``acc``, ``auc``, ``precision``, ``recall``...) maximise, the rest
    minimise. The direction is decided at each comparison, once the model's metrics exist.
    NaN never improves; any other value improves on ``None`` (nothing seen yet).

    Not used directly: EarlyStopping, ModelCheckpoint and ReduceLROnPlateau subclass it.

    Args:
        monitor: the key of the epoch logs to watch, e.g. ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``; an unknown mode warns and falls back to
            ``"auto"`` (as Keras).
        baseline: the initial best value, which the first improvement must beat; ``None``
            lets the first monitored value count as one.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).

    Attributes:
        best: the best value so far (``baseline`` until a subclass records one).

    Example:
        >>> watch = MonitorCallback(monitor="val_accuracy", min_delta=0.01)
        >>> watch.maximizing
        True
        >>> watch._is_improvement(0.905, 0.9), watch._is_improvement(0.92, 0.9)
        (False, True)
    """

    # The warning for a missing monitored key; subclasses word it as Keras does.
    _owner: str | None = None  # who "is conditioned on metric ...": the class name if None
    _missing_message = (
        "{owner} is conditioned on metric `{monitor}` which is not available. "
        "Available metrics are: {available}"
    )

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ):
        super().__init__()
        if mode not in MODES:
            warnings.warn(
                f"{type(self).__name__}: mode {mode!r} is unknown, falling back to 'auto'. "
                f"Use one of {', '.join(map(repr, MODES))}.",
                stacklevel=3,
            )
            mode = "auto"
        owner = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(
                f"{owner}: monitor must be a metric name such as 'val_loss', received {monitor!r}."
            )
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(check_number(min_delta, "min_delta", owner))
        self.best = check_number(baseline, "baseline", owner, allow_none=True)

    @property
    def maximizing(self) -> bool:
        """True when larger values of ``monitor`` are better (see the class docstring)."""
        return maximizes(self.monitor, self.mode, self.model)

    def _is_improvement(self, current: float, reference: float | None) -> bool:
        """Whether ``current`` beats ``reference`` by more than ``min_delta``."""
        if math.isnan(current):
            return False
        if reference is None:
            return True
        if self.maximizing:
            return current - self.min_delta > reference
        return current + self.min_delta < reference

    def _monitored_value(self, logs) -> float | None:
        """``logs[monitor]`` as a float, or None with a warning listing the keys there are."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            message = self._missing_message.format(
                owner=self._owner or type(self).__name__,
                monitor=self.monitor,
                available=",".join(logs),
            )
            warnings.warn(message, stacklevel=3)
            return None
        return float(value)
