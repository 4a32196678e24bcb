"""conv2d: groups, dilation, strides, every padding form and mode, both data formats.

The lecture's convolution slides the kernel over the image, multiplies each window by it and sums
("line up the feature, multiply, add them up"); :mod:`convlens.ops.im2col` does this as one matrix
product. Layouts are Keras's: inputs (N, H, W, C) by default, kernels (KH, KW, C_in/groups,
C_out). ``channels_first`` inputs are transposed to channels last and back (views). conv1d,
depthwise and separable convolutions (ops/conv_variants.py) and the transposed convolution
(ops/conv_transpose.py) reuse :func:`named_conv2d`, the validators and the array kernels."""

from __future__ import annotations

from .. import backend
from ..kernels.depthwise import depthwise_forward, depthwise_input_grad, depthwise_kernel_grad
from ..kernels.direct import direct_forward, direct_grads, use_direct
from ..kernels.geometry import resolve_padding
from ..kernels.im2col import (
    bias_grad,
    conv_forward,
    conv_input_grad,
    conv_kernel_grad,
    conv_kernel_grad_from_input,
    worth_keeping,
)
from ..kernels.padding import pad_array, unpad_gradient
from ..kernels.winograd import use_winograd, winograd_forward, winograd_grads
from ..tensor import Function, Tensor, as_tensor, is_grad_enabled
from .activation import relu_gradient
from .conv_checks import check_bias, check_channels, check_groups, check_rank, output_hw
from .padding import check_pad_sizes, check_padding_mode, spatial_axes, to_pair
from .shape import transpose

TO_CHANNELS_LAST, TO_CHANNELS_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
_LAYOUTS = {(1, 2): "(batch, height, width, channels)", (2, 3): "(batch, channels, height, width)"}
_KERNEL_LAYOUT = "(kernel_height, kernel_width, input_channels / groups, filters)"


def common_dtype(*arrays):
    """The dtype NumPy would compute ``arrays`` in; float32 stays float32."""
    return backend.xp.result_type(*(a.dtype for a in arrays))


