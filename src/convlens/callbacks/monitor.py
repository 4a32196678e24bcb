"""What several callbacks share: the optimizer's learning rate, and messages under the bar.

The rule "has the monitored value improved?" is :class:`~.monitor_callback.MonitorCallback`.
"""

from __future__ import annotations

import sys


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
