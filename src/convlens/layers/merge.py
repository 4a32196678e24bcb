"""Add and Concatenate: the layers that join branches (residual connections, Inception blocks)."""

from __future__ import annotations

import functools

from .. import ops
from .layer import Layer
from .symbolic import format_shape


class _Merge(Layer):
    """A layer of several inputs; checks that it received a list of at least two."""

    def check_inputs(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected a list of at least 2 inputs, '
                f"received {shapes!r}."
            )


class Add(_Merge):
    """The elementwise sum of a list of inputs of one shape (broadcasting allowed).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> float(layers.Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy().sum())
        12.0
    """

    def build(self, input_shape):
        self.check_inputs(input_shape)
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        return functools.reduce(ops.add, inputs)

    def compute_output_shape(self, input_shape):
        self.check_inputs(input_shape)
        result = tuple(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != len(result) or any(
                a is not None and b is not None and a != b and 1 not in (a, b)
                for a, b in zip(result, shape)
            ):
                raise ValueError(
                    f'Add "{self.name}": inputs of shapes {format_shape(result)} and '
                    f"{format_shape(shape)} cannot be added."
                )
            result = tuple(a if b in (1, None) else b for a, b in zip(result, shape))
        return result


class Concatenate(_Merge):
    """Join a list of inputs along ``axis`` (the channels, -1, by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        self.check_inputs(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        for shape in input_shape[1:]:
            if len(shape) != rank or any(
                a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(input_shape[0], shape))
                if i != axis
            ):
                raise ValueError(
                    f'Concatenate "{self.name}": inputs of shapes {format_shape(input_shape[0])} '
                    f"and {format_shape(shape)} differ off axis {self.axis}."
                )
        sizes = [s[axis] for s in input_shape]
        joined = None if any(s is None for s in sizes) else sum(sizes)
        return tuple(input_shape[0][:axis]) + (joined,) + tuple(input_shape[0][axis + 1 :])

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