class Conv2D(Function):
    """Channels-last convolution of ``x`` padded by ``amounts`` in ``mode``."""

    def forward(
        self, x, kernel, bias=None, *, strides, dilation, amounts, mode, groups, out_hw, relu
    ):
        self.dtypes = [a.dtype for a in (x, kernel, bias) if a is not None]
        dtype = common_dtype(x, kernel, *(() if bias is None else (bias,)))
        x, kernel = x.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
        self.options = strides, dilation, amounts, mode, groups
        N, H, W, C = x.shape
        (top, bottom), (left, right) = amounts
        self.kernel, self.padded_shape = kernel, (N, H + top + bottom, W + left + right, C)
        self.depthwise = groups > 1 and kernel.shape[2] == 1  # one input channel per group
        self.winograd = use_winograd(kernel.shape, strides, dilation, groups, dtype)
        self.direct = not self.winograd and use_direct(
            kernel.shape, strides, dilation, groups, dtype, batch=N
        )
        # Under no_grad (inference) nothing is saved: the patches stream through cache in chunks.
        keep = self.needs_grad[1] and is_grad_enabled()
        if self.direct:  # few input channels: Numba loops over blocks of images, padding fused
            out, self.saved = direct_forward(x, kernel, bias, amounts, mode, relu, keep)
            self.out = out if relu and is_grad_enabled() else None
            return out
        x_padded = pad_array(x, amounts, mode)  # (N, Hp, Wp, C)
        if self.winograd:  # dW recomputes the tiles' transform from the padded input
            # the output transform adds the bias and applies the ReLU itself
            out = winograd_forward(x_padded, kernel, bias, relu)
            self.saved = x_padded if keep else None
        elif self.depthwise:  # a multiply-accumulate per tap beats G tiny GEMMs
            out = depthwise_forward(x_padded, kernel, out_hw, strides, dilation)
            finish = _epilogue(bias, relu)
            if finish is not None:
                finish(out)
            self.saved = x_padded if keep else None
        else:
            # Large patch matrices are rebuilt in backward instead (im2col.KEEP_COLS_BYTES).
            self.saved_cols = keep and worth_keeping(x_padded, kernel.shape, out_hw)
            out, cols = conv_forward(
                x_padded, kernel, strides, dilation, out_hw, groups, self.saved_cols,
                _epilogue(bias, relu),
            )  # (N, OH, OW, C_out)  # fmt: skip
            self.saved = cols if self.saved_cols else (x_padded if keep else None)
        self.out = out if relu and is_grad_enabled() else None  # ReLU's gradient needs y > 0
        return out

    def backward(self, grad):
        if self.winograd:  # masks dY and sums db chunk by chunk
            return self._winograd_backward(grad)
        if self.direct:  # likewise, block by block
            return self._direct_backward(grad)
        strides, dilation, amounts, mode, groups = self.options
        grads = [None] * len(self.inputs)
        if self.out is not None:  # a fused ReLU first: dY · [y > 0]
            grad = relu_gradient(grad, self.out)
        if self.needs_grad[0]:  # dX = col2im(dY · Wᵀ), then un-pad: crop, or fold the border back
            if self.depthwise:
                dx = depthwise_input_grad(grad, self.kernel, self.padded_shape, strides, dilation)
            else:
                dx = conv_input_grad(
                    grad, self.kernel, self.padded_shape, strides, dilation, groups
                )
            grads[0] = unpad_gradient(dx, amounts, mode)
        if self.needs_grad[1]:  # dW = colsᵀ · dY
            if self.depthwise:
                grads[1] = depthwise_kernel_grad(
                    self.saved, grad, self.kernel.shape, strides, dilation
                )
            elif self.saved_cols:
                grads[1] = conv_kernel_grad(self.saved, grad, self.kernel.shape)
            else:
                grads[1] = conv_kernel_grad_from_input(
                    self.saved, grad, self.kernel.shape, strides, dilation, groups
                )
        if len(self.inputs) == 3 and self.needs_grad[2]:  # db = Σ dY over batch and pixels
            grads[2] = bias_grad(grad)
        return self._cast(grads)

    def _winograd_backward(self, grad):
        """dX, dW and db in one pass of image chunks (kernels/winograd.py), the fused ReLU's mask
        applied there."""
        amounts, mode = self.options[2:4]
        has_bias = len(self.inputs) == 3 and self.needs_grad[2]
        dx, dw, db = winograd_grads(
            grad, self.kernel, self.padded_shape, self.saved if self.needs_grad[1] else None,
            input_grad=self.needs_grad[0], relu_output=self.out, bias_grad=has_bias,
        )  # fmt: skip
        dx = None if dx is None else unpad_gradient(dx, amounts, mode)
        return self._cast([dx, dw, db][: len(self.inputs)])

    def _direct_backward(self, grad):
        """dX, dW and db from the direct kernels (kernels/direct.py), the fused ReLU's mask applied
        as they read dY."""
        amounts, mode = self.options[2:4]
        dx, dw, db = direct_grads(
            grad, self.kernel, self.saved, self.padded_shape, self.out, self.needs_grad[0]
        )
        dx = None if dx is None else unpad_gradient(dx, amounts, mode)
        db = db if len(self.inputs) == 3 and self.needs_grad[2] else None
        return self._cast([dx, dw, db][: len(self.inputs)])

    def _cast(self, grads):
        return tuple(
            g if g is None else g.astype(t, copy=False)
            for g, t in zip(grads, self.dtypes, strict=True)
        )


def _epilogue(bias, relu: bool):
    """What runs on each chunk of the output, in place, while it is still in cache: the bias,
    then the ReLU (one pass each over memory saved, and the separate ReLU op's array). None
    when there is nothing to do."""
    xp = backend.xp
    if bias is None and not relu:
        return None

    def finish(y):
        if bias is not None:
            if y.flags.c_contiguous and y.ndim == 4:  # rows of OW·C values: a few channels'
                rows = y.reshape(-1, y.shape[2] * y.shape[3])  # broadcast ran C at a time
                rows += xp.tile(bias, y.shape[2])  # (128, 28, 28, 6): 0.45 -> 0.12 ms
            else:
                y += bias
        if relu:
            xp.maximum(y, 0, out=y)

    return finish


