"""Weight constraints with Keras 3's names and formulas: projections applied after each update.

A constraint is called on a raw weight array (``convlens.backend.xp``, no autograd) and returns
the projected array of the same shape and dtype; ``Layer.apply_constraints`` writes it back.
Norms are taken over ``axis``: for a Dense kernel ``(in, out)`` the default ``axis=0`` constrains
each unit's incoming weights; for a conv kernel ``(KH, KW, C_in, C_out)`` use
``axis=[0, 1, 2]``.

Example:
    >>> import numpy as np
    >>> from convlens import constraints
    >>> constraints.get("non_neg")(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from . import backend, registry
from .arguments import check_int, check_number

EPSILON = 1e-7  # Keras's backend.epsilon(), keeps zero columns from dividing by zero


def _norms(w, axis):
    """The L2 norms of ``w`` over ``axis``, kept as size-1 axes so they broadcast back."""
    xp = backend.xp
    return xp.sqrt((w * w).sum(axis=axis, keepdims=True))


def _axis(axis):
    if isinstance(axis, (list, tuple)):
        return tuple(check_int(a, "axis", "constraint") for a in axis)
    return check_int(axis, "axis", "constraint")


class Constraint:
    """Base class: ``constraint(w) -> w`` projected; the identity here."""

    def __call__(self, w):
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({options})"


class _AxisConstraint(Constraint):
    def get_config(self) -> dict:
        return {"axis": list(self.axis) if isinstance(self.axis, tuple) else self.axis}


class MaxNorm(_AxisConstraint):
    """Rescales slices whose L2 norm exceeds ``max_value``: ``w * clip(n, 0, m) / (eps + n)``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = check_number(max_value, "max_value", "MaxNorm", minimum=0)
        self.axis = _axis(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = backend.xp.clip(norms, 0, self.max_value)
        return w * (desired / (EPSILON + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, **super().get_config()}


class MinMaxNorm(_AxisConstraint):
    """Moves slice norms into ``[min_value, max_value]`` at ``rate`` (1: all the way).

    ``desired = rate * clip(n, min_value, max_value) + (1 - rate) * n``, then
    ``w * desired / (eps + n)``.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = check_number(min_value, "min_value", "MinMaxNorm", minimum=0)
        self.max_value = check_number(max_value, "max_value", "MinMaxNorm", minimum=0)
        if min_value > max_value:
            raise ValueError(
                f"MinMaxNorm: min_value ({min_value}) must not exceed max_value ({max_value})."
            )
        self.rate = check_number(rate, "rate", "MinMaxNorm", 0, 1)
        self.axis = _axis(axis)

    def __call__(self, w):
        norms = _norms(w, self.axis)
        clipped = backend.xp.clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (EPSILON + norms))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            **super().get_config(),
        }


class NonNeg(Constraint):
    """Zeroes the negative weights."""

    def __call__(self, w):
        return backend.xp.where(w >= 0, w, w.dtype.type(0))


class UnitNorm(_AxisConstraint):
    """Scales each slice to unit L2 norm: ``w / (eps + n)``."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        return w / (EPSILON + _norms(w, self.axis))


_CLASSES = {cls.__name__: cls for cls in (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)}
_BY_NAME = {registry.snake_case(name): cls for name, cls in _CLASSES.items()}  # "max_norm"...


def get(identifier):
    """A constraint from a name (``"non_neg"``), a config dict, an object or a callable; None
    stays None.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.
    """
    return registry.get("constraint", identifier, _BY_NAME, _CLASSES, Constraint)


def serialize(constraint) -> dict:
    """``{"class_name": ..., "config": ...}`` for a constraint (JSON-able)."""
    return registry.serialize(constraint)


def deserialize(config) -> Constraint:
    """The constraint described by :func:`serialize`'s dict."""
    return registry.deserialize("constraint", config, _CLASSES, _BY_NAME)
