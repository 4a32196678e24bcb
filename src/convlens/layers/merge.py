"""The layers that join branches (residual connections, Inception blocks, Siamese networks):
Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, and Keras's functional helpers
``add([a, b])``, ``concatenate([a, b], axis=-1)``... that build the layer and call it at once.

The elementwise merges broadcast as Keras's ``Merge`` does: the batch sizes must agree; the other
axes align from the right, and a size 1 (or an input of lower rank, whose missing axes follow the
batch axis) stretches to the other input's size.
"""

from __future__ import annotations

import functools

from .. import ops
from .layer import Layer
from .symbolic import format_shape


class _Merge(Layer):
    """A layer of a list of inputs, combined elementwise by ``merge(list_of_tensors)``."""

    min_inputs = 1

    def check_inputs(self, shapes):
        """Raise a ValueError naming this layer unless ``shapes`` is a long enough list."""
        if not isinstance(shapes, list) or not all(isinstance(s, tuple) for s in shapes):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected to be called on a list of '
                f"inputs, received input shape {shapes!r}."
            )
        if len(shapes) < self.min_inputs:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected a list of at least '
                f"{self.min_inputs} inputs, received {len(shapes)}."
            )

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def checked(self, inputs):
        """``inputs`` after the checks of :meth:`compute_output_shape` (batch sizes too)."""
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": expected a list of inputs, received a '
                f"single tensor of shape {format_shape(inputs.shape)}."
            )
        self.compute_output_shape([tuple(t.shape) for t in inputs])
        return inputs

    def call(self, inputs, training=False):
        inputs = self.checked(inputs)
        rank = max(t.ndim for t in inputs)
        # Keras's rule for inputs of lower rank: new axes go right after the batch axis.
        aligned = [
            ops.reshape(t, t.shape[:1] + (1,) * (rank - t.ndim) + t.shape[1:]) for t in inputs
        ]
        return self.merge(aligned)

    def merge(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        self.check_inputs(input_shape)
        batches = {s[0] for s in input_shape if s and s[0] is not None}
        if len(batches) > 1:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": cannot merge inputs of different batch '
                f"sizes, received shapes {', '.join(format_shape(s) for s in input_shape)}."
            )
        result = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            result = self._broadcast(result, tuple(shape[1:]), input_shape)
        return (batches.pop() if batches else None,) + result

    def _broadcast(self, a, b, input_shape):
        """The shape of an elementwise result of per-sample shapes ``a`` and ``b``."""
        if len(a) < len(b):
            a, b = b, a
        head, tail = list(a[: len(a) - len(b)]), a[len(a) - len(b) :]
        for i, j in zip(tail, b):
            if i is None or j is None:
                head.append(None)
            elif i == 1 or j == 1 or i == j:
                head.append(j if i == 1 else i)
            else:
                raise ValueError(
                    f'{type(self).__name__} "{self.name}": inputs of shapes '
                    f"{', '.join(format_shape(s) for s in input_shape)} do not broadcast "
                    "together; each axis must agree or be 1."
                )
        return tuple(head)


class Add(_Merge):
    """The elementwise sum of a list of inputs (broadcasting as Keras).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> float(layers.Add()([np.ones((2, 3)), np.ones((2, 3))]).numpy().sum())
        12.0
    """

    def merge(self, inputs):
        return functools.reduce(ops.add, inputs)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``, for a list of exactly two inputs.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Subtract()([np.full((1, 2), 3.0), np.ones((1, 2))]).numpy().tolist()
        [[2.0, 2.0]]
    """

    min_inputs = 2

    def check_inputs(self, shapes):
        super().check_inputs(shapes)
        if len(shapes) != 2:
            raise ValueError(
                f'Subtract "{self.name}": expected exactly 2 inputs, received {len(shapes)}.'
            )

    def merge(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    """The elementwise product of a list of inputs (attention gates, feature weighting)."""

    def merge(self, inputs):
        return functools.reduce(ops.multiply, inputs)


class Average(_Merge):
    """The elementwise mean of a list of inputs (ensembles)."""

    def merge(self, inputs):
        return ops.divide(functools.reduce(ops.add, inputs), float(len(inputs)))


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs."""

    def merge(self, inputs):
        return functools.reduce(ops.maximum, inputs)


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs."""

    def merge(self, inputs):
        return functools.reduce(ops.minimum, inputs)


class Concatenate(_Merge):
    """Join a list of inputs along ``axis`` (the channels, -1, by default): the other axes must
    agree (an unknown size agrees with any)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f'Concatenate "{self.name}": axis must be an int, received {axis!r}.')
        self.axis = axis

    def call(self, inputs, training=False):
        return ops.concatenate(self.checked(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        self.check_inputs(input_shape)
        rank = len(input_shape[0])
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Concatenate "{self.name}": axis {self.axis} is out of range for inputs of '
                f"shape {format_shape(input_shape[0])}."
            )
        axis = self.axis % rank
        for shape in input_shape[1:]:
            if len(shape) != rank or any(
                a is not None and b is not None and a != b
                for i, (a, b) in enumerate(zip(input_shape[0], shape))
                if i != axis
            ):
                raise ValueError(
                    f'Concatenate "{self.name}": inputs of shapes {format_shape(input_shape[0])} '
                    f"and {format_shape(shape)} differ off axis {self.axis}; all axes but the "
                    "joined one must agree."
                )
        merged = [next((s[i] for s in input_shape if s[i] is not None), None) for i in range(rank)]
        sizes = [s[axis] for s in input_shape]
        merged[axis] = None if None in sizes else sum(sizes)
        return tuple(merged)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``: Keras's functional form (a residual ``add([x, shortcut])``)."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)`` for a list of two inputs."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``.

    Example:
        >>> from convlens import layers
        >>> layers.concatenate([layers.Input((4, 4, 3)), layers.Input((4, 4, 5))]).shape
        (None, 4, 4, 8)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
