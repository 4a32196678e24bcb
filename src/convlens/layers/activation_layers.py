"""ReLU, LeakyReLU and Softmax as layers, with Keras's arguments."""

from __future__ import annotations

from .. import ops
from .layer import Layer


class ReLU(Layer):
    """``max(x, 0)``, with Keras's options: a cap, a slope below the threshold, a threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f'ReLU "{self.name}": max_value must be >= 0, received {max_value}.')
        if negative_slope < 0:
            raise ValueError(
                f'ReLU "{self.name}": negative_slope must be >= 0, received {negative_slope}.'
            )
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs, training=False):
        if self.negative_slope == 0 and self.threshold == 0:
            outputs = ops.relu(inputs)
        else:
            shifted = inputs - self.threshold
            outputs = ops.where(
                inputs.data >= self.threshold, inputs, shifted * self.negative_slope
            )
        if self.max_value is not None:
            outputs = ops.minimum(outputs, float(self.max_value))
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """``x`` for ``x > 0``, else ``negative_slope * x`` (Keras's layer default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(
                f'LeakyReLU "{self.name}": negative_slope must be >= 0, received {negative_slope}.'
            )
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        return ops.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class Softmax(Layer):
    """Softmax over ``axis`` (the last by default)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, training=False):
        return ops.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
