"""``Input`` and the layer behind it, ``InputLayer``: where a functional graph starts."""

from __future__ import annotations

import numpy

from .layer import Layer
from .symbolic import KerasTensor, Node


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
        output = KerasTensor(self.output_shape, self.dtype, name=self.name)
        output.node = Node(self, [], [output])  # registers itself: self.output is now output

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
