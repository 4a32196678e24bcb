"""conv1d, depthwise_conv2d and separable_conv2d: conv2d with a reshaped input or kernel.

A 1-D convolution is a 2-D one of height 1; a depthwise convolution is a grouped one with one
input channel per group (Keras's (KH, KW, C, depth_multiplier) kernel viewed as
(KH, KW, 1, C * depth_multiplier)); a separable one is a depthwise one followed by a 1×1 one.
"""

from __future__ import annotations

from ..kernels.conv_plan import ConvPlan
from ..kernels.geometry import is_int
from ..tensor import Tensor, as_tensor
from .conv import ShapeOnly, conv2d_plan, named_conv2d
from .conv_checks import check_channels, check_groups, check_rank
from .padding import spatial_axes, to_pair
from .shape import reshape

_LAYOUTS_1D = {1: "(batch, steps, channels)", 2: "(batch, channels, steps)"}


def _single(value, name: str) -> int:
    """A 1-D stride or dilation: an int or a 1-tuple."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not is_int(value):
        raise ValueError(f"{name} must be an int or a 1-tuple of ints, received {value!r}.")
    return to_pair(value, name)[0]


def _conv1d_as_2d(op, x, kernel, strides, padding, dilation_rate, groups, data_format):
    """Validate conv1d's arguments (``x``, ``kernel``: anything with ``shape`` and ``ndim``);
    the steps' axis, and the arguments of the conv2d of height 1 that computes it."""
    axis = spatial_axes(data_format, op)[0]  # the steps: 1 (channels last) or 2
    check_rank(op, "input", x, 3, _LAYOUTS_1D[axis])
    check_rank(op, "kernel", kernel, 3, "(kernel_size, input_channels / groups, filters)")
    stride, dilation = (
        _single(strides, f"{op}: strides"),
        _single(dilation_rate, f"{op}: dilation_rate"),
    )
    groups = check_groups(op, groups)
    K, Cg = kernel.shape[:2]
    check_channels(
        op, x, Cg * groups, -1 if axis == 1 else 1, f"the kernel's C_in * groups = {Cg} * {groups}"
    )
    if isinstance(padding, str) and padding.lower() == "causal":
        padding = ((0, 0), (dilation * (K - 1), 0))  # all D (K - 1) zeros before the first step
    elif not isinstance(padding, str):
        padding = ((0, 0), (padding, padding) if is_int(padding) else tuple(padding))
    return axis, dict(
        strides=(1, stride), padding=padding, dilation_rate=(1, dilation), groups=groups,
        data_format=data_format,
    )  # fmt: skip


def conv1d_plan(
    input_shape,
    kernel_shape,
    strides=1,
    padding="valid",
    dilation_rate=1,
    groups=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
    dtype="float32",
) -> ConvPlan:
    """The routes :func:`conv1d` takes for these shapes: those of its conv2d of height 1.

    Example:
        >>> conv1d_plan((8, 100, 4), (5, 4, 16), padding="causal", dtype="float16").short()
        'im2col / banded / im2col'
    """
    op = "conv1d_plan"
    x = ShapeOnly(tuple(input_shape), len(input_shape))
    kernel = ShapeOnly(tuple(kernel_shape), len(kernel_shape))
    axis, options = _conv1d_as_2d(
        op, x, kernel, strides, padding, dilation_rate, groups, data_format
    )
    N, L = x.shape[0], x.shape[axis]
    x2 = (N, 1, L, x.shape[2]) if axis == 1 else (N, x.shape[1], 1, L)
    return conv2d_plan(x2, (1, *kernel.shape), padding_mode=padding_mode, dtype=dtype, **options)


def conv1d(
    x,
    kernel,
    bias=None,
    strides=1,
    padding="valid",
    dilation_rate=1,
    groups=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
) -> Tensor:
    """1-D convolution of a batch of sequences, computed as a conv2d of height 1.

    Args:
        x: (N, L, C), or (N, C, L) with ``data_format="channels_first"``.
        kernel: (K, C / groups, C_out).
        padding: ``"valid"``, ``"same"``, ``"causal"`` (Keras: D (K - 1) zeros at the start only,
            so output t sees no input after t), an int P or a pair ``(left, right)``.
        bias, strides, dilation_rate, groups, padding_mode: as :func:`conv2d` (ints).

    Returns:
        A Tensor (N, OL, C_out) (channels first: (N, C_out, OL)).

    Raises:
        ValueError: as :func:`conv2d`.

    Example:
        >>> import numpy as np
        >>> x = np.arange(4.0).reshape(1, 4, 1)
        >>> conv1d(x, np.ones((2, 1, 1)), padding="causal").numpy()[0, :, 0].tolist()
        [0.0, 1.0, 3.0, 5.0]
    """
    op, x, kernel = "conv1d", as_tensor(x), as_tensor(kernel)
    axis, options = _conv1d_as_2d(
        op, x, kernel, strides, padding, dilation_rate, groups, data_format
    )
    N, L = x.shape[0], x.shape[axis]
    x2 = reshape(x, (N, 1, L, x.shape[2]) if axis == 1 else (N, x.shape[1], 1, L))  # H = 1
    k2 = reshape(kernel, (1, *kernel.shape))  # (1, K, C / groups, C_out)
    y = named_conv2d(x2, k2, bias, padding_mode=padding_mode, op=op, **options)
    if axis == 1:
        return reshape(y, (N, y.shape[2], y.shape[3]))  # (N, 1, OL, C_out) -> (N, OL, C_out)
    return reshape(y, (N, y.shape[1], y.shape[3]))  # (N, C_out, 1, OL) -> (N, C_out, OL)


