"""DepthwiseConv2D, SeparableConv2D and Conv2DTranspose, with Keras's weight layouts."""

from __future__ import annotations

from .. import ops
from ..kernels.geometry import conv_transpose_output_size
from .conv import _Conv
from .core import weight_options
from .layer import InputSpec


def _check_multiplier(layer, depth_multiplier):
    if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError(
            f'{type(layer).__name__} "{layer.name}": depth_multiplier must be a '
            f"positive int, received {depth_multiplier!r}."
        )
    return depth_multiplier


class DepthwiseConv2D(_Conv):
    """One kernel per input channel (``depth_multiplier`` of them), channels never mixed.

    Kernel layout ``(KH, KW, C_in, depth_multiplier)``; the output has
    ``C_in * depth_multiplier`` channels.
    """

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
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            padding_mode,
            **kwargs,
        )
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer, self.depthwise_constraint = (
            depthwise_regularizer,
            depthwise_constraint,
        )

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.output_spatial(input_shape)
        self.kernel = self.add_weight(
            "kernel",
            self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.add_bias(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        return self.finish(
            ops.depthwise_conv2d(inputs, self.kernel, self.bias, **self.op_options())
        )

    def compute_output_shape(self, input_shape):
        channels = input_shape[self.channel_axis]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self.with_spatial(input_shape, self.output_spatial(input_shape), out_channels)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **weight_options(self, "depthwise"),
        }


class SeparableConv2D(_Conv):
    """A depthwise convolution followed by a 1×1 pointwise one that mixes the channels:
    far fewer weights than a full Conv2D of the same size."""

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
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            padding_mode,
            **kwargs,
        )
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(
                f'SeparableConv2D "{self.name}": filters must be a positive int, '
                f"received {filters!r}."
            )
        self.filters = filters
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)
        self.depthwise_initializer, self.pointwise_initializer = (
            depthwise_initializer,
            pointwise_initializer,
        )
        self.depthwise_regularizer, self.pointwise_regularizer = (
            depthwise_regularizer,
            pointwise_regularizer,
        )
        self.depthwise_constraint, self.pointwise_constraint = (
            depthwise_constraint,
            pointwise_constraint,
        )

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.output_spatial(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel",
            self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            (1, 1, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        return self.finish(
            ops.separable_conv2d(
                inputs, self.depthwise_kernel, self.pointwise_kernel, self.bias, **self.op_options()
            )
        )

    def compute_output_shape(self, input_shape):
        return self.with_spatial(input_shape, self.output_spatial(input_shape), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
            **weight_options(self, "depthwise", "pointwise"),
        }


class Conv2DTranspose(_Conv):
    """The transpose of a convolution (the gradient of Conv2D with respect to its input): it
    upsamples, e.g. by 2 with ``strides=2``. Kernel layout ``(KH, KW, filters, C_in)`` as Keras.

    Output size per axis as Keras (computed by ``ops.conv_transpose_output_size``):
    ``(N - 1) S + max(F_d, S)`` for ``"valid"``, ``N S`` for ``"same"``, or
    ``(N - 1) S + F_d - 2P + output_padding`` when ``output_padding`` is given, where
    ``F_d = D (F - 1) + 1`` and P is ``F_d // 2`` for "same", 0 for "valid".
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(
                f'Conv2DTranspose "{self.name}": filters must be a positive int, '
                f"received {filters!r}."
            )
        if self.padding not in ("valid", "same"):
            raise ValueError(
                f'Conv2DTranspose "{self.name}": padding must be "valid" or "same", '
                f"received {padding!r}."
            )
        self.filters = filters
        if output_padding is not None:
            output_padding = (
                (output_padding,) * 2 if isinstance(output_padding, int) else tuple(output_padding)
            )
            if any(p < 0 or p >= s for p, s in zip(output_padding, self.strides)):
                raise ValueError(
                    f'Conv2DTranspose "{self.name}": output_padding {output_padding} '
                    f"must be smaller than the strides {self.strides}."
                )
        self.output_padding = output_padding
        self.kernel_initializer, self.kernel_regularizer = kernel_initializer, kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.kernel = self.add_weight(
            "kernel",
            self.kernel_size + (self.filters, channels),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=4, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        return self.finish(
            ops.conv2d_transpose(
                inputs,
                self.kernel,
                self.bias,
                strides=self.strides,
                padding=self.padding,
                output_padding=self.output_padding,
                dilation_rate=self.dilation_rate,
                data_format=self.data_format,
            )
        )

    def output_spatial(self, input_shape):
        return [
            None
            if n is None
            else conv_transpose_output_size(
                n,
                self.kernel_size[i],
                self.strides[i],
                self.padding,
                None if self.output_padding is None else self.output_padding[i],
                self.dilation_rate[i],
            )
            for i, n in enumerate(self.spatial(input_shape))
        ]

    def compute_output_shape(self, input_shape):
        return self.with_spatial(input_shape, self.output_spatial(input_shape), self.filters)

    def get_config(self):
        config = {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            **weight_options(self, "kernel"),
        }
        config.pop("padding_mode", None)
        return config
