"""What the monitoring callbacks share: which way a metric improves, its value, messages.

EarlyStopping, ModelCheckpoint and ReduceLROnPlateau all watch one key of the epoch logs
(``monitor="val_loss"``) and compare it with the best value so far, as Keras does.
"""

from __future__ import annotations

import sys
import warnings

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


def check_mode(owner: str, mode: str) -> str:
    """``mode``, or ``"auto"`` with a warning for an unknown one (Keras warns, then falls back)."""
    if mode not in MODES:
        warnings.warn(
            f"{owner}: mode {mode!r} is unknown, falling back to 'auto'. Use one of "
            f"{', '.join(map(repr, MODES))}.",
            stacklevel=3,
        )
        return "auto"
    return mode


def maximizes(monitor: str, mode: str, model=None) -> bool:
    """True when larger values of ``monitor`` are better.

    ``mode="auto"``: a metric object of the model with a ``_direction`` decides (as Keras 3);
    else accuracy-like names ("acc", "accuracy", "auc", "precision"...) maximise and everything
    else (losses, errors) minimises.
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


def monitored_value(owner: str, monitor: str, logs) -> float | None:
    """``logs[monitor]`` as a float, or None with a warning listing the keys there are."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        warnings.warn(
            f"{owner} is conditioned on metric `{monitor}` which is not available. "
            f"Available metrics are: {','.join(logs)}",
            stacklevel=3,
        )
        return None
    return float(value)


def learning_rate(model) -> float:
    """The optimizer's current learning rate (a schedule evaluated at ``iterations``).

    Raises:
        ValueError: when the model has no optimizer with a ``learning_rate``.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            'The model\'s optimizer must have a "learning_rate" attribute; '
            "compile the model with an optimizer first."
        )
    return float(optimizer.learning_rate)


def write_message(text: str, stream=None) -> None:
    """Write a callback's message on its own line, under any active progress bar.

    ``tqdm.write`` moves an open bar out of the way and redraws it after the message.
    """
    from tqdm import tqdm

    tqdm.write(text, file=stream or sys.stdout)
