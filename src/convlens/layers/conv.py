"""Convolution layers with Keras's signatures: Conv1D, Conv2D, DepthwiseConv2D, SeparableConv2D,
Conv2DTranspose. Each holds its kernels and calls the matching op in ``convlens.ops``.
"""

from __future__ import annotations

from .. import activations, ops
from ..kernels.geometry import conv_output_size, resolve_padding, same_padding
from .core import _get_regularizer, serialize, weight_options
from .layer import InputSpec, Layer
from .reshaping import check_data_format

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Conv(Layer):
    """What every convolution layer shares: geometry, activation, bias, validation, config."""

    rank = 2
    kernel_names = ("kernel",)

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        bias_initializer="zeros",
        bias_regularizer=None,
        activity_regularizer=None,
        bias_constraint=None,
        padding_mode="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_size = self.positive_ints(kernel_size, self.rank, "kernel_size")
        self.strides = self.positive_ints(strides, self.rank, "strides")
        self.dilation_rate = self.positive_ints(dilation_rate, self.rank, "dilation_rate")
        self.data_format = check_data_format(self, data_format)
        if isinstance(padding, str):
            padding = padding.lower()
            allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
            if padding not in allowed:
                raise ValueError(
                    f'{type(self).__name__} "{self.name}": padding must be one of '
                    f"{', '.join(allowed)} (or explicit amounts), received {padding!r}."
                )
        elif self.rank == 2:
            resolve_padding(padding, (1, 1), (1, 1))  # validates the explicit forms
        self.padding = padding
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": padding_mode must be one of '
                f"{', '.join(_PADDING_MODES)}, received {padding_mode!r}."
            )
        self.padding_mode = padding_mode
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer, self.bias_regularizer = bias_initializer, bias_regularizer
        self.bias_constraint = bias_constraint
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def input_channels(self, input_shape):
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise self.shape_error("a known number of channels", input_shape)
        return channels

    def add_bias(self, size):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (size,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def with_spatial(self, shape, spatial, channels):
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(spatial) + (channels,)
        return (shape[0], channels) + tuple(spatial)

    def output_spatial(self, input_shape):
        sizes = []
        for i, n in enumerate(self.spatial(input_shape)):
            if n is None:
                sizes.append(None)
                continue
            padding = self.padding
            if padding == "same":
                amounts = same_padding(
                    n, self.kernel_size[i], self.strides[i], self.dilation_rate[i]
                )
            elif padding == "causal":
                amounts = (self.dilation_rate[i] * (self.kernel_size[i] - 1), 0)
            elif padding == "valid":
                amounts = (0, 0)
            else:
                amounts = resolve_padding(padding, (n, n), (1, 1))[i]
            try:
                sizes.append(
                    conv_output_size(
                        n, self.kernel_size[i], self.strides[i], amounts, self.dilation_rate[i]
                    )
                )
            except ValueError as error:
                raise self.shape_error(
                    f"an input large enough for the kernel ({error})", input_shape
                ) from None
        return sizes

    def finish(self, outputs):
        return self.activation(outputs)

    def op_options(self):
        options = dict(
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        if self.rank == 2:
            options["padding_mode"] = self.padding_mode
        return options

    def get_config(self):
        config = {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding
            if isinstance(self.padding, (str, int))
            else [list(p) if isinstance(p, (tuple, list)) else p for p in self.padding],
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "activity_regularizer": serialize(self.activity_regularizer),
            **weight_options(self, "bias"),
        }
        if self.rank == 2:
            config["padding_mode"] = self.padding_mode
        return config


class Conv2D(_Conv):
    """2-D convolution (the lecture's cross-correlation of an image with F×F kernels).

    ``filters`` kernels of size ``kernel_size`` slide over the input with ``strides``; the
    output has ``(N + 2P - F)/S + 1`` rows and columns and one channel per filter, then the
    bias is added and the activation applied.

    Args:
        filters: the number of kernels (output channels).
        kernel_size: F, an int or a pair.
        strides: S, an int or a pair.
        padding: ``"valid"`` (none), ``"same"`` (output ceil(N/S), Keras/TensorFlow split), or
            explicit amounts: an int P, a pair, or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (N, H, W, C) or ``"channels_first"`` (N, C, H, W).
        dilation_rate: spacing between kernel taps.
        groups: split the channels into groups convolved separately (C_in/groups each).
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as ``Dense``.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.

    Input shape:
        ``(batch, rows, cols, channels)`` (or channels first).

    Output shape:
        ``(batch, new_rows, new_cols, filters)``.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Conv2D(6, 5, padding="same")(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 6)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
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
                f'{type(self).__name__} "{self.name}": filters must be a positive '
                f"int, received {filters!r}."
            )
        if not isinstance(groups, int) or groups < 1 or filters % groups:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": groups must be a positive int '
                f"dividing filters ({filters}), received {groups!r}."
            )
        self.filters, self.groups = filters, groups
        self.kernel_initializer, self.kernel_regularizer = kernel_initializer, kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        if channels % self.groups:
            raise self.shape_error(
                f"a number of channels divisible by groups={self.groups}", input_shape
            )
        self.output_spatial(input_shape)  # a kernel larger than the input fails here, named
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_weight(
            "kernel",
            shape,
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        options = dict(groups=self.groups, **self.op_options())
        if self.rank == 2 and self.activation is activations.relu:  # fused: one pass less
            return ops.conv2d(inputs, self.kernel, self.bias, activation="relu", **options)
        op = ops.conv2d if self.rank == 2 else ops.conv1d
        return self.finish(op(inputs, self.kernel, self.bias, **options))

    def compute_output_shape(self, input_shape):
        return self.with_spatial(input_shape, self.output_spatial(input_shape), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            **weight_options(self, "kernel"),
        }


class Conv1D(Conv2D):
    """1-D convolution over sequences ``(batch, steps, channels)``; ``padding="causal"`` pads
    only the start, so output t never sees inputs after t."""

    rank = 1

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides, padding, data_format, dilation_rate, groups, **kwargs
        )

    def get_config(self):
        config = super().get_config()
        config.pop("padding_mode", None)
        return config
