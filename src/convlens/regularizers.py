"""Weight penalties with Keras 3's names: ``L1``, ``L2``, ``L1L2``, ``OrthogonalRegularizer``.

A regularizer is called on a weight Tensor and returns a scalar Tensor built from
:mod:`convlens.ops`, so the penalty's gradient flows through our autograd into the weight; the
training loop adds it to the loss.

Example:
    >>> import convlens as cl
    >>> from convlens import regularizers
    >>> w = cl.Tensor([1.0, -2.0], requires_grad=True)
    >>> penalty = regularizers.get("l2")(w)      # 0.01 * (1 + 4)
    >>> round(penalty.item(), 6)
    0.05
    >>> penalty.backward(); w.grad.tolist()    # 2 * 0.01 * w
    [0.02, -0.04]
"""

from __future__ import annotations

import math

from . import backend, ops, registry
from .tensor import Tensor, as_tensor

EPSILON = 1e-7  # Keras's backend.epsilon()


def _penalty_factor(value, name: str) -> float:
    """A non-negative finite float, as Keras's ``validate_float_arg``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float, "
            f"received {name}={value!r}."
        )
    return float(value)


class Regularizer:
    """Base class: ``regularizer(weight) -> scalar Tensor``."""

    def __call__(self, x) -> Tensor:
        return Tensor(0.0, dtype=as_tensor(x).dtype)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        options = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({options})"


class L1L2(Regularizer):
    """``l1 * Σ|w| + l2 * Σw²``.

    Raises:
        ValueError: for a negative or non-finite factor.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _penalty_factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _penalty_factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x) -> Tensor:
        x = as_tensor(x)
        penalty = Tensor(0.0, dtype=x.dtype)
        if self.l1:
            penalty = penalty + ops.sum(ops.abs(x)) * self.l1  # d/dw = l1 sign(w)
        if self.l2:
            penalty = penalty + ops.sum(x * x) * self.l2  # d/dw = 2 l2 w
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * Σ|w|`` (Keras default ``l1=0.01``)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * Σw²`` (Keras default ``l2=0.01``); no 1/2 factor, as Keras."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


# Keras's lowercase spellings: keras.regularizers.l2(1e-3) is L2(1e-3).
l1, l2, l1_l2 = L1, L2, L1L2


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2D kernel towards orthonormal, as Keras 3.

    The penalty is ``factor * 0.5 * Σ_{i≠j} |<u_i, u_j>| / (n (n - 1) / 2)`` over the
    L2-normalised rows ``u_i`` (``mode="rows"``) or columns (``mode="columns"``).

    Raises:
        ValueError: for a negative factor or an unknown mode; on call, for a non-2D weight.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _penalty_factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: mode must be 'rows' or 'columns', received {mode!r}."
            )
        self.mode = mode

    def __call__(self, x) -> Tensor:
        x = as_tensor(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2D weight, received shape {x.shape}.")
        if self.mode == "columns":
            x = x.T  # (in, out) -> (out, in): the columns become rows
        n = x.shape[0]
        if n < 2:
            return Tensor(0.0, dtype=x.dtype)  # no pairs to decorrelate
        norms = ops.sqrt(ops.sum(x * x, axis=1, keepdims=True))  # (n, 1)
        unit = x / ops.maximum(norms, EPSILON)  # (n, d), Keras's ops.normalize
        product = unit @ unit.T  # (n, n) cosines
        off_diagonal = product * (1.0 - backend.xp.eye(n, dtype=x.dtype))
        pairs = n * (n - 1) / 2.0
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


_CLASSES = {cls.__name__: cls for cls in (L1, L2, L1L2, OrthogonalRegularizer)}
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer}
_HIDDEN = {**_CLASSES, "l1l2": L1L2}


def get(identifier):
    """A regularizer from a name (``"l2"``), a config dict, an object or a callable; None
    stays None.

    Raises:
        ValueError: for an unknown name, listing the accepted ones.
    """
    return registry.get("regularizer", identifier, _BY_NAME, _HIDDEN, Regularizer)


def serialize(regularizer) -> dict:
    """``{"class_name": ..., "config": ...}`` for a regularizer (JSON-able)."""
    return registry.serialize(regularizer)


def deserialize(config) -> Regularizer:
    """The regularizer described by :func:`serialize`'s dict."""
    return registry.deserialize("regularizer", config, _CLASSES, {**_BY_NAME, "l1l2": L1L2})
