"""The optimizers' argument checks: every message names the optimizer, the argument, what it
expected and what it received."""

from __future__ import annotations

import math
import numbers


def check_float(owner: str, name: str, value, low=None, high=None, include_high=True):
    """``value`` as a float in ``[low, high]`` (``[low, high)`` without ``include_high``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, received {name}={value!r}.")
    value = float(value)
    too_high = high is not None and (value > high or (value == high and not include_high))
    if (low is not None and value < low) or too_high:
        upper = "" if high is None else f"{high}]" if include_high else f"{high})"
        expected = f"in [{low}, {upper}" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: {name} must be {expected}, received {name}={value!r}.")
    return value


def check_positive(owner: str, name: str, value):
    """``value`` as a float > 0 (epsilon, clipping thresholds)."""
    value = check_float(owner, name, value)
    if not value > 0:
        raise ValueError(f"{owner}: {name} must be > 0, received {name}={value!r}.")
    return value
