"""BaseConv: what every convolution layer shares, for any ``rank`` (Keras's ``BaseConv``).

Conv1D and Conv2D (conv.py) are this class with the rank fixed; DepthwiseConv2D and
SeparableConv2D (depthwise_conv.py) and Conv2DTranspose (conv_transpose.py) build on it with
kernels of their own. Every subclass forwards its arguments by keyword.
"""

from __future__ import annotations

from .. import activations, ops
from ..kernels.geometry import conv_output_size, resolve_padding, same_padding
from .core import _get_regularizer, serialize, weight_options
from .layer import InputSpec, Layer
from .reshaping import check_data_format

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class BaseConv(Layer):
    """The N-D convolution layer's base: geometry, activation, bias, argument checks, config.

    Built as is, it is the plain (grouped) convolution: ``filters`` kernels of
    ``kernel_size`` slide over the input, then the bias is added and the activation applied.

    Args:
        rank: the number of spatial axes, 1 or 2 (the convolution ops convlens has).
        filters: the number of kernels (output channels). A subclass whose output channels
            follow from its input (DepthwiseConv2D) sets ``takes_filters = False`` and passes None.
        kernel_size, strides, dilation_rate: an int or a tuple of ``rank`` ints.
        padding: ``"valid"``, ``"same"``, ``"causal"`` (rank 1), or explicit amounts (rank 2).
        data_format: ``"channels_last"`` (the default) or ``"channels_first"``.
        groups: split the channels into groups convolved separately (C_in/groups each).
        activation, use_bias, kernel_*, bias_*, activity_regularizer: as ``Dense``; the
            kernel options are those of the weight named ``kernel``.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"`` (rank 2).
    """

    takes_filters = True

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        super().__init__(**kwargs)
        if rank not in (1, 2):
            raise self._argument_error("rank", "1 or 2", rank)
        self.rank = rank
        self.kernel_size = self.positive_ints(kernel_size, rank, "kernel_size")
        self.strides = self.positive_ints(strides, rank, "strides")
        self.dilation_rate = self.positive_ints(dilation_rate, rank, "dilation_rate")
        self.data_format = check_data_format(self, data_format)
        self.padding = self._check_padding(padding)
        if padding_mode not in _PADDING_MODES:
            expected = f"one of {', '.join(_PADDING_MODES)}"
            raise self._argument_error("padding_mode", expected, padding_mode)
        self.padding_mode = padding_mode
        self.activation = activations.get(activation)
        self.use_bias = self.boolean(use_bias, "use_bias")
        self.bias_initializer, self.bias_regularizer = bias_initializer, bias_regularizer
        self.bias_constraint = bias_constraint
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self.input_spec = InputSpec(ndim=rank + 2)
        if (self.takes_filters or filters is not None) and not _positive_int(filters):
            raise self._argument_error("filters", "a positive int", filters)
        if not _positive_int(groups) or (filters and filters % groups):
            raise self._argument_error(
                "groups", f"a positive int dividing filters ({filters})", groups
            )
        self.filters, self.groups = filters, groups
        self.kernel_initializer, self.kernel_regularizer = kernel_initializer, kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def _check_padding(self, padding):
        if isinstance(padding, str):
            padding = padding.lower()
            allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
            if padding not in allowed:
                expected = f"one of {', '.join(allowed)} (or explicit amounts)"
                raise self._argument_error("padding", expected, padding)
        elif self.rank == 2:
            resolve_padding(padding, (1, 1), (1, 1))  # validates the explicit forms
        return padding

    def _argument_error(self, name, expected, received) -> ValueError:
        layer = f'{type(self).__name__} "{self.name}"'
        return ValueError(f"{layer}: {name} must be {expected}, received {received!r}.")

    # ----- geometry -----
    @property
    def channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def input_channels(self, input_shape):
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise self.shape_error("a known number of channels", input_shape)
        return channels

    def spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def with_spatial(self, shape, spatial, channels):
        if self.data_format == "channels_last":
            return (shape[0],) + tuple(spatial) + (channels,)
        return (shape[0], channels) + tuple(spatial)

    def output_spatial(self, input_shape):
        """The output's spatial sizes, ``(N + 2P - F_d)/S + 1`` per axis (None stays None).

        Raises:
            ValueError: naming the layer when the kernel does not fit in the padded input.
        """
        sizes = []
        for i, n in enumerate(self.spatial(input_shape)):
            if n is None:
                sizes.append(None)
                continue
            kernel, stride, dilation = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
            if dilation > 1 and dilation * (kernel - 1) > 4 * n:  # a file's 10**12 (issue 15)
                raise self.shape_error(
                    f"a dilated kernel (dilation_rate {dilation}, kernel_size {kernel}) at "
                    "most four times the input's size",
                    input_shape,
                )
            if self.padding == "same":
                amounts = same_padding(n, kernel, stride, dilation)
            elif self.padding == "causal":
                amounts = (dilation * (kernel - 1), 0)
            elif self.padding == "valid":
                amounts = (0, 0)
            else:
                amounts = resolve_padding(self.padding, (n, n), (1, 1))[i]
            try:
                sizes.append(conv_output_size(n, kernel, stride, amounts, dilation))
            except ValueError as error:
                raise self.shape_error(
                    f"an input large enough for the kernel ({error})", input_shape
                ) from None
        return sizes

    # ----- weights -----
    def add_kernel(self, name, shape, options="kernel"):
        """A kernel weight with the layer's ``<options>_initializer``, ``_regularizer`` and
        ``_constraint`` (``"kernel"``, ``"depthwise"``, ``"pointwise"``)."""
        return self.add_weight(
            name,
            shape,
            getattr(self, f"{options}_initializer"),
            regularizer=getattr(self, f"{options}_regularizer"),
            constraint=getattr(self, f"{options}_constraint"),
        )

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

    # ----- the plain convolution -----
    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        if channels % self.groups:
            raise self.shape_error(
                f"a number of channels divisible by groups={self.groups}", input_shape
            )
        self.output_spatial(input_shape)  # a kernel larger than the input fails here, named
        shape = self.kernel_size + (channels // self.groups, self.filters)
        self.kernel = self.add_kernel("kernel", shape)
        self.add_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self.channel_axis: channels})

    def call(self, inputs, training=False):
        options = dict(groups=self.groups, **self.op_options())
        if self.rank == 1:
            return self.finish(ops.conv1d(inputs, self.kernel, self.bias, **options))
        if self.activation is activations.relu:  # fused into the convolution: one pass less
            return ops.conv2d(inputs, self.kernel, self.bias, activation="relu", **options)
        return self.finish(ops.conv2d(inputs, self.kernel, self.bias, **options))

    def finish(self, outputs):
        return self.activation(outputs)

    def conv_plan(self, batch_size: int = 32):
        """How this layer's convolution is computed for a batch of ``batch_size``: the routes of
        its forward pass, input gradient and kernel gradient, and why (kernels/conv_plan.py).
        None until the layer is built."""
        if self.input_shape is None:
            return None
        shape = (batch_size, *self.input_shape[1:])
        options = dict(groups=self.groups, dtype=self.kernel.dtype, **self.op_options())
        plan = ops.conv1d_plan if self.rank == 1 else ops.conv2d_plan
        return plan(shape, self.kernel.shape, **options)

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

    def compute_output_shape(self, input_shape):
        return self.with_spatial(input_shape, self.output_spatial(input_shape), self.filters)

    # ----- configuration -----
    def get_config(self):
        """Keras's config: the shared arguments, ``padding_mode`` (rank 2), then the kernels'."""
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
        return {**config, **self.kernel_config()}

    def kernel_config(self) -> dict:
        """The arguments that describe the kernels; the depthwise, separable and transposed
        layers name their own."""
        return {"filters": self.filters, "groups": self.groups, **weight_options(self, "kernel")}


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
