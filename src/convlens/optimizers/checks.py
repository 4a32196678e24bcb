"""The optimizers' argument checks, on :mod:`convlens.arguments`: every message names the
optimizer, the argument, what it expected and what it received."""

from __future__ import annotations

from ..arguments import check_number


def check_float(owner: str, name: str, value, low=None, high=None, include_high=True):
    """``value`` as a float in ``[low, high]`` (``[low, high)`` without ``include_high``)."""
    open_maximum = not include_high
    return check_number(value, name, owner, minimum=low, maximum=high, open_maximum=open_maximum)


def check_positive(owner: str, name: str, value):
    """``value`` as a float > 0 (epsilon, clipping thresholds)."""
    return check_number(value, name, owner, minimum=0, strict=True)
