"""The transposed convolution (Keras's Conv2DTranspose), built from the convolution's own pieces.

A transposed convolution is the input gradient of a convolution: its forward pass is
``col2im(X · Wᵀ)`` (what conv2d's backward computes for dX) and its backward pass is a
convolution forward (``dX = im2col(dY) · W``) and a kernel gradient (``dW = im2col(dY)ᵀ · X``).
Kernel layout (KH, KW, C_out, C_in), as Keras's Conv2DTranspose stores (kh, kw, filters, in).
"""

from __future__ import annotations

from ..kernels.geometry import conv_transpose_output_size, conv_transpose_padding, is_int
from ..kernels.im2col import bias_grad, conv_forward, conv_input_grad, conv_kernel_grad, im2col
from ..kernels.padding import pad_array, unpad_gradient
from ..tensor import Function, Tensor, as_tensor
from .conv import TO_CHANNELS_FIRST, TO_CHANNELS_LAST, common_dtype
from .conv_checks import check_bias, check_channels, check_rank
from .padding import spatial_axes, to_pair
from .shape import transpose


class Conv2DTranspose(Function):
    """Channels-last transposed convolution: the adjoint of a conv of the output padded by
    ``amounts``."""

    def forward(self, x, kernel, bias=None, *, strides, dilation, amounts, padded_hw):
        self.dtypes = [a.dtype for a in (x, kernel, bias) if a is not None]
        dtype = common_dtype(x, kernel, *(() if bias is None else (bias,)))
        x, kernel = x.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
        self.x, self.kernel, self.options = x, kernel, (strides, dilation, amounts)
        padded_shape = (x.shape[0], *padded_hw, kernel.shape[2])  # (N, Hp, Wp, C_out)
        full = conv_input_grad(x, kernel, padded_shape, strides, dilation)  # col2im(X · Wᵀ)
        out = unpad_gradient(full, amounts).copy()  # (N, OH, OW, C_out): the crop, contiguous
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):  # the conv whose input gradient the forward was
        strides, dilation, amounts = self.options
        grads = [None] * len(self.inputs)
        padded, kernel_hw, x_hw = pad_array(grad, amounts), self.kernel.shape[:2], self.x.shape[1:3]
        if self.needs_grad[0]:  # dX = im2col(dY) · W
            grads[0], cols = conv_forward(
                padded, self.kernel, strides, dilation, x_hw, keep_cols=self.needs_grad[1]
            )
        else:  # a first layer: only the patches, for dW
            cols = im2col(padded, kernel_hw, strides, dilation, x_hw)
        if self.needs_grad[1]:  # dW = im2col(dY)ᵀ · X
            grads[1] = conv_kernel_grad(cols, self.x, self.kernel.shape)
        if len(self.inputs) == 3 and self.needs_grad[2]:
            grads[2] = bias_grad(grad)
        return tuple(
            g if g is None else g.astype(t, copy=False)
            for g, t in zip(grads, self.dtypes, strict=True)
        )


def _output_padding(value, strides):
    if value is None:
        return (None, None)
    pair = (
        (value, value)
        if is_int(value)
        else tuple(value)
        if isinstance(value, (tuple, list))
        else ()
    )
    if len(pair) != 2 or not all(
        is_int(v) and 0 <= v < s for v, s in zip(pair, strides, strict=True)
    ):
        raise ValueError(
            f"conv2d_transpose: output_padding must be None, or an int or a pair of ints each "
            f"at least 0 and smaller than the strides {strides}, received {value!r}."
        )
    return int(pair[0]), int(pair[1])


def conv2d_transpose(
    x,
    kernel,
    bias=None,
    strides=1,
    padding="valid",
    output_padding=None,
    dilation_rate=1,
    data_format: str = "channels_last",
) -> Tensor:
    """Transposed 2-D convolution (a.k.a. deconvolution): the input gradient of conv2d, used to
    upsample (by S with ``strides=S``).

    Args:
        x: (N, H, W, C_in), or (N, C_in, H, W) with ``data_format="channels_first"``.
        kernel: (KH, KW, C_out, C_in), Keras's Conv2DTranspose layout.
        bias: optional (C_out,).
        strides, dilation_rate: an int or a pair.
        padding: ``"valid"`` or ``"same"``.
        output_padding: None, or an int or a pair below the strides: extra rows/columns.

    Returns:
        A Tensor (N, OH, OW, C_out), sizes as Keras's ``compute_conv_transpose_output_shape``:
        valid ``(H - 1) S + max(F_d, S)``, same ``H S``, or with output_padding
        ``(H - 1) S + F_d - 2P + output_padding`` (P = F_d // 2 for same, 0 for valid).

    Raises:
        ValueError: for a wrong rank, an empty axis, channels that do not match the kernel, an
            unknown padding or data_format, non-positive strides or dilation, or a bad
            output_padding.

    Example:
        >>> import numpy as np
        >>> conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 4, 2)), strides=2).shape
        (1, 7, 7, 4)
    """
    op = "conv2d_transpose"
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    axes = spatial_axes(data_format, op)
    strides, dilation = (
        to_pair(strides, f"{op}: strides"),
        to_pair(dilation_rate, f"{op}: dilation_rate"),
    )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f'{op}: padding must be "valid" or "same", received {padding!r}.')
    layout = (
        "(batch, height, width, channels)" if axes == (1, 2) else "(batch, channels, height, width)"
    )
    check_rank(op, "input", x, 4, layout)
    check_rank(op, "kernel", kernel, 4, "(kernel_height, kernel_width, filters, input_channels)")
    check_channels(op, x, kernel.shape[3], -1 if axes == (1, 2) else 1, "the kernel's last axis")
    check_bias(op, bias, kernel.shape[2])
    output_padding = _output_padding(output_padding, strides)
    sizes = [
        (x.shape[a], f, s, padding.lower(), p, d)
        for a, f, s, p, d in zip(
            axes, kernel.shape[:2], strides, output_padding, dilation, strict=True
        )
    ]
    amounts = tuple(conv_transpose_padding(*size) for size in sizes)
    out_hw = tuple(conv_transpose_output_size(*size) for size in sizes)
    if min(out_hw) < 1:
        raise ValueError(
            f"{op}: the output would be empty: spatial size {out_hw} for input shape {x.shape}, "
            f"kernel shape {kernel.shape}, strides {strides}, padding {padding!r} and "
            f"output_padding {output_padding}."
        )
    padded_hw = tuple(
        n + before + after for n, (before, after) in zip(out_hw, amounts, strict=True)
    )
    if axes == (2, 3):
        x = transpose(x, TO_CHANNELS_LAST)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv2DTranspose.apply(
        *inputs, strides=strides, dilation=dilation, amounts=amounts, padded_hw=padded_hw
    )
    return transpose(y, TO_CHANNELS_FIRST) if axes == (2, 3) else y