def named_conv2d(
    x,
    kernel,
    bias,
    strides,
    padding,
    dilation_rate,
    groups,
    data_format,
    padding_mode,
    op="conv2d",
    activation=None,
):
    """conv2d, with ``op`` (the public name the user called) in every error message."""
    if activation not in (None, "relu"):
        raise ValueError(
            f'{op}: activation must be None or "relu" (fused), received {activation!r}.'
        )
    x, kernel = as_tensor(x), as_tensor(kernel)
    bias = None if bias is None else as_tensor(bias)
    axes = spatial_axes(data_format, op)
    options = _conv2d_options(op, x, kernel, bias, axes, strides, padding, dilation_rate, groups)
    check_pad_sizes(x.shape, options["amounts"], check_padding_mode(padding_mode, op), axes, op)
    if axes == (2, 3):
        x = transpose(x, TO_CHANNELS_LAST)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv2D.apply(*inputs, mode=padding_mode, relu=activation == "relu", **options)
    return transpose(y, TO_CHANNELS_FIRST) if axes == (2, 3) else y


def _conv2d_options(op, x, kernel, bias, axes, strides, padding, dilation_rate, groups):
    """Validate conv2d's arguments; resolve them to Conv2D's explicit attributes."""
    strides = to_pair(strides, f"{op}: strides")
    dilation = to_pair(dilation_rate, f"{op}: dilation_rate")
    groups = check_groups(op, groups)
    check_rank(op, "input", x, 4, _LAYOUTS[axes])
    check_rank(op, "kernel", kernel, 4, _KERNEL_LAYOUT)
    KH, KW, Cg, filters = kernel.shape
    channel_axis = -1 if axes == (1, 2) else 1
    check_channels(
        op, x, Cg * groups, channel_axis, f"the kernel's C_in * groups = {Cg} * {groups}"
    )
    if filters % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide the number of filters, received a kernel of shape "
            f"{kernel.shape} with {filters} filters."
        )
    check_bias(op, bias, filters)
    spatial = tuple(x.shape[a] for a in axes)
    try:
        amounts = resolve_padding(padding, spatial, (KH, KW), strides, dilation)
    except ValueError as error:
        raise ValueError(f"{op}: {error}") from None
    out_hw = output_hw(op, spatial, (KH, KW), strides, amounts, dilation, x.shape, kernel.shape)
    return dict(strides=strides, dilation=dilation, amounts=amounts, groups=groups, out_hw=out_hw)


def conv2d(
    x,
    kernel,
    bias=None,
    strides=1,
    padding="valid",
    dilation_rate=1,
    groups=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
    activation=None,
) -> Tensor:
    """2-D convolution (cross-correlation, as Keras and PyTorch) of a batch of images.

    Args:
        x: (N, H, W, C) or, with ``data_format="channels_first"``, (N, C, H, W).
        kernel: (KH, KW, C / groups, C_out), Keras's layout.
        bias: optional (C_out,), one value per filter.
        strides, dilation_rate: an int or a pair (S_h, S_w) / (D_h, D_w).
        padding: ``"valid"``, ``"same"`` (Keras/TensorFlow: the odd pixel at the bottom/right),
            an int P, a pair (P_h, P_w) or ``((top, bottom), (left, right))``.
        groups: channels split into ``groups`` blocks, each with C_out / groups filters
            (``groups = C`` with one input channel each is a depthwise convolution).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        padding_mode: ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.
        activation: None, or ``"relu"`` for ``relu(conv2d(...))`` fused into the convolution:
            the bias and the ReLU are applied to each chunk of the output while it is in
            cache, and no separate ReLU op keeps its own arrays.

    Returns:
        A Tensor (N, OH, OW, C_out) (channels first: (N, C_out, OH, OW)) with
        ``OH = floor((H + P_top + P_bottom - D (KH - 1) - 1) / S) + 1``, the lecture's
        ``(N + 2P - F)/S + 1``. float32 stays float32; float64 stays float64.

    Raises:
        ValueError: for a wrong rank, an empty axis, channels that do not match the kernel, groups
            that do not divide channels or filters, an unknown padding, mode or data_format,
            non-positive strides or dilation, or a kernel larger than the padded input.

    Example:
        >>> import numpy as np
        >>> image = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], float)
        >>> kernel = np.array([[1, 0], [1, -1]], float)    # the lecture's stride slide
        >>> conv2d(image[None, :, :, None], kernel[:, :, None, None]).numpy()[0, :, :, 0]
        array([[4., 1., 6.],
               [5., 8., 7.],
               [5., 3., 3.]])
    """
    return named_conv2d(
        x, kernel, bias, strides, padding, dilation_rate, groups, data_format, padding_mode,
        activation=activation,
    )  # fmt: skip
