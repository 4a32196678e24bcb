"""The Layer base class: weights, build-on-first-call, input checks, configuration.

A layer owns its weights and calls a pure op from ``convlens.ops``; the math lives there. Called
on a symbolic :class:`~convlens.layers.symbolic.KerasTensor` (from ``Input``), a layer records a
node of a functional graph instead of computing (:meth:`Layer.symbolic_call`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy

from .. import backend
from ..registry import snake_case
from ..tensor import Tensor, as_tensor
from .symbolic import KerasTensor, Node, format_shape

_name_counters: dict[str, itertools.count] = defaultdict(itertools.count)


def unique_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``... as Keras names layers."""
    n = next(_name_counters[prefix])
    return prefix if n == 0 else f"{prefix}_{n}"


class InputSpec:
    """What a layer accepts: a rank (``ndim``/``min_ndim``) and fixed sizes on some axes."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})


class Layer:
    """Base class of every layer, with Keras's interface.

    Subclasses validate their arguments in ``__init__``, create weights in ``build(input_shape)``
    with :meth:`add_weight`, compute in ``call(inputs, training=False)`` with ops, and say how
    shapes change in ``compute_output_shape``. Shapes include the batch axis as ``None``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the class name in snake case, numbered.
        dtype: the dtype of weights and outputs, ``"float32"`` by default.
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype=None,
        input_shape=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(kwargs)}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, received {name!r}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = numpy.dtype(dtype or "float32").name
        self._trainable = bool(trainable)
        self.built = False
        self.input_spec: InputSpec | None = None
        self._weights: list[Tensor] = []
        self._trainable_flags: list[bool] = []
        self._initializers: list = []
        self._regularized: list[tuple[Tensor, object]] = []
        self._constraints: list[tuple[Tensor, object]] = []
        self.activity_regularizer = None
        self.losses: list[Tensor] = []
        # Keras 2 style `Conv2D(..., input_shape=(28, 28, 1))` on the first layer of a Sequential.
        self._declared_input_shape = None if input_shape is None else tuple(input_shape)
        self.input_shape = None
        self.output_shape = None

    # ----- weights -----
    def add_weight(
        self,
        name: str,
        shape,
        initializer="glorot_uniform",
        dtype=None,
        trainable: bool = True,
        regularizer=None,
        constraint=None,
    ) -> Tensor:
        """Create a weight, initialised, registered for training, saving and summary."""
        from .. import constraints, initializers, regularizers

        initializer = initializers.get(initializer)
        values = initializer(tuple(shape), dtype=dtype or self.dtype)
        weight = Tensor(
            values, requires_grad=trainable and self._trainable, name=f"{self.name}/{name}"
        )
        self._weights.append(weight)
        self._initializers.append(initializer)
        self._trainable_flags.append(bool(trainable))
        if regularizer is not None:
            self._regularized.append((weight, regularizers.get(regularizer)))
        if constraint is not None:
            self._constraints.append((weight, constraints.get(constraint)))
        return weight

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for weight, flag in zip(self._weights, self._trainable_flags):
            weight.requires_grad = flag and self._trainable

    @property
    def weights(self) -> list[Tensor]:
        """Trainable weights first, then the rest, as Keras orders ``layer.weights``."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Tensor]:
        if not self._trainable:
            return []
        return [w for w, flag in zip(self._weights, self._trainable_flags) if flag]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        if not self._trainable:
            return list(self._weights)
        return [w for w, flag in zip(self._weights, self._trainable_flags) if not flag]

    def count_params(self) -> int:
        return int(sum(w.size for w in self._weights))

    def get_weights(self) -> list[numpy.ndarray]:
        """The weights' values as NumPy arrays, in creation order (Keras's order)."""
        return [backend.to_numpy(w.data).copy() for w in self._weights]

    def set_weights(self, values) -> None:
        """Set every weight from a list of arrays, in :meth:`get_weights` order.

        Raises:
            ValueError: naming the layer, the weight and both shapes on any mismatch.
        """
        values = list(values)
        if len(values) != len(self._weights):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected {len(self._weights)} weight '
                f"arrays, received {len(values)}."
            )
        for weight, value in zip(self._weights, values):
            value = backend.to_numpy(value)
            if value.shape != weight.shape:
                raise ValueError(
                    f'{type(self).__name__} "{self.name}": weight "{weight.name}" has shape '
                    f"{weight.shape}, received an array of shape {value.shape}."
                )
            weight.data[...] = backend.xp.asarray(value, dtype=weight.dtype)

    def reset_weights(self, seed=None) -> None:
        """Draw every weight again from its own initializer.

        Args:
            seed: an int or a ``numpy.random.Generator``: the draws then reproduce exactly
                (randomness stays explicit: no global seed is involved).
        """
        from ..initializers import RandomInitializer

        rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
        for weight, initializer in zip(self._weights, self._initializers):
            if isinstance(initializer, RandomInitializer):
                initializer = type(initializer).from_config(
                    {**initializer.get_config(), "seed": rng}
                )
            weight.data[...] = initializer(weight.shape, dtype=weight.dtype)

    def apply_constraints(self) -> None:
        """Project constrained weights after an optimizer step (Keras applies them then)."""
        for weight, constraint in self._constraints:
            weight.data[...] = constraint(weight.data)

    def regularization_losses(self) -> list[Tensor]:
        """Penalties of this layer's weights, recomputed for the current values."""
        return [regularizer(weight) for weight, regularizer in self._regularized]

    # ----- building and calling -----
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, as None)."""
        self.built = True

    def call(self, inputs, training: bool = False):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def __call__(self, inputs, training=None):
        if any(isinstance(t, KerasTensor) for t in _flat(inputs)):
            return self.symbolic_call(inputs)
        inputs = (
            [as_tensor(t) for t in inputs]
            if isinstance(inputs, (list, tuple))
            else as_tensor(inputs)
        )
        shapes = [t.shape for t in inputs] if isinstance(inputs, list) else inputs.shape
        self.ensure_built(_batchless(shapes))
        self.check_input_shape(shapes)
        outputs = self.call(inputs, training=bool(training))
        if self.activity_regularizer is not None:
            self.losses = [self.activity_regularizer(outputs)]
        return outputs

    def symbolic_call(self, inputs) -> KerasTensor:
        """Build for the symbolic inputs' shapes and record the call as a graph node.

        Raises:
            ValueError: the layer's own shape error, followed by the layers that produced the
                inputs and their output shapes: the mismatch is between the two.
        """
        is_list = isinstance(inputs, (list, tuple))
        symbols = list(inputs) if is_list else [inputs]
        shapes = [s.shape for s in symbols] if is_list else symbols[0].shape
        try:
            self.ensure_built(shapes)
            self.check_input_shape(shapes)
            output_shape = self.compute_output_shape(shapes)
        except ValueError as error:
            sources = ", ".join(
                f'{type(s.node.layer).__name__} "{s.node.layer.name}" '
                f"(output shape {format_shape(s.shape)})"
                for s in symbols
                if s.node is not None and not s.node.is_input
            )
            if not sources:
                raise
            raise ValueError(f"{error} The input comes from {sources}.") from None
        output = KerasTensor(output_shape, self.dtype, name=self.name)
        output.node = Node(self, symbols, [output], takes_list=is_list)
        return output

    def ensure_built(self, input_shape) -> None:
        """Build once, for ``input_shape`` with the batch axis as None."""
        if not self.built:
            self.check_input_shape(input_shape)
            self.build(input_shape)
            self.built = True
            self.input_shape = input_shape
            self.output_shape = self.compute_output_shape(input_shape)

    def check_input_shape(self, shape) -> None:
        """Raise a ValueError naming this layer, what it expects and the shape it received."""
        spec = self.input_spec
        if spec is None or isinstance(shape, list):
            return
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise self.shape_error(f"a {spec.ndim}-D input", shape)
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise self.shape_error(f"an input of rank {spec.min_ndim} or more", shape)
        for axis, size in spec.axes.items():
            if shape[axis] is not None and shape[axis] != size:
                raise self.shape_error(f"input with {size} channels on axis {axis}", shape)

    def positive_ints(self, value, rank: int, name: str) -> tuple[int, ...]:
        """``value`` (an int or a tuple of ``rank`` ints) as a tuple of positive ints.

        Raises:
            ValueError: naming this layer and the argument ``name``.
        """
        values = (value,) * rank if isinstance(value, int) else tuple(value)
        if len(values) != rank or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
        ):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": {name} must be a positive int '
                f"or a tuple of {rank} positive ints, received {value!r}."
            )
        return values

    def shape_error(self, expected: str, shape) -> ValueError:
        """The one format of every shape error: layer, expected, received."""
        return ValueError(
            f'{type(self).__name__} "{self.name}": expected {expected}, '
            f"received shape {format_shape(shape)}."
        )

    # ----- configuration -----
    def get_config(self) -> dict:
        """The constructor arguments, JSON-serialisable, so ``from_config`` rebuilds the layer."""
        return {"name": self.name, "trainable": self._trainable, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _flat(inputs):
    return inputs if isinstance(inputs, (list, tuple)) else [inputs]


def _batchless(shapes):
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])
