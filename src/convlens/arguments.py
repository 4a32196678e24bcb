"""Argument checks written once: every public call validates what a user passes at its boundary.

Each check returns the value in its plain Python form or raises a ``ValueError`` (``TypeError``
for a value of the wrong kind) whose message names the call, the argument, what is accepted and
what was received, e.g. ``fit: batch_size must be an int >= 1 or None, received 0.`` A bool is
not accepted as a number (``True`` is an ``int`` in Python, never what a user means by 1).
"""

from __future__ import annotations

import math
import numbers

import numpy


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(value, name: str, owner: str, minimum: int | None = None, allow_none=False):
    """``value`` as an int (at least ``minimum``), or None when ``allow_none``."""
    if value is None and allow_none:
        return None
    accepted = "an int" + (f" >= {minimum}" if minimum is not None else "")
    accepted += " or None" if allow_none else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be {accepted}, received {_describe(value)}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{owner}: {name} must be {accepted}, received {value}.")
    return int(value)


def check_number(
    value, name: str, owner: str, minimum=None, maximum=None, strict=False, allow_none=False
):
    """``value`` as a finite float within [``minimum``, ``maximum``] (open bounds when
    ``strict``), or None when ``allow_none``."""
    if value is None and allow_none:
        return None
    low, high = ("(", ")") if strict else ("[", "]")
    bounds = ""
    if minimum is not None or maximum is not None:
        bounds = f" in {low}{'-inf' if minimum is None else minimum}, "
        bounds += f"{'inf' if maximum is None else maximum}{high}"
    accepted = f"a finite number{bounds}" + (" or None" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be {accepted}, received {_describe(value)}.")
    value = float(value)
    below = minimum is not None and (value <= minimum if strict else value < minimum)
    above = maximum is not None and (value >= maximum if strict else value > maximum)
    if not math.isfinite(value) or below or above:
        raise ValueError(f"{owner}: {name} must be {accepted}, received {value}.")
    return value


def check_finite(array, name: str, owner: str) -> None:
    """Refuse NaN or infinity in a floating array (training on it only ever gives ``loss: nan``)."""
    array = numpy.asarray(array)
    if array.dtype.kind in "fc" and not numpy.isfinite(array).all():
        bad = int(numpy.size(array) - numpy.isfinite(array).sum())
        raise ValueError(
            f"{owner}: {name} holds {bad} NaN or infinite value(s); clean or drop those samples "
            "first (numpy.isfinite finds them)."
        )


def check_non_negative(array, name: str, owner: str) -> None:
    """Refuse negative or non-finite weights: a negative weight rewards a wrong answer."""
    check_finite(array, name, owner)
    array = numpy.asarray(array)
    if array.size and array.min() < 0:
        raise ValueError(
            f"{owner}: {name} must be >= 0 everywhere, received a minimum of {array.min()}."
        )
