"""DepthwiseConv2D and SeparableConv2D on BaseConv, with Keras's signatures and weight layouts.

Both convolve each input channel with kernels of its own (``depth_multiplier`` of them); the
separable one then mixes the channels with a 1×1 pointwise kernel. Their kernel options are
named ``depthwise_*`` and ``pointwise_*``, as in Keras.
"""

from __future__ import annotations

from .. import ops
from .base_conv import BaseConv
from .core import weight_options
from .layer import InputSpec


def _depthwise_plan(layer, kernel, batch_size):
    """The plan of a depthwise convolution by ``kernel`` (KH, KW, C, M): a conv2d with groups C
    and the kernel seen as (KH, KW, 1, C·M), as ops.depthwise_conv2d computes it."""
    if layer.input_shape is None:
        return None
    KH, KW, C, M = kernel.shape
    shape = (batch_size, *layer.input_shape[1:])
    options = dict(groups=C, dtype=kernel.dtype, **layer.op_options())
    return ops.conv2d_plan(shape, (KH, KW, 1, C * M), **options)


def _check_multiplier(layer, depth_multiplier):
    if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError(
            f'{type(layer).__name__} "{layer.name}": depth_multiplier must be a '
            f"positive int, received {depth_multiplier!r}."
        )
    return depth_multiplier


class DepthwiseConv2D(BaseConv):
    """One kernel per input channel (``depth_multiplier`` of them), channels never mixed.

    Kernel layout ``(KH, KW, C_in, depth_multiplier)``; the output has
    ``C_in * depth_multiplier`` channels.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.DepthwiseConv2D(3, depth_multiplier=2)(np.zeros((1, 8, 8, 3))).shape
        (1, 6, 6, 6)
    """

    takes_filters = False  # the output channels are the input's times depth_multiplier

    def __init__(
        self,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        padding_mode="zeros",
        **kwargs,
    ):
        super().__init__(
            rank=2,
            filters=None,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=depthwise_initializer,  # the weight is `kernel`, as in Keras
            bias_initializer=bias_initializer,
            kernel_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=depthwise_constraint,
            bias_constraint=bias_constraint,
            padding_mode=padding_mode,
            **kwargs,
        )
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.depthwise_constraint = depthwise_constraint

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.output_spatial(input_shape)
        shape = self.kernel_size + (channels, self.depth_multiplier)
        self.kernel = self.add_kernel("kernel", shape)
        self.add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        return self.finish(
            ops.depthwise_conv2d(inputs, self.kernel, self.bias, **self.op_options())
        )

    def conv_plan(self, batch_size: int = 32):
        """The plan of the grouped convolution this layer is (one input channel per group)."""
        return _depthwise_plan(self, self.kernel, batch_size)

    def compute_output_shape(self, input_shape):
        channels = input_shape[self.channel_axis]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self.with_spatial(input_shape, self.output_spatial(input_shape), out_channels)

    def kernel_config(self):
        return {"depth_multiplier": self.depth_multiplier, **weight_options(self, "depthwise")}


class SeparableConv2D(BaseConv):
    """A depthwise convolution followed by a 1×1 pointwise one that mixes the channels:
    far fewer weights than a full Conv2D of the same size.

    Kernels ``depthwise_kernel`` ``(KH, KW, C_in, depth_multiplier)`` and ``pointwise_kernel``
    ``(1, 1, C_in * depth_multiplier, filters)``; strides, padding and dilation apply to the
    depthwise step.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.SeparableConv2D(5, 3, padding="same")(np.zeros((1, 8, 8, 3))).shape
        (1, 8, 8, 5)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        padding_mode="zeros",
        **kwargs,
    ):
        super().__init__(
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=None,  # no weight is named `kernel`: see depthwise_*, pointwise_*
            bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint,
            padding_mode=padding_mode,
            **kwargs,
        )
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.output_spatial(input_shape)
        depthwise_shape = self.kernel_size + (channels, self.depth_multiplier)
        pointwise_shape = (1, 1, channels * self.depth_multiplier, self.filters)
        self.depthwise_kernel = self.add_kernel("depthwise_kernel", depthwise_shape, "depthwise")
        self.pointwise_kernel = self.add_kernel("pointwise_kernel", pointwise_shape, "pointwise")
        self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        return self.finish(
            ops.separable_conv2d(
                inputs, self.depthwise_kernel, self.pointwise_kernel, self.bias, **self.op_options()
            )
        )

    def conv_plan(self, batch_size: int = 32):
        """The plan of the depthwise step, which does the spatial work (the 1×1 pointwise step
        after it is one matrix product)."""
        return _depthwise_plan(self, self.depthwise_kernel, batch_size)

    def kernel_config(self):
        return {
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            **weight_options(self, "depthwise", "pointwise"),
        }
