"""Argument checks written once: every public call validates what a user passes at its boundary.

Each check returns the value in its plain Python form or raises a ``ValueError`` (``TypeError``
for a value of the wrong kind) whose message names the call, the argument, what is accepted and
what was received, e.g. ``fit: batch_size must be an int >= 1 or None, received 0.`` A bool is
not accepted as a number (``True`` is an ``int`` in Python, never what a user means by 1).
"""

from __future__ import annotations

import math
import numbers
import os
import re

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
    value,
    name: str,
    owner: str,
    minimum=None,
    maximum=None,
    strict=False,
    allow_none=False,
    open_maximum=False,
):
    """``value`` as a finite float within [``minimum``, ``maximum``] (both bounds open when
    ``strict``, the upper one alone when ``open_maximum``), or None when ``allow_none``."""
    if value is None and allow_none:
        return None
    low, high = ("(", ")") if strict else ("[", ")" if open_maximum else "]")
    if minimum is not None and maximum is not None:
        bounds = f" in {low}{minimum}, {maximum}{high}"
    elif minimum is not None:
        bounds = f" {'>' if strict else '>='} {minimum}"
    elif maximum is not None:
        bounds = f" {'<' if strict or open_maximum else '<='} {maximum}"
    else:
        bounds = ""
    accepted = f"a finite number{bounds}" + (" or None" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be {accepted}, received {_describe(value)}.")
    value = float(value)
    below = minimum is not None and (value <= minimum if strict else value < minimum)
    above = maximum is not None and (
        value >= maximum if strict or open_maximum else value > maximum
    )
    if not math.isfinite(value) or below or above:
        raise ValueError(f"{owner}: {name} must be {accepted}, received {value}.")
    return value


def _finite_sum(array) -> bool:
    """Whether the sum of ``array`` is finite, which it is only when every value is: NaN and
    infinities carry into any sum. One pass and no temporary, where ``isfinite(a).all()`` writes
    a boolean array as large as the data (47 MB for MNIST's training images). A sum of finite
    values that overflows says nothing; the caller then checks value by value."""
    with numpy.errstate(over="ignore", invalid="ignore"):
        return bool(numpy.isfinite(numpy.sum(array)))


def check_finite(array, name: str, owner: str) -> None:
    """Refuse NaN or infinity in a floating array (training on it only ever gives ``loss: nan``)."""
    array = numpy.asarray(array)
    if array.dtype.kind not in "fc" or _finite_sum(array):
        return
    if not numpy.isfinite(array).all():
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


def check_axis(axis, ndim: int, owner: str, name: str = "axis") -> int:
    """``axis`` (an int in ``[-ndim, ndim)``) as a non-negative axis of a rank-``ndim`` tensor.

    An axis past the rank is refused rather than wrapped around: ``axis=5`` on a 2-D tensor is
    a mistake, never a request for axis 1.
    """
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, received {_describe(axis)}.")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{owner}: {name} must be in [{-ndim}, {ndim - 1}] for a tensor of rank {ndim}, "
            f"received {axis}."
        )
    return int(axis) % ndim


def check_axes(axis, ndim: int, owner: str, name: str = "axis") -> tuple[int, ...]:
    """``axis`` (None for all, an int or a sequence of distinct ints) as non-negative axes,
    in the order given."""
    if axis is None:
        return tuple(range(ndim))
    many = isinstance(axis, (list, tuple))
    axes = tuple(check_axis(a, ndim, owner, name) for a in (axis if many else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{owner}: {name} must not repeat an axis, received {axis!r}.")
    return axes


def check_shape(shape, name: str, owner: str) -> tuple[int, ...]:
    """``shape`` (an int, or a sequence or 1-D array of ints >= 0) as a tuple of ints."""
    dims = (shape,) if numpy.ndim(shape) == 0 else tuple(shape)
    for dim in dims:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 0:
            raise ValueError(
                f"{owner}: {name} must be an int >= 0 or a sequence of them, "
                f"received {_describe(shape)}."
            )
    return tuple(int(dim) for dim in dims)


def broadcast_error(owner: str, shapes) -> ValueError:
    """The error for inputs whose shapes do not broadcast, naming the op and the shapes."""
    op = re.sub(r"(?<!^)(?=[A-Z])", "_", owner).lower()  # "TrueDivide" -> "true_divide"
    listed = ", ".join(str(tuple(shape)) for shape in shapes)
    return ValueError(
        f"{op}: inputs of shapes {listed} do not broadcast together; aligned from the last "
        "axis, each axis must agree or be 1."
    )


def check_bool(value, name: str, owner: str) -> bool:
    """``value`` as a bool: ``bool("no")`` is True, so anything but a real bool is refused."""
    if not isinstance(value, (bool, numpy.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, received {_describe(value)}.")
    return bool(value)


def check_callable(value, name: str, owner: str):
    """``value`` itself when it can be called."""
    if not callable(value):
        raise TypeError(f"{owner}: {name} must be a function, received {_describe(value)}.")
    return value


def check_path(value, name: str, owner: str) -> str:
    """``value`` (a str or an ``os.PathLike``) as a non-empty path string."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise TypeError(f"{owner}: {name} must be a file path, received {_describe(value)}.")
    return os.fspath(value)


def machine_bytes() -> int:
    """This machine's physical memory in bytes (2**63 where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63


def check_fits_in_memory(nbytes: int, what: str, owner: str, hint: str = "") -> None:
    """Refuse an array larger than the machine's memory before asking NumPy for it (whose
    MemoryError, or TypeError past 2**63, names neither the call nor the argument)."""
    if nbytes > machine_bytes():
        raise ValueError(
            f"{owner}: {what} would take {nbytes / 2**30:.4g} GiB, more than this machine's "
            f"{machine_bytes() / 2**30:.4g} GiB of memory{'; ' + hint if hint else ''}."
        )
