"""The Layer base class: weights, sublayers, build-on-first-call, the call contract, configuration.

A layer owns its weights and calls pure ops from ``convlens.ops``; the math lives there. The
contract is Keras 3's, so users' own layers work unchanged:

- ``__init__`` passes ``**kwargs`` on; ``build(input_shape)`` creates weights with
  :meth:`Layer.add_weight` (name optional); ``call(self, inputs)`` computes, and receives
  ``training`` (and further keyword arguments) only when its signature names them. Called inside
  another layer or model without ``training``, a layer inherits the caller's value (Keras's
  call context), so ``self.dropout(x)`` in a model's ``call`` trains when ``fit`` trains.
- Layers and lists of layers assigned as attributes are sublayers: their weights, losses and
  ``trainable`` flag are the owner's too (Keras's automatic tracking).
- ``add_loss(value)`` during ``call`` adds a term to the training loss; ``losses`` lists those of
  the last call, of every sublayer, and the weight penalties.
- ``compute_output_shape`` need not be written: by default the shape is found by running ``call``
  on zeros once (Keras traces ``call`` symbolically for the same purpose).

Called on a symbolic :class:`~convlens.layers.symbolic.KerasTensor` (from ``Input``), a layer
records a node of a functional graph instead of computing (:meth:`Layer.symbolic_call`); the
first such call gives the layer its ``input`` and ``output``.

Weights, sublayers and losses live in weights.py (:class:`TrackedWeights`, Layer's base); the
call context and the signature rules in call_rules.py.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy

from .. import backend, config
from ..registry import snake_case
from ..tensor import Tensor, as_tensor, no_grad
from .argument_checks import ArgumentChecks
from .call_rules import (
    batchless,
    call_arguments,
    call_context,
    flat,
    is_shape,
    merge_traced,
    positional_arguments,
    shape_list,
    shapes_of,
)
from .symbolic import KerasTensor, Node, format_shape, replace_symbols, symbols_in
from .weights import TrackedWeights

_name_counters: dict[str, itertools.count] = defaultdict(itertools.count)
backend.on_clear_session(_name_counters.clear)  # keras.backend.clear_session(): names restart


def unique_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``... as Keras names layers."""
    n = next(_name_counters[prefix])
    return prefix if n == 0 else f"{prefix}_{n}"