def depthwise_conv2d(
    x,
    depthwise_kernel,
    bias=None,
    strides=1,
    padding="valid",
    dilation_rate=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
) -> Tensor:
    """Each input channel filtered by its own ``depth_multiplier`` kernels; channels never mix.

    Args:
        depthwise_kernel: (KH, KW, C, depth_multiplier), Keras's layout. Output channel
            ``c * depth_multiplier + m`` is channel c filtered by ``depthwise_kernel[..., c, m]``.
        bias: optional (C * depth_multiplier,).
        x, strides, padding, dilation_rate, data_format, padding_mode: as :func:`conv2d`.

    Returns:
        A Tensor (N, OH, OW, C * depth_multiplier).

    Example:
        >>> import numpy as np
        >>> depthwise_conv2d(np.ones((1, 3, 3, 2)), np.ones((3, 3, 2, 4))).shape
        (1, 1, 1, 8)
    """
    return _depthwise_conv2d(
        x,
        depthwise_kernel,
        bias,
        strides,
        padding,
        dilation_rate,
        data_format,
        padding_mode,
        op="depthwise_conv2d",
    )


def _depthwise_conv2d(
    x, depthwise_kernel, bias, strides, padding, dilation_rate, data_format, padding_mode, op
):
    """depthwise_conv2d as conv2d with groups = C, with ``op`` in every error message."""
    x, depthwise_kernel = as_tensor(x), as_tensor(depthwise_kernel)
    check_rank(
        op,
        "kernel",
        depthwise_kernel,
        4,
        "(kernel_height, kernel_width, channels, depth_multiplier)",
    )
    KH, KW, C, multiplier = depthwise_kernel.shape
    if x.ndim == 4:  # named here, in the depthwise kernel's terms; the rest is checked by conv2d
        channel_axis = -1 if spatial_axes(data_format, op) == (1, 2) else 1
        check_channels(op, x, C, channel_axis, "the depthwise kernel's third axis")
    kernel = reshape(depthwise_kernel, (KH, KW, 1, C * multiplier))  # (KH, KW, 1, C*M)
    return named_conv2d(
        x, kernel, bias, strides, padding, dilation_rate, C, data_format, padding_mode, op=op
    )


def separable_conv2d(
    x,
    depthwise_kernel,
    pointwise_kernel,
    bias=None,
    strides=1,
    padding="valid",
    dilation_rate=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
) -> Tensor:
    """A depthwise convolution, then a 1×1 convolution that mixes its channels (Keras's
    SeparableConv2D); strides, padding and dilation apply to the depthwise step.

    Args:
        depthwise_kernel: (KH, KW, C, depth_multiplier).
        pointwise_kernel: (1, 1, C * depth_multiplier, C_out).
        bias: optional (C_out,), added after the pointwise step.

    Returns:
        A Tensor (N, OH, OW, C_out).

    Example:
        >>> import numpy as np
        >>> x, depthwise = np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2))
        >>> separable_conv2d(x, depthwise, np.ones((1, 1, 6, 4))).shape
        (1, 3, 3, 4)
    """
    op, pointwise_kernel = "separable_conv2d", as_tensor(pointwise_kernel)
    check_rank(
        op, "pointwise kernel", pointwise_kernel, 4, "(1, 1, channels * depth_multiplier, filters)"
    )
    depthwise_kernel = as_tensor(depthwise_kernel)
    middle = (
        depthwise_kernel.shape[2] * depthwise_kernel.shape[3]
        if depthwise_kernel.ndim == 4
        else None
    )
    if pointwise_kernel.shape[:2] != (1, 1) or middle not in (None, pointwise_kernel.shape[2]):
        raise ValueError(
            f"{op}: expected a pointwise kernel of shape (1, 1, channels * depth_multiplier, "
            f"filters) = (1, 1, {middle}, filters), received shape {pointwise_kernel.shape}."
        )
    depthwise = _depthwise_conv2d(
        x, depthwise_kernel, None, strides, padding, dilation_rate, data_format, padding_mode, op=op
    )
    return named_conv2d(
        depthwise, pointwise_kernel, bias, 1, "valid", 1, 1, data_format, "zeros", op=op
    )
