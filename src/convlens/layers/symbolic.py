"""Symbolic tensors for the functional API: ``Input`` starts a graph, layers extend it.

A :class:`KerasTensor` holds only a shape and the node that produced it; a functional
``Model(inputs, outputs)`` walks these nodes back from its outputs to find its layers.

This module imports no layer (as Keras's ``backend/common/keras_tensor.py``): a node holds its
layer without knowing its class, so ``layer.py`` can build on it and ``InputLayer`` can live in
``input_layer.py`` without an import circle.
"""

from __future__ import annotations


def format_shape(shape) -> str:
    """``(None, 28, 28, 1)``: the one way every message writes a shape (``(4,)`` for one axis)."""
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + (",)" if len(shape) == 1 else ")")
    )


class Node:
    """One call of a layer in a graph: the layer, its symbolic inputs and outputs, and the
    further arguments of the call (``training=False``...), given again each time it runs.

    A node registers itself with its layer (``layer._inbound_nodes``): the first one gives the
    layer its ``input`` and ``output``, as in Keras.
    """

    def __init__(
        self,
        layer,
        inputs: list[KerasTensor],
        outputs: list[KerasTensor],
        takes_list: bool = False,
        args: tuple = (),
        kwargs: dict | None = None,
    ):
        self.layer, self.inputs, self.outputs = layer, inputs, outputs
        self.takes_list = takes_list  # whether the layer was called on a list (Add, Concatenate)
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        # Symbolic tensors among the further arguments (LogisticEndpoint()(targets, logits)):
        # the graph depends on them too.
        self.extra_inputs = symbols_in((self.args, self.kwargs))
        inbound = getattr(layer, "_inbound_nodes", None)
        if inbound is not None:
            inbound.append(self)

    @property
    def is_input(self) -> bool:
        """Whether this node starts the graph (an ``Input``): it has no inputs (Keras's rule)."""
        return not self.inputs


def symbols_in(value) -> list:
    """The symbolic tensors inside ``value`` (nested lists, tuples and dicts), in order."""
    if isinstance(value, KerasTensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [symbol for item in value for symbol in symbols_in(item)]
    return []


def replace_symbols(value, values: dict):
    """``value`` with each symbolic tensor replaced by ``values[id(tensor)]``."""
    if isinstance(value, KerasTensor):
        return values[id(value)]
    if isinstance(value, dict):
        return {key: replace_symbols(item, values) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(replace_symbols(item, values) for item in value)
    return value


_operation_factory = None  # layers/operation.py's apply_operation, set when layers/ loads


def set_operation_factory(factory) -> None:
    """How ops on symbolic tensors become graph nodes (layers/operation.py registers it, so
    this module needs no layer import)."""
    global _operation_factory
    _operation_factory = factory


def apply_operation(op: str, *args, **kwargs):
    """``ops.<op>(*args, **kwargs)`` recorded on symbolic tensors (a graph node)."""
    if _operation_factory is None:
        raise RuntimeError("convlens.layers must be imported to apply ops to symbolic tensors.")
    return _operation_factory(op, args, kwargs)


class KerasTensor:
    """A placeholder with a shape (batch axis ``None``) and the node that produced it.

    Arithmetic, indexing and ``convlens.ops`` functions on it record graph nodes, as Keras's
    functional API allows (``x = inputs / 255.0``).
    """

    _keras_symbolic = True  # read by ops: any op given a symbolic tensor records a node

    @staticmethod
    def record_operation(op: str, *args, **kwargs):
        """``ops.<op>(*args, **kwargs)`` on symbolic tensors, recorded as a graph node."""
        return apply_operation(op, *args, **kwargs)

    def __init__(self, shape, dtype="float32", node: Node | None = None, name: str | None = None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={format_shape(self.shape)}, name={self.name}>"

    def __add__(self, other):
        return apply_operation("add", self, other)

    def __radd__(self, other):
        return apply_operation("add", other, self)

    def __sub__(self, other):
        return apply_operation("subtract", self, other)

    def __rsub__(self, other):
        return apply_operation("subtract", other, self)

    def __mul__(self, other):
        return apply_operation("multiply", self, other)

    def __rmul__(self, other):
        return apply_operation("multiply", other, self)

    def __truediv__(self, other):
        return apply_operation("divide", self, other)

    def __rtruediv__(self, other):
        return apply_operation("divide", other, self)

    def __pow__(self, other):
        return apply_operation("power", self, other)

    def __matmul__(self, other):
        return apply_operation("matmul", self, other)

    def __neg__(self):
        return apply_operation("negative", self)

    def __getitem__(self, index):
        return apply_operation("getitem", self, index)