class InputSpec:
    """What a layer accepts: a rank (``ndim``/``min_ndim``) and fixed sizes on some axes."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None, axes=None, **kwargs):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})


class Layer(ArgumentChecks, TrackedWeights):
    """Base class of every layer, with Keras 3's interface.

    Subclasses validate their arguments in ``__init__``, create weights in ``build(input_shape)``
    with :meth:`add_weight`, compute in ``call(inputs)`` with ops, and may say how shapes change
    in ``compute_output_shape``. Shapes include the batch axis as ``None``.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; by default the class name in snake case, numbered.
        dtype: the dtype of weights and computations, ``config.floatx()`` (float32) by default;
            floating inputs are cast to it (Keras's autocast).
        activity_regularizer: a penalty on the layer's outputs, added to the loss.
        input_shape, input_dim, batch_input_shape: Keras 2 habits on a Sequential's first
            layer, meaning ``layers.Input(shape)`` before it.
    """

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype=None,
        input_shape=None,
        activity_regularizer=None,
        autocast: bool = True,
        input_dim=None,
        batch_input_shape=None,
        batch_size=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(kwargs)}.")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, received {name!r}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype = _dtype_name(dtype, self)
        self.autocast = bool(autocast)
        self._trainable = self.boolean(trainable, "trainable")
        self.built = False
        self.input_spec: InputSpec | None = None
        self._weights: list[Tensor] = []
        self._trainable_flags: list[bool] = []
        self._initializers: list = []
        self._regularized: list[tuple[Tensor, object]] = []
        self._constraints: list[tuple[Tensor, object]] = []
        self._losses: list = []
        self._inbound_nodes: list[Node] = []
        self._weight_names = itertools.count()
        if activity_regularizer is not None:
            from .. import regularizers

            activity_regularizer = regularizers.get(activity_regularizer)
        self.activity_regularizer = activity_regularizer
        # Keras 2 style `Conv2D(..., input_shape=(28, 28, 1))` on the first layer of a Sequential.
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        accepted = "a tuple of sizes (None for any)"
        if input_shape is None and batch_input_shape is not None:
            input_shape = self.sequence(batch_input_shape, "batch_input_shape", accepted)[1:]
        if input_shape is not None:
            input_shape = self.int_tuple(input_shape, "input_shape", accepted, allow_none=True)
        self._declared_input_shape = input_shape
        self.input_shape = None
        self.output_shape = None

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations (Keras's name; one dtype per layer here)."""
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights (Keras's name; one dtype per layer here)."""
        return self.dtype

    # ----- building and calling -----
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included, as None)."""
        self.built = True

    def call(self, inputs, training: bool = False):
        raise NotImplementedError(
            f"{type(self).__name__} must define call(self, inputs) to be called on data."
        )

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``: by default found by running ``call`` once on
        zeros (free sizes other than the batch stay None), so users' layers need not say it."""
        return self._traced_output_shape(input_shape)

    def __call__(self, inputs, *args, **kwargs):
        """Compute on data, or record a graph node when the inputs are symbolic.

        ``training`` (and ``mask``) reach ``call`` only when its signature names them or takes
        ``**kwargs``; without an explicit value the caller's is inherited (False at top level).
        Floating inputs are cast to the layer's dtype (``autocast``), as Keras does.
        """
        if any(isinstance(t, KerasTensor) for t in flat(inputs)):
            return self.symbolic_call(inputs, *args, **kwargs)
        inputs = self._convert_inputs(inputs)
        shapes = shapes_of(inputs)
        self.ensure_built(batchless(shapes))
        self.check_input_shape(shapes)
        return self._call_in_context(inputs, args, kwargs)

    def _convert_inputs(self, inputs):
        """Tensors for ``call``; floats cast to this layer's dtype when ``autocast`` is on."""
        if isinstance(inputs, dict):
            return {key: self._convert_inputs(value) for key, value in inputs.items()}
        if isinstance(inputs, (list, tuple)):
            return [self._convert_inputs(value) for value in inputs]
        tensor = as_tensor(inputs)
        if self.autocast and tensor.dtype.kind == "f" and tensor.dtype != self.dtype:
            from ..ops.dtype_cast import cast_float

            tensor = cast_float(tensor, self.dtype)
        return tensor

    def _call_in_context(self, inputs, args, kwargs):
        """Run ``call`` with the resolved ``training`` flag; the outermost call clears the
        previous call's ``add_loss`` terms (Keras's entry-layer rule)."""
        training = kwargs.pop("training", None)
        positional = positional_arguments(type(self))[: len(args)]
        if "training" in positional:  # layer(x, True): call's own positional training
            training = args[positional.index("training")]
        depth = getattr(call_context, "depth", 0)
        outer_training = getattr(call_context, "training", None) if depth else None
        if training is None:
            training = outer_training  # None at top level: each call's own default applies
        accepted = call_arguments(type(self))
        if "training" in accepted and "training" not in positional and training is not None:
            kwargs["training"] = bool(training)
        if kwargs.get("mask", 0) is None and "mask" not in accepted:
            kwargs.pop("mask")
        if depth == 0:
            self._clear_losses()
        call_context.depth, call_context.training = depth + 1, training
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            call_context.depth, call_context.training = depth, outer_training
        if self.output_shape is None:  # a layer that never had to compute it: read it here
            self.output_shape = batchless(
                [o.shape for o in outputs] if isinstance(outputs, (list, tuple)) else outputs.shape
            )
        if self.activity_regularizer is not None:
            for output in flat(outputs):
                if isinstance(output, Tensor):
                    self.add_loss(self.activity_regularizer(output))
        return outputs

    def symbolic_call(self, inputs, *args, **kwargs):
        """Build for the symbolic inputs' shapes and record the call as a graph node.

        Keyword arguments (``training=False`` on a base model, say) are kept on the node and
        given again each time the graph runs.

        Raises:
            ValueError: the layer's own shape error, followed by the layers that produced the
                inputs and their output shapes: the mismatch is between the two.
        """
        is_list = isinstance(inputs, (list, tuple))
        symbols = list(inputs) if is_list else [inputs]
        shapes = [s.shape for s in symbols] if is_list else symbols[0].shape
        extra = symbols_in((args, kwargs))
        try:
            self.ensure_built(shapes)
            self.check_input_shape(shapes)
            if extra and type(self).compute_output_shape is Layer.compute_output_shape:
                output_shape = self._traced_output_shape(shapes, args, kwargs)
            else:
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
        several = not is_shape(output_shape)
        outputs = [
            KerasTensor(shape, self.dtype, name=self.name)
            for shape in (output_shape if several else [output_shape])
        ]
        node = Node(self, symbols, outputs, takes_list=is_list, args=args, kwargs=kwargs)
        for output in outputs:
            output.node = node
        return outputs if several else outputs[0]

    def _traced_output_shape(self, input_shape, args=(), kwargs=None):
        """Run ``call`` on zeros of ``input_shape`` (batch of 1) and read the output's shape;
        symbolic tensors among ``args``/``kwargs`` become zeros of their shapes too.

        A free size (None) is tried at two values; an output size that follows it is None.
        """
        kwargs = kwargs or {}
        extra = [s.shape for s in symbols_in((args, kwargs))]
        free = any(d is None for shape in shape_list(input_shape) + extra for d in shape[1:])
        first = self._trace(input_shape, 7, args, kwargs)
        if not free:
            return first
        second = self._trace(input_shape, 9, args, kwargs)
        return merge_traced(first, second)

    def _trace(self, input_shape, free_size: int, args=(), kwargs=None):
        def zeros(shape):
            size = [1] + [free_size if d is None else d for d in shape[1:]]
            return Tensor(backend.xp.zeros(size, dtype=self.dtype))

        shapes = shape_list(input_shape)
        inputs = [zeros(s) for s in shapes] if isinstance(input_shape, list) else zeros(shapes[0])
        stand_ins = {id(s): zeros(s.shape) for s in symbols_in((args, kwargs or {}))}
        args = replace_symbols(tuple(args), stand_ins)
        kwargs = replace_symbols(dict(kwargs or {}), stand_ins)
        with no_grad():
            outputs = self._call_in_context(inputs, args, {"training": False, **kwargs})
        if isinstance(outputs, (list, tuple)):
            return [(None,) + tuple(o.shape[1:]) for o in outputs]
        return (None,) + tuple(outputs.shape[1:])

    # ----- the graph: where the layer was called symbolically -----
    @property
    def input(self):
        """The symbolic input(s) of the layer's first call on symbolic tensors (Keras's rule).

        Raises:
            AttributeError: when the layer was never called on symbolic inputs.
        """
        return self._node_attribute("inputs", "input")

    @property
    def output(self):
        """The symbolic output(s) of the layer's first call on symbolic tensors.

        ``Model(inputs=m.inputs, outputs=[l.output for l in m.layers])`` is built from these:
        a model that returns every layer's feature maps.

        Raises:
            AttributeError: when the layer was never called on symbolic inputs.
        """
        return self._node_attribute("outputs", "output")

    def _node_attribute(self, attribute, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f'{type(self).__name__} "{self.name}" has never been called on symbolic inputs '
                f"(layers.Input), so it has no {what}."
            )
        values = getattr(self._inbound_nodes[0], attribute)
        return values[0] if len(values) == 1 else list(values)

    def ensure_built(self, input_shape) -> None:
        """Build once, for ``input_shape`` with the batch axis as None."""
        if not self.built:
            self.check_input_shape(input_shape)
            self.build(input_shape)
            self.built = True
            self.input_shape = input_shape
            if type(self).compute_output_shape is not Layer.compute_output_shape:
                self.output_shape = self.compute_output_shape(input_shape)  # else on first need

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


def _dtype_name(dtype, layer) -> str:
    """A dtype name from a name, a NumPy dtype or Keras's DTypePolicy (object or dict)."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, dict):  # {"class_name": "DTypePolicy", "config": {"name": "float32"}}
        dtype = (dtype.get("config") or {}).get("name")
    dtype = getattr(dtype, "name", dtype)
    try:
        return numpy.dtype(dtype).name
    except TypeError:
        raise ValueError(
            f'{type(layer).__name__}: dtype must be a dtype name such as "float32", '
            f"received {dtype!r}."
        ) from None
