"""Keras 3's ``Metric`` contract, and the running means and sums built on it.

A metric holds its state in variables made by :meth:`Metric.add_variable` (Tensors, with Keras's
``assign``/``assign_add``), accumulates a batch in ``update_state``, reports in ``result`` and
clears in ``reset_state`` (by default every variable back to zeros, as Keras). The built-in
metrics watch training and are not differentiated: they work on host NumPy arrays (Tensors and
CuPy arrays are copied) and keep float64 state, and their ``result()`` is a Python float (an
array for a metric with one value per threshold or class).
"""

from __future__ import annotations

import numbers

import numpy

from .. import backend, config, initializers, registry
from ..arguments import check_callable
from ..tensor import Tensor


def host(x) -> numpy.ndarray:
    """A NumPy array from a Tensor, a NumPy/CuPy array, a number or a list."""
    if isinstance(x, Tensor):
        x = x.data
    return numpy.asarray(backend.to_numpy(x) if backend.is_array(x) else x)


def same_rank(a, b):
    """Keras's ``squeeze_or_expand_to_same_rank``: when the ranks differ by one and the longer
    ends in an axis of size 1, a rank-1 partner gains that axis, any other loses it."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[:, None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[:, None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


def read(variable) -> numpy.ndarray:
    """A variable's values on the host."""
    return backend.to_numpy(variable.data)


def accumulate(variable, value) -> None:
    """``variable += value`` for a host value (copied to the device on CuPy)."""
    variable.assign_add(backend.xp.asarray(value, dtype=variable.dtype))


def scalar_or_array(values):
    """A Python float for one value, else a NumPy array (the built-ins' ``result()``)."""
    values = numpy.asarray(values)
    return float(values) if values.ndim == 0 else values


class Metric:
    """Base class: subclasses write ``update_state``, ``result`` and, if zeros are not the
    empty state, ``reset_state``.

    Args:
        dtype: the dtype of the variables (default ``config.floatx()``).
        name: the key of the metric in the training logs (snake_case of the class name by
            default).

    Example:
        >>> class Count(Metric):
        ...     def __init__(self, name="count", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.seen.assign_add(len(y_true))
        ...     def result(self):
        ...         return self.seen
        >>> count = Count()
        >>> count.update_state([1, 2], [1, 2]); float(count([3], [3]))
        3.0
        >>> count.reset_state(); float(count.result())
        0.0
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or registry.snake_case(type(self).__name__)
        self._dtype = numpy.dtype(dtype or config.floatx()).name
        self._variables: list = []
        self._metrics: list = []

    def __setattr__(self, key, value):
        # As Keras: a metric held by another (its attribute) contributes its variables.
        if isinstance(value, Metric) and "_metrics" in self.__dict__:
            if all(value is not known for known in self._metrics):
                self._metrics.append(value)
        object.__setattr__(self, key, value)

    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A state variable: a Tensor of ``shape`` from ``initializer``, reset to zeros by
        :meth:`reset_state` (Keras's ``add_variable``; ``aggregation`` is accepted for
        compatibility: there is one replica).

        Raises:
            RuntimeError: when ``super().__init__()`` was not called first.
            ValueError: for a shape that is not a tuple of non-negative ints.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() in __init__ before add_variable()."
            )
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape or ())
        if not all(isinstance(n, numbers.Integral) and n >= 0 for n in shape):
            raise ValueError(
                f'Metric "{self.name}": add_variable shape must be a tuple of non-negative '
                f"ints, received {shape!r}."
            )
        dtype = numpy.dtype(dtype or self.dtype)
        values = initializers.get(initializer or "zeros")(shape, dtype=dtype)
        variable = Tensor(values, dtype=dtype, name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """An alias of :meth:`add_variable` (Keras keeps it for old code)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """The state variables, then those of the metrics this one holds."""
        nested = [v for metric in self._metrics for v in metric.variables]
        return list(self._variables) + nested

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self) -> None:
        """Every variable back to zeros (as Keras's default)."""
        for variable in self.variables:
            variable.assign(backend.xp.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args, **kwargs):
        """Update with one batch, then return the running result (Keras's ``Metric.__call__``)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def reduce_to_samplewise(values, weight, reduce):
    """Keras's ``reduce_to_samplewise_values``: weighted values, one per sample (per entry of
    ``weight``), and the weights reduced alike.

    Raises:
        ValueError: for weights that do not broadcast to the values.
    """
    if weight is not None:
        values, weight = same_rank(values, weight)
        if values.ndim > weight.ndim:  # reduce the extra axes of each weighted entry
            values = reduce(values, axis=tuple(range(weight.ndim, values.ndim)))
        weight = numpy.broadcast_to(weight, values.shape)
        values = values * weight
        if weight.ndim > 1:
            weight = reduce(weight, axis=tuple(range(1, weight.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weight


class Sum(Metric):
    """The weighted sum of the values seen: ``Σ wᵢ vᵢ``.

    Example:
        >>> s = Sum()
        >>> s.update_state([1.0, 3.0, 5.0], sample_weight=[1, 1, 0])
        >>> s.result()
        4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype="float64", name="total")

    def update_state(self, values, sample_weight=None) -> None:
        values = host(values).astype(numpy.float64)
        weight = None if sample_weight is None else host(sample_weight).astype(numpy.float64)
        values, _ = _checked(self, reduce_to_samplewise, values, weight, numpy.sum)
        accumulate(self.total, values.sum())

    def result(self) -> float:
        return float(read(self.total))


def _checked(metric, function, values, weight, reduce):
    try:
        return function(values, weight, reduce)
    except ValueError as error:
        raise ValueError(
            f'Metric "{metric.name}": sample_weight of shape {weight.shape} does not match '
            f"values of shape {values.shape}."
        ) from error


class Mean(Metric):
    """The weighted mean of the values seen: ``Σ wᵢ vᵢ / Σ wᵢ``.

    ``update_state(values, sample_weight=None)``: values of rank > 1 are first averaged to one
    value per sample (per entry of ``sample_weight``), as Keras's ``reduce_to_samplewise_values``.

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0, 5.0], sample_weight=[1, 1, 0])
        >>> m.result()
        2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", dtype="float64", name="total")
        self.count = self.add_variable((), "zeros", dtype="float64", name="count")

    def update_state(self, values, sample_weight=None) -> None:
        values = host(values).astype(numpy.float64)
        weight = None if sample_weight is None else host(sample_weight).astype(numpy.float64)
        values, weight = _checked(self, reduce_to_samplewise, values, weight, numpy.mean)
        accumulate(self.total, values.sum())
        if weight is not None:
            accumulate(self.count, weight.sum())
        else:
            accumulate(self.count, values.shape[0] if values.ndim >= 1 else 1)

    def result(self) -> float:
        count = float(read(self.count))
        return float(read(self.total)) / count if count else 0.0  # Keras's divide_no_nan


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, one value per sample.

    A function of your own given to ``compile(metrics=[...])`` becomes one of these; it is
    kept for the session but cannot be saved in a model file.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self._fn, self._fn_kwargs = check_callable(fn, "fn", type(self).__name__), kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        if type(self) is MeanMetricWrapper:
            raise ValueError(
                f'The metric "{self.name}" wraps the function {self._fn!r}, which a '
                "JSON config cannot hold; compile again with it after loading."
            )
        return {**super().get_config(), **self._fn_kwargs}
