"""The transposed convolution (Keras's Conv2DTranspose), built from the convolution's own routes.

A transposed convolution is the input gradient of a convolution (its *adjoint*): its forward
pass is what conv2d's backward computes for dX (``col2im(X · Wᵀ)`` on the im2col route), and its
backward pass is that convolution's forward pass (``dX = im2col(dY) · W``) and kernel gradient
(``dW = im2col(dY)ᵀ · X``). So the plan of the adjoint convolution (kernels/conv_plan.py) picks
the routes, passes swapped: the transposed forward takes the adjoint's ``input_grad`` route.
Kernel layout (KH, KW, C_out, C_in), as Keras's Conv2DTranspose stores (kh, kw, filters, in).
"""

from __future__ import annotations

from .. import backend
from ..kernels import conv_routes
from ..kernels.conv_plan import ConvPlan, conv_plan
from ..kernels.epilogue import bias_grad
from ..kernels.geometry import ConvSpec, conv_transpose_output_size, conv_transpose_padding, is_int
from ..kernels.padding import PaddedInput, pad_array
from ..tensor import Function, Tensor, as_tensor
from .conv import TO_CHANNELS_FIRST, TO_CHANNELS_LAST, ShapeOnly, common_dtype, in_own_dtypes
from .conv_checks import check_bias, check_channels, check_rank
from .padding import spatial_axes, to_pair
from .shape import transpose


def adjoint_spec(x_shape, kernel_shape, strides, dilation, amounts, out_hw, dtype) -> ConvSpec:
    """The convolution whose input gradient the transposed convolution of ``x`` (N, H, W, C_in)
    is: its input is the transposed output padded by ``amounts`` and cut to the rows its windows
    reach, ``(H - 1) S + D (K - 1) + 1`` (a longer padded output, from ``output_padding``, has
    rows no window reads: their gradient is 0), its output has x's size."""
    needed = [
        (n - 1) * s + d * (k - 1) + 1
        for n, s, d, k in zip(x_shape[1:3], strides, dilation, kernel_shape[:2], strict=True)
    ]
    return ConvSpec(
        input_shape=(x_shape[0], *needed, kernel_shape[2]),
        kernel_shape=tuple(kernel_shape),
        strides=strides,
        dilation=dilation,
        amounts=((0, 0), (0, 0)),
        mode="zeros",
        groups=1,
        out_hw=tuple(x_shape[1:3]),
        dtype=backend.numpy.dtype(dtype),
    )


class Conv2DTranspose(Function):
    """Channels-last transposed convolution: the adjoint of a convolution of the output padded
    by ``amounts``, each pass by the adjoint's plan (``self.plan``)."""

    def forward(self, x, kernel, bias=None, *, strides, dilation, amounts, out_hw):
        self.dtypes = [a.dtype for a in (x, kernel, bias) if a is not None]
        dtype = common_dtype(x, kernel, *(() if bias is None else (bias,)))
        x, kernel = x.astype(dtype, copy=False), kernel.astype(dtype, copy=False)
        self.spec = adjoint_spec(x.shape, kernel.shape, strides, dilation, amounts, out_hw, dtype)
        self.plan, self.x, self.kernel, self.amounts = conv_plan(self.spec), x, kernel, amounts
        reached = conv_routes.input_grad(self.plan, self.spec, x, kernel)  # col2im(X · Wᵀ)
        out = _crop(reached, amounts, out_hw)  # (N, OH, OW, C_out)
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):  # the adjoint convolution's forward pass and kernel gradient
        grads = [None] * len(self.inputs)
        reached = self._reached(pad_array(grad, self.amounts))  # (N, Hn, Wn, C_out)
        if self.needs_grad[0] or self.plan.kernel_grad == "direct":  # dX = im2col(dY) · W
            dx, record = conv_routes.forward(
                self.plan, self.spec, reached, self.kernel, None, False, self.needs_grad[1]
            )
            grads[0] = dx if self.needs_grad[0] else None
        else:  # a first layer: dW rebuilds what it needs from dY itself
            record = PaddedInput(reached)
        if self.needs_grad[1]:  # dW = im2col(dY)ᵀ · X
            grads[1] = conv_routes.kernel_grad(self.plan, self.spec, self.x, record)
        if len(self.inputs) == 3 and self.needs_grad[2]:
            grads[2] = bias_grad(grad)
        return in_own_dtypes(grads, self.dtypes)

    def _reached(self, padded):
        """The rows and columns of the padded output that the adjoint's windows read."""
        Hn, Wn = self.spec.input_shape[1:3]
        return padded[:, :Hn, :Wn]


def _crop(reached, amounts, out_hw):
    """The transposed output (N, OH, OW, C): the padded output's rows ``top .. top + OH`` (and
    columns alike), where ``reached`` (N, Hn, Wn, C) holds its first Hn rows and the rest are 0."""
    (top, _), (left, _) = amounts
    N, Hn, Wn, C = reached.shape
    OH, OW = out_hw
    rows, columns = max(0, min(OH, Hn - top)), max(0, min(OW, Wn - left))
    if (rows, columns) == (OH, OW):
        return reached[:, top : top + OH, left : left + OW].copy()
    out = backend.xp.zeros((N, OH, OW, C), dtype=reached.dtype)
    out[:, :rows, :columns] = reached[:, top : top + rows, left : left + columns]
    return out


def _transpose_geometry(
    op, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format
):
    """Validate conv2d_transpose's arguments (``x``, ``kernel``: anything with ``shape`` and
    ``ndim``); the spatial axes, strides, dilation, the padding of the adjoint convolution's
    input and the output's (OH, OW)."""
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
    return axes, strides, dilation, amounts, out_hw


def conv2d_transpose_plan(
    input_shape,
    kernel_shape,
    strides=1,
    padding="valid",
    output_padding=None,
    dilation_rate=1,
    data_format: str = "channels_last",
    dtype="float32",
) -> ConvPlan:
    """The routes :func:`conv2d_transpose` takes for these shapes: the plan of the convolution
    it is the adjoint of, passes swapped (its forward pass is that convolution's dX).

    Example:
        >>> conv2d_transpose_plan((8, 7, 7, 16), (3, 3, 8, 16), strides=2).short()
        'banded / im2col / im2col'
    """
    op = "conv2d_transpose_plan"
    x = ShapeOnly(tuple(input_shape), len(input_shape))
    kernel = ShapeOnly(tuple(kernel_shape), len(kernel_shape))
    axes, strides, dilation, amounts, out_hw = _transpose_geometry(
        op, x, kernel, None, strides, padding, output_padding, dilation_rate, data_format
    )
    channels_last = tuple(x.shape[i] for i in (0, *axes, 3 if axes == (1, 2) else 1))
    adjoint = conv_plan(
        adjoint_spec(channels_last, kernel.shape, strides, dilation, amounts, out_hw, dtype)
    )
    return ConvPlan(
        forward=adjoint.input_grad,
        input_grad=adjoint.forward,
        kernel_grad=adjoint.kernel_grad,
        why=f"the adjoint convolution's plan, passes swapped: {adjoint.why}",
        keep_patches=adjoint.keep_patches,
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
    axes, strides, dilation, amounts, out_hw = _transpose_geometry(
        op, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format
    )
    if axes == (2, 3):
        x = transpose(x, TO_CHANNELS_LAST)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv2DTranspose.apply(
        *inputs, strides=strides, dilation=dilation, amounts=amounts, out_hw=out_hw
    )
    return transpose(y, TO_CHANNELS_FIRST) if axes == (2, 3) else y
