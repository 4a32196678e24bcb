"""The convolution ops' argument checks: every message names the op, what it expected and what
it received (conv2d, conv1d, depthwise, separable and transposed convolutions share them)."""

from __future__ import annotations

from ..kernels.geometry import conv_output_size, is_int
from ..tensor import Tensor


def check_rank(op: str, name: str, tensor: Tensor, ndim: int, layout: str) -> None:
    if tensor.ndim != ndim:
        raise ValueError(
            f"{op}: expected a {ndim}-D {name} {layout}, received shape {tensor.shape}."
        )
    if 0 in tensor.shape:
        raise ValueError(f"{op}: expected a non-empty {name}, received shape {tensor.shape}.")


def check_groups(op: str, groups) -> int:
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, received {groups!r}.")
    return int(groups)


def check_channels(op: str, x: Tensor, channels: int, axis: int, origin: str) -> None:
    if x.shape[axis] != channels:
        raise ValueError(
            f"{op}: expected input with {channels} channels on axis {axis} ({origin}), received "
            f"shape {x.shape}."
        )


def check_bias(op: str, bias, filters: int) -> None:
    if bias is not None and tuple(bias.shape) != (filters,):
        raise ValueError(
            f"{op}: expected a bias of shape ({filters},) (one value per filter), received shape "
            f"{tuple(bias.shape)}."
        )


def output_hw(op, spatial, kernel_hw, strides, amounts, dilation, x_shape, kernel_shape):
    """The output's (OH, OW), or a ValueError naming ``op`` when the kernel does not fit."""
    try:
        return tuple(
            conv_output_size(n, f, s, p, d)
            for n, f, s, p, d in zip(spatial, kernel_hw, strides, amounts, dilation, strict=True)
        )
    except ValueError as error:
        raise ValueError(
            f"{op}: {error} Received input shape {x_shape} and kernel shape {kernel_shape}."
        ) from None
