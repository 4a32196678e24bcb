"""Conv1D and Conv2D: siblings on BaseConv with the rank fixed, Keras's signatures.

Each only names its arguments and forwards them by keyword (as Keras's ``conv1d.py`` and
``conv2d.py``); geometry, weights, the call and the config live in base_conv.py.
"""

from __future__ import annotations

from .base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over sequences ``(batch, steps, channels)``.

    ``padding="causal"`` pads only the start, so output t never sees inputs after t.

    Args:
        filters: the number of kernels (output channels).
        kernel_size: F, an int or a 1-tuple.
        strides: S, an int or a 1-tuple.
        padding: ``"valid"``, ``"same"`` or ``"causal"``.
        data_format: ``"channels_last"`` (batch, steps, channels) or ``"channels_first"``.
        dilation_rate: spacing between kernel taps.
        groups: split the channels into groups convolved separately (C_in/groups each).
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as ``Dense``.

    Input shape:
        ``(batch, steps, channels)`` (or channels first).

    Output shape:
        ``(batch, new_steps, filters)``.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Conv1D(4, 3, padding="causal")(np.zeros((2, 10, 1))).shape
        (2, 10, 4)
    """

    def __init__(
        self,
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
        **kwargs,
    ):
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
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


class Conv2D(BaseConv):
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
            rank=2,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            padding_mode=padding_mode,
            **kwargs,
        )
