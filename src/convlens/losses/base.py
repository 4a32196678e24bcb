"""Keras 3's ``Loss`` contract: ``call(y_true, y_pred)`` gives per-sample losses, ``__call__``
weights and reduces them.

A user subclasses :class:`Loss` and writes ``call``; a function ``f(y_true, y_pred)`` becomes a
:class:`LossFunctionWrapper`. The reductions are Keras's (``keras/src/losses/loss.py``):

* ``"sum_over_batch_size"`` (the default) and ``"mean"``: the weighted sum divided by the number
  of loss values (not by the sum of the weights);
* ``"sum"``: the weighted sum;
* ``"mean_with_sample_weight"``: the weighted sum divided by the sum of the weights;
* ``None`` or ``"none"``: the weighted values themselves.

Example:
    >>> from convlens import ops
    >>> class Scaled(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean((y_true - y_pred) * (y_true - y_pred), axis=-1) * 2.0
    >>> float(Scaled()([[0.0, 1.0]], [[1.0, 1.0]]))
    1.0
"""

from __future__ import annotations

import numpy

from .. import backend, config, ops
from ..arguments import check_callable
from ..registry import snake_case
from ..tensor import Tensor, as_tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction, owner: str = "Loss"):
    """``reduction`` if Keras accepts it.

    Raises:
        ValueError: naming the accepted values.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"{owner}: reduction must be one of {list(REDUCTIONS)}, received reduction="
            f"{reduction!r}."
        )
    return reduction


def _weights_like(sample_weight, values: Tensor):
    """``sample_weight`` as an array of ``values``' dtype, lined up with ``values`` as Keras's
    ``squeeze_or_expand_to_same_rank``; (N,) weights against (N, ...) values weigh whole
    samples."""
    weight = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
    weight = backend.xp.asarray(weight, dtype=values.dtype)
    if weight.ndim == values.ndim + 1 and weight.shape[-1] == 1:
        weight = weight[..., 0]
    if 0 < weight.ndim < values.ndim and weight.shape[0] == values.shape[0]:
        weight = weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    return weight


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-sample ``values`` by ``sample_weight`` and reduce them, as Keras.

    Args:
        values: the per-sample losses (a Tensor, kept in the autograd graph).
        sample_weight: None, or weights broadcastable to ``values`` (after rank alignment).
        reduction: one of :data:`REDUCTIONS`.

    Returns:
        A Tensor: a scalar, or the weighted values for ``None``/``"none"``.

    Raises:
        ValueError: for an unknown reduction, or weights that do not broadcast to the values.
    """
    reduction = standardize_reduction(reduction)
    values = as_tensor(values)
    weight = None
    if sample_weight is not None:
        weight = _weights_like(sample_weight, values)
        try:
            numpy.broadcast_shapes(weight.shape, values.shape)
        except ValueError as error:
            raise ValueError(
                f"sample_weight of shape {tuple(weight.shape)} does not match the losses of "
                f"shape {values.shape}."
            ) from error
        values = ops.multiply(values, weight)
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = float(weight.sum())
    else:
        divisor = float(values.size)
    return ops.divide(total, divisor) if divisor else ops.multiply(total, 0.0)  # divide_no_nan


class Loss:
    """Base class of the losses: subclasses write ``call(y_true, y_pred)``, Keras 3's contract.

    Args:
        name: the loss's name (snake_case of the class name by default).
        reduction: how ``__call__`` reduces the weighted per-sample losses; see the module.
        dtype: the floating dtype of the labels and predictions (default: ``y_pred``'s, which
            the model's policy sets).

    Raises:
        ValueError: for an unknown reduction.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction, type(self).__name__)
        self._dtype = None if dtype is None else numpy.dtype(dtype).name

    @property
    def dtype(self):
        return self._dtype or config.floatx()

    def call(self, y_true, y_pred):
        """The per-sample losses (a Tensor). Subclasses must implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The loss of a batch: ``call``, then the sample weights and the reduction."""
        y_pred = as_tensor(y_pred, dtype=self._dtype)
        dtype = y_pred.dtype if y_pred.dtype.kind == "f" else numpy.dtype("float32")
        if not isinstance(y_true, Tensor):
            y_true = Tensor(y_true, dtype=dtype)  # as Keras: labels in the loss's dtype
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight, self.reduction)

    def per_sample_losses(self, y_true, y_pred) -> Tensor:
        """The unreduced losses (an alias of :meth:`call`)."""
        return self.call(y_true, y_pred)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


class LossFunctionWrapper(Loss):
    """A per-sample function ``fn(y_true, y_pred, **kwargs)`` as a :class:`Loss`.

    The built-in losses are these, with their function and options; a function of your own
    given to ``compile(loss=...)`` becomes a :class:`FunctionLoss`.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(
            name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype
        )
        self.fn, self._fn_kwargs = check_callable(fn, "fn", type(self).__name__), kwargs

    @property
    def options(self) -> dict:
        """The keyword arguments given to the function."""
        return dict(self._fn_kwargs)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}


class FunctionLoss(LossFunctionWrapper):
    """A user's function ``f(y_true, y_pred) -> per-sample Tensor`` as a Loss (not saveable)."""

    def __init__(self, function, name=None, reduction="sum_over_batch_size"):
        super().__init__(function, reduction=reduction, name=name)
        self.function = function

    def get_config(self) -> dict:
        raise ValueError(
            f"The custom loss function {self.name!r} cannot be saved in a model file; "
            "compile again after loading."
        )
