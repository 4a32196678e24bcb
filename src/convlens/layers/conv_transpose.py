"""Conv2DTranspose on BaseConv, with Keras's signature and kernel layout."""

from __future__ import annotations

from .. import ops
from ..kernels.geometry import conv_transpose_output_size
from .base_conv import BaseConv
from .core import weight_options
from .layer import InputSpec


class Conv2DTranspose(BaseConv):
    """The transpose of a convolution (the gradient of Conv2D with respect to its input): it
    upsamples, e.g. by 2 with ``strides=2``. Kernel layout ``(KH, KW, filters, C_in)`` as Keras.

    Output size per axis as Keras (computed by ``ops.conv_transpose_output_size``):
    ``(N - 1) S + max(F_d, S)`` for ``"valid"``, ``N S`` for ``"same"``, or
    ``(N - 1) S + F_d - 2P + output_padding`` when ``output_padding`` is given, where
    ``F_d = D (F - 1) + 1`` and P is ``F_d // 2`` for "same", 0 for "valid".

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Conv2DTranspose(4, 3, strides=2, padding="same")(np.zeros((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
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
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )
        if self.padding not in ("valid", "same"):
            raise ValueError(
                f'Conv2DTranspose "{self.name}": padding must be "valid" or "same", '
                f"received {padding!r}."
            )
        if output_padding is not None:
            accepted = "an int or a pair of ints, each smaller than its stride"
            if isinstance(output_padding, int):
                output_padding = (output_padding,) * 2
            output_padding = self.int_tuple(output_padding, "output_padding", accepted)
            if len(output_padding) != 2:
                raise ValueError(
                    f'Conv2DTranspose "{self.name}": output_padding must be {accepted}, '
                    f"received {output_padding!r}."
                )
            if any(p < 0 or p >= s for p, s in zip(output_padding, self.strides)):
                raise ValueError(
                    f'Conv2DTranspose "{self.name}": output_padding {output_padding} '
                    f"must be smaller than the strides {self.strides}."
                )
        self.output_padding = output_padding

    def build(self, input_shape):
        channels = self.input_channels(input_shape)
        self.kernel = self.add_kernel("kernel", self.kernel_size + (self.filters, channels))
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

    def conv_plan(self, batch_size: int = 32):
        """The plan of the convolution this layer is the adjoint of, passes swapped."""
        if self.input_shape is None:
            return None
        return ops.conv2d_transpose_plan(
            (batch_size, *self.input_shape[1:]),
            self.kernel.shape,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
            dtype=self.kernel.dtype,
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

    def get_config(self):
        config = super().get_config()
        config.pop("padding_mode")  # Keras's Conv2DTranspose takes none
        return config

    def kernel_config(self):
        return {
            "filters": self.filters,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            **weight_options(self, "kernel"),
        }
