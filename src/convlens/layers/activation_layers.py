"""ReLU, LeakyReLU, Softmax, ELU and PReLU as layers, with Keras's arguments."""

from __future__ import annotations

from .. import ops
from .core import weight_options
from .layer import InputSpec, Layer


class ReLU(Layer):
    """``max(x, 0)``, with Keras's options: a cap, a slope below the threshold, a threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = self.number(max_value, "max_value", minimum=0, allow_none=True)
        self.negative_slope = self.number(negative_slope, "negative_slope", minimum=0)
        self.threshold = self.number(threshold, "threshold")

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
        self.negative_slope = self.number(negative_slope, "negative_slope", minimum=0)

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


class ELU(Layer):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (Clevert et al., 2016).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.ELU()(np.array([[1.0, 0.0]])).numpy().tolist()
        [[1.0, 0.0]]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise ValueError(f'ELU "{self.name}": alpha must be a number, received {alpha!r}.')
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return ops.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """A leaky ReLU whose slopes are learned (He et al., 2015): ``x`` for ``x >= 0``, else
    ``alpha * x``, with one ``alpha`` per input value, shared along ``shared_axes``.

    Args:
        alpha_initializer: the slopes' initializer (zeros: the layer starts as a ReLU).
        alpha_regularizer, alpha_constraint: a penalty and a projection for ``alpha``.
        shared_axes: the axes (1 = the first after the batch) sharing one slope, e.g.
            ``[1, 2]`` for one slope per channel of images.

    Example:
        >>> from convlens import layers
        >>> layer = layers.PReLU(shared_axes=[1, 2])
        >>> _ = layer(layers.Input((8, 8, 3)))
        >>> layer.alpha.shape
        (1, 1, 3)
    """

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer, self.alpha_constraint = alpha_regularizer, alpha_constraint
        if shared_axes is not None:
            if isinstance(shared_axes, int):
                shared_axes = [shared_axes]
            shared_axes = list(self.sequence(shared_axes, "shared_axes", "axis numbers >= 1"))
            if not all(
                isinstance(a, int) and not isinstance(a, bool) and a > 0 for a in shared_axes
            ):
                raise ValueError(
                    f'PReLU "{self.name}": shared_axes must be positive axis numbers (1 is the '
                    f"first axis after the batch), received {shared_axes!r}."
                )
        self.shared_axes = shared_axes

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if axis >= len(input_shape):
                raise self.shape_error(f"an input with an axis {axis} to share", input_shape)
            shape[axis - 1] = 1
        if None in shape:
            raise self.shape_error("known sizes on the axes that are not shared", input_shape)
        self.alpha = self.add_weight(
            "alpha",
            tuple(shape),
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(
            ndim=len(input_shape),
            axes={i: n for i, n in enumerate(input_shape) if i > 0 and i not in shared},
        )

    def call(self, inputs, training=False):
        # relu(x) - alpha relu(-x): the gradient reaches alpha where x < 0
        return ops.subtract(ops.relu(inputs), ops.multiply(self.alpha, ops.relu(-inputs)))

    def get_config(self):
        return {
            **super().get_config(),
            **weight_options(self, "alpha"),
            "shared_axes": self.shared_axes,
        }
