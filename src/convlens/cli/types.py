"""Argument types for ``convlens``: each checks one value and says what is accepted.

argparse calls them on the text of an option; an ``argparse.ArgumentTypeError`` becomes the
one-line error ``convlens train: error: argument --limit: ...`` with exit code 2, so nonsense such
as ``--limit -5`` or ``--learning-rate -1`` never reaches the library (issue 14, item 6).
"""

from __future__ import annotations

import argparse
import math


def _number(text: str, kind, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}")
    return value


def at_least(low: int):
    """An int type accepting ``low`` or more: ``at_least(1)`` for --epochs, --limit..."""

    def parse(text: str) -> int:
        value = _number(text, int, f"an integer >= {low}")
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, received {text!r}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in some messages
    return parse


def between(low: int, high: int):
    """An int type accepting ``low`` to ``high``: a bound where more only runs for ever (show's
    --steps) or fails deep in a library (a seed past 2**32 - 1)."""

    def parse(text: str) -> int:
        what = f"an integer from {low} to {high}"
        value = _number(text, int, what)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {what}, received {text!r}")
        return value

    parse.__name__ = f"integer from {low} to {high}"
    return parse


positive_int = at_least(1)
non_negative_int = at_least(0)


def positive_float(text: str) -> float:
    """A finite float > 0 (a learning rate)."""
    value = _number(text, float, "a number > 0")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, received {text!r}")
    return value


def fraction(text: str) -> float:
    """A float in [0, 1): the share of the training images held out for validation."""
    value = _number(text, float, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a number in [0, 1) (0: no validation), received {text!r}"
        )
    return value


def padding(text: str):
    """``valid``, ``same`` or a number of pixels >= 0."""
    if text in ("valid", "same"):
        return text
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f'expected "valid", "same" or a number of pixels >= 0, received {text!r}'
        )
    return value


def matrix(text: str):
    """``"5 2 3 4; 6 7 8 5"`` -> a 2-D float array (rows separated by ';').

    Raises:
        ValueError: for text that is not numbers, or rows of unequal or zero length.
    """
    import numpy

    try:
        rows = [[float(v) for v in row.replace(",", " ").split()] for row in text.split(";")]
    except ValueError:
        raise ValueError(
            f'cannot read the matrix {text!r}: use numbers, rows separated by ";", '
            'e.g. "1 0 -1; 2 0 -2; 1 0 -1".'
        ) from None
    if not rows or any(len(r) != len(rows[0]) or not r for r in rows):
        raise ValueError(f"the matrix {text!r} must have rows of equal, non-zero length.")
    values = numpy.array(rows)
    if not numpy.isfinite(values).all():
        raise ValueError(f"the matrix {text!r} must hold finite numbers.")
    return values


def looks_like_matrix(text: str) -> bool:
    """Whether ``text`` is meant as numbers (``"1 0; 0 -1"``) rather than a kernel's name."""
    return any(c.isdigit() for c in text) and not any(c.isalpha() and c != "e" for c in text)
