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
        inbound = getattr(layer, "_inbound_nodes", None)
        if inbound is not None:
            inbound.append(self)

    @property
    def is_input(self) -> bool:
        """Whether this node starts the graph (an ``Input``): it has no inputs (Keras's rule)."""
        return not self.inputs


class KerasTensor:
    """A placeholder with a shape (batch axis ``None``) and the node that produced it."""

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
