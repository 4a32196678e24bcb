"""Symbolic tensors for the functional API: ``Input`` starts a graph, layers extend it.

A :class:`KerasTensor` holds only a shape and the node that produced it; a functional
``Model(inputs, outputs)`` walks these nodes back from its outputs to find its layers.
"""

from __future__ import annotations

import numpy

from .layer import Layer, format_shape


class Node:
    """One call of a layer in a graph: the layer, its symbolic inputs and outputs."""

    def __init__(
        self,
        layer: Layer,
        inputs: list[KerasTensor],
        outputs: list[KerasTensor],
        takes_list: bool = False,
    ):
        self.layer, self.inputs, self.outputs = layer, inputs, outputs
        self.takes_list = takes_list  # whether the layer was called on a list (Add, Concatenate)


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


def symbolic_call(layer: Layer, inputs):
    """Build ``layer`` for the inputs' shapes and record the call as a graph node."""
    is_list = isinstance(inputs, (list, tuple))
    symbols = list(inputs) if is_list else [inputs]
    shapes = [s.shape for s in symbols] if is_list else symbols[0].shape
    try:
        layer.ensure_built(shapes)
        layer.check_input_shape(shapes)
        output_shape = layer.compute_output_shape(shapes)
    except ValueError as error:
        # Name the layers that produced the inputs too: the mismatch is between the two.
        sources = ", ".join(
            f'{type(s.node.layer).__name__} "{s.node.layer.name}" '
            f"(output shape {format_shape(s.shape)})"
            for s in symbols
            if s.node is not None and not isinstance(s.node.layer, InputLayer)
        )
        if not sources:
            raise
        raise ValueError(f"{error} The input comes from {sources}.") from None
    output = KerasTensor(output_shape, layer.dtype, name=layer.name)
    output.node = Node(layer, symbols, [output], takes_list=is_list)
    return output


class InputLayer(Layer):
    """The layer behind ``Input``: it holds the shape and passes data through unchanged."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is None or any(d is not None and (not isinstance(d, int) or d < 0) for d in shape):
            raise ValueError(
                f'InputLayer "{self.name}": shape must be a tuple of sizes, received {shape!r}.'
            )
        self.shape = tuple(shape)
        self.batch_size = batch_size
        self.built = True
        self.input_shape = self.output_shape = (batch_size,) + self.shape
        self.output = KerasTensor(self.output_shape, self.dtype, name=self.name)
        self.output.node = Node(self, [], [self.output])

    def call(self, inputs, training=False):
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("trainable")
        return {**config, "shape": list(self.shape), "batch_size": self.batch_size}


def Input(shape, batch_size=None, dtype=None, name=None) -> KerasTensor:  # noqa: N802 - Keras name
    """The start of a model: a symbolic tensor of ``shape`` (without the batch axis).

    Args:
        shape: the shape of one sample, e.g. ``(28, 28, 1)``; ``None`` for a free size.
        batch_size: an optional fixed batch size.
        dtype: the input dtype, ``"float32"`` by default.
        name: an optional name.

    Example:
        >>> from convlens import layers
        >>> layers.Input((28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    if isinstance(shape, int):
        shape = (shape,)
    dtype = numpy.dtype(dtype or "float32").name
    return InputLayer(shape=tuple(shape), batch_size=batch_size, dtype=dtype, name=name).output
