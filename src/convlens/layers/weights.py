"""A layer's weights and sublayers: ``add_weight``, Keras's automatic tracking of layers held
as attributes, the ``trainable`` flag, ``get_weights``/``set_weights``, weight penalties and
constraints, and ``add_loss``/``losses``.

:class:`TrackedWeights` is a part of :class:`~convlens.layers.layer.Layer` (its first base);
``Layer.__init__`` creates the lists it keeps. Weights are listed as Keras lists them: a layer's
own first, then its sublayers' in the order they were assigned.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import math

import numpy

from .. import backend
from ..arguments import check_fits_in_memory
from ..rng import rng_for
from ..tensor import Tensor, as_tensor

# Attributes of every layer that hold its own state, never sublayers (skipped when tracking).
_OWN_STATE = frozenset(
    (
        "_weights",
        "_trainable_flags",
        "_initializers",
        "_regularized",
        "_constraints",
        "_losses",
        "_inbound_nodes",
        "input_spec",
    )
)


class WeightBudgetError(ValueError):
    """More weight bytes than a :func:`weight_budget` allows (a model file's config asking
    for more weights than its weights file holds)."""


_BUDGET: contextvars.ContextVar = contextvars.ContextVar("weight_budget", default=None)


@contextlib.contextmanager
def weight_budget(max_bytes: int, initialize: bool = True):
    """Within the block, ``add_weight`` refuses (WeightBudgetError) a weight that would take
    the bytes created so far past ``max_bytes``, before allocating it: loading a model file
    builds its config under the size of its own weights, so a small hostile config cannot
    allocate gigabytes.

    With ``initialize=False`` the weights are zeros, their initializers not run: for a loader
    that overwrites every weight from its file (or fails), the initial values would be thrown
    away, and drawing them costs twice their size in temporaries.
    """
    token = _BUDGET.set([int(max_bytes), bool(initialize)])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(layer, name, shape, dtype) -> bool:
    """Count the weight against the budget, if any; whether to run its initializer. A weight
    larger than the machine's memory is refused naming the layer (``Dense(10**12)``), where
    NumPy would raise a MemoryError about an anonymous array."""
    size = math.prod(shape) * numpy.dtype(dtype).itemsize
    check_fits_in_memory(
        size,
        f"weight {name!r} of shape {shape}",
        f'{type(layer).__name__} "{layer.name}"',
        "check the layer's sizes (units, filters, kernel_size)",
    )
    budget = _BUDGET.get()
    if budget is None:
        return True
    if size > budget[0]:
        raise WeightBudgetError(
            f'{type(layer).__name__} "{layer.name}": weight {name!r} of shape {shape} takes '
            f"{size} bytes, more than the {budget[0]} bytes left of the weights file."
        )
    budget[0] -= size
    return budget[1]


def _may_hold_layers(value) -> bool:
    if isinstance(value, TrackedWeights):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return not value or any(isinstance(item, TrackedWeights) for item in value)
    return False


class TrackedWeights:
    """Weights, sublayers and added losses of a layer (see the module docstring)."""

    _weights: list
    _weight_names: itertools.count

    # ----- weights -----
    def add_weight(
        self,
        *args,
        shape=None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        regularizer=None,
        constraint=None,
        name: str | None = None,
        autocast: bool = True,
        aggregation="none",
        overwrite_with_gradient: bool = False,
    ) -> Tensor:
        """Create a weight, initialised, registered for training, saving and summary.

        Keras 3's signature: ``add_weight(shape=(3, 4), initializer="zeros", name="w")``;
        ``shape`` (and then ``initializer``, ``dtype``) may come positionally, and a leading
        name string is accepted too (Keras 2's order). Without a name the weight is called
        ``variable``, ``variable_1``...; without an initializer, floats start from
        ``glorot_uniform`` and other dtypes from zeros, as in Keras.

        Raises:
            TypeError: for more than three positional arguments.
        """
        from .. import constraints, initializers, regularizers

        if args and isinstance(args[0], str):  # Keras 2: add_weight("kernel", shape, ...)
            name, args = (name or args[0]), args[1:]
        if len(args) > 3:
            raise TypeError(
                f'{type(self).__name__} "{self.name}": add_weight() takes at most 3 positional '
                f"arguments (shape, initializer, dtype), received {len(args)}."
            )
        given = dict(zip(("shape", "initializer", "dtype"), args))
        shape = given.get("shape", shape)
        initializer = given.get("initializer", initializer)
        dtype = given.get("dtype", dtype)
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = numpy.dtype(dtype or self.dtype).name
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        if name is None:
            index = next(self._weight_names)
            name = "variable" if index == 0 else f"variable_{index}"
        initializer = initializers.get(initializer)
        if _charge(self, name, shape, dtype):  # before anything is allocated
            values = initializer(shape, dtype=dtype)
        else:  # a loader will overwrite every value (weight_budget)
            values = backend.xp.zeros(shape, dtype=dtype)
        weight = Tensor(
            values,
            dtype=dtype,
            requires_grad=trainable and self._trainable and dtype.startswith("float"),
            name=f"{self.name}/{name}",
        )
        self._weights.append(weight)
        self._initializers.append(initializer)
        self._trainable_flags.append(bool(trainable))
        if regularizer is not None:
            self._regularized.append((weight, regularizers.get(regularizer)))
        if constraint is not None:
            self._constraints.append((weight, constraints.get(constraint)))
        return weight

    add_variable = add_weight

    # ----- sublayers -----
    def __setattr__(self, name, value):
        """Note the attributes that hold a layer, or a container that holds one or is empty
        (filled later: ``self.blocks = []`` then ``append``), so that finding the sublayers
        reads those few attributes, not every attribute, at each step."""
        if name not in _OWN_STATE and _may_hold_layers(value):
            names = self.__dict__.setdefault("_layer_attributes", [])
            if name not in names:
                names.append(name)
        object.__setattr__(self, name, value)

    def _sublayers(self) -> list:
        """The layers held as attributes (alone, or in lists, tuples and dicts), in order."""
        found, seen, attributes = [], {id(self)}, self.__dict__
        for key in attributes.get("_layer_attributes", ()):
            value = attributes.get(key)
            if isinstance(value, dict):
                value = list(value.values())
            candidates = value if isinstance(value, (list, tuple)) else (value,)
            for candidate in candidates:
                if isinstance(candidate, TrackedWeights) and id(candidate) not in seen:
                    seen.add(id(candidate))
                    found.append(candidate)
        return found

    def _flat_layers(self) -> list:
        """This layer, then every sublayer at any depth, each once (Keras's weight order)."""
        result, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            result.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return result

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze or unfreeze this layer and every sublayer (Keras sets the flag recursively)."""
        self._trainable = bool(value)
        for weight, flag in zip(self._weights, self._trainable_flags):
            weight.requires_grad = flag and self._trainable and weight.dtype.kind == "f"
        for layer in self._sublayers():
            layer.trainable = value

    def _own_weights(self, trainable: bool | None = None) -> list[Tensor]:
        if trainable is None:
            return list(self._weights)
        return [
            w
            for w, flag in zip(self._weights, self._trainable_flags)
            if (flag and self._trainable) == trainable
        ]

    @property
    def weights(self) -> list[Tensor]:
        """Every weight: this layer's, then its sublayers' (Keras's ``layer.weights``)."""
        return [w for layer in self._flat_layers() for w in layer._weights]

    @property
    def variables(self) -> list[Tensor]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Tensor]:
        if not self._trainable:
            return []
        return [w for layer in self._flat_layers() for w in layer._own_weights(True)]

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        if not self._trainable:
            return self.weights
        return [w for layer in self._flat_layers() for w in layer._own_weights(False)]

    non_trainable_variables = non_trainable_weights

    def count_params(self) -> int:
        return int(sum(w.size for w in self.weights))

    def get_weights(self) -> list[numpy.ndarray]:
        """The weights' values as NumPy arrays, in :attr:`weights` order (Keras's order)."""
        return [backend.to_numpy(w.data).copy() for w in self.weights]

    def set_weights(self, values) -> None:
        """Set every weight from a list of arrays, in :meth:`get_weights` order.

        Raises:
            ValueError: naming the layer, the weight and both shapes on any mismatch.
        """
        values, weights = list(values), self.weights
        if len(values) != len(weights):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected {len(weights)} weight '
                f"arrays, received {len(values)}."
            )
        for weight, value in zip(weights, values):
            value = backend.to_numpy(value)
            if value.shape != weight.shape:
                raise ValueError(
                    f'{type(self).__name__} "{self.name}": weight "{weight.name}" has shape '
                    f"{weight.shape}, received an array of shape {value.shape}."
                )
        for weight, value in zip(weights, values):
            weight.data[...] = backend.xp.asarray(backend.to_numpy(value), dtype=weight.dtype)

    def reset_weights(self, seed=None) -> None:
        """Draw every weight again from its own initializer, sublayers included.

        Args:
            seed: an int or a ``numpy.random.Generator``: the draws then reproduce exactly
                (randomness stays explicit: no global seed is involved).
        """
        from ..initializers import RandomInitializer

        rng = rng_for(seed)
        for layer in self._flat_layers():
            for weight, initializer in zip(layer._weights, layer._initializers):
                if isinstance(initializer, RandomInitializer):
                    initializer = type(initializer).from_config(
                        {**initializer.get_config(), "seed": rng}
                    )
                weight.data[...] = initializer(weight.shape, dtype=weight.dtype)

    def apply_constraints(self) -> None:
        """Project constrained weights after an optimizer step (Keras applies them then)."""
        for layer in self._flat_layers():
            for weight, constraint in layer._constraints:
                weight.data[...] = constraint(weight.data)

    def regularization_losses(self) -> list[Tensor]:
        """Penalties of the weights (sublayers' too), recomputed for the current values."""
        return [
            regularizer(weight)
            for layer in self._flat_layers()
            for weight, regularizer in layer._regularized
        ]

    # ----- losses -----
    def add_loss(self, loss) -> None:
        """Add a scalar term to the training loss, from inside ``call`` (Keras's ``add_loss``).

        The terms of one call replace those of the previous call: a model's loss counts each
        once per step.
        """
        self._losses.append(loss if isinstance(loss, Tensor) else as_tensor(loss))

    @property
    def losses(self) -> list[Tensor]:
        """The ``add_loss`` terms of the last call, sublayers' included, and weight penalties."""
        added = [loss for layer in self._flat_layers() for loss in layer._losses]
        return added + self.regularization_losses()

    def _clear_losses(self) -> None:
        for layer in self._flat_layers():
            layer._losses = []
