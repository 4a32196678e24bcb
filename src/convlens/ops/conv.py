"""conv2d: groups, dilation, strides, every padding form and mode, both data formats.

The lecture's convolution slides the kernel over the image, multiplies each window by it and sums
("line up the feature, multiply, add them up"). This op checks its arguments once, resolves them
to a :class:`~convlens.kernels.geometry.ConvSpec`, asks the plan (kernels/conv_plan.py) which
route computes each pass, and records a Function whose forward and backward run those routes
(kernels/conv_routes.py). Layouts are Keras's: inputs (N, H, W, C) by default, kernels (KH, KW,
C_in/groups, C_out). ``channels_first`` inputs are transposed to channels last and back (views).
conv1d, depthwise and separable convolutions (ops/conv_variants.py) and the transposed
convolution (ops/conv_transpose.py) reuse :func:`named_conv2d` and the validators."""

from __future__ import annotations

from typing import NamedTuple

from .. import backend
from ..kernels import conv_routes
from ..kernels.conv_plan import ConvPlan, conv_plan
from ..kernels.geometry import ConvSpec, resolve_padding
from ..kernels.padding import unpad_gradient
from ..tensor import Function, Tensor, as_tensor, is_grad_enabled
from .conv_checks import check_bias, check_channels, check_groups, check_rank, output_hw
from .padding import check_pad_sizes, check_padding_mode, spatial_axes, to_pair
from .shape import transpose

TO_CHANNELS_LAST, TO_CHANNELS_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
_LAYOUTS = {(1, 2): "(batch, height, width, channels)", (2, 3): "(batch, channels, height, width)"}
_KERNEL_LAYOUT = "(kernel_height, kernel_width, input_channels / groups, filters)"


def common_dtype(*arrays):
    """The dtype NumPy would compute ``arrays`` in; float32 stays float32."""
    return backend.xp.result_type(*(a.dtype for a in arrays))


def in_own_dtypes(grads, dtypes) -> tuple:
    """Each input's gradient in that input's dtype (the products ran in the common one)."""
    return tuple(
        g if g is None else g.astype(t, copy=False) for g, t in zip(grads, dtypes, strict=True)
    )


class Conv2D(Function):
    """Channels-last convolution of ``x``, each pass by the route of its plan (``self.plan``)."""

    def forward(self, x, kernel, bias=None, *, spec: ConvSpec, relu: bool):
        self.dtypes = [a.dtype for a in (x, kernel, bias) if a is not None]
        x, kernel = x.astype(spec.dtype, copy=False), kernel.astype(spec.dtype, copy=False)
        # Under no_grad (inference) nothing is kept: the patches stream through cache in chunks,
        # and the plan may take a forward route whose rounding differs from its gradients'.
        inference = not is_grad_enabled()
        self.spec, self.plan, self.kernel = spec, conv_plan(spec, inference), kernel
        keep = self.needs_grad[1] and not inference
        y, self.saved = conv_routes.forward(self.plan, spec, x, kernel, bias, relu, keep)
        self.out = y if relu and is_grad_enabled() else None  # ReLU's gradient needs y > 0
        return y

    def backward(self, grad):
        # dX of the padded input, then un-pad: crop, or fold the border back (padding modes)
        has_bias = len(self.inputs) == 3
        wanted = (self.needs_grad[0], self.needs_grad[1], has_bias and self.needs_grad[2])
        dx, dw, db = conv_routes.gradients(
            self.plan, self.spec, grad, self.kernel, self.saved, self.out, wanted
        )
        if dx is not None:
            dx = unpad_gradient(dx, self.spec.amounts, self.spec.mode)
        return in_own_dtypes((dx, dw, db)[: len(self.inputs)], self.dtypes)


class ShapeOnly(NamedTuple):
    """An array's shape and rank without the array: what the checks read, for plans."""

    shape: tuple
    ndim: int


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
    dtype = common_dtype(x, kernel, *(() if bias is None else (bias,)))
    spec = _remembered_spec(op, x, kernel, bias, axes, strides, padding, dilation_rate, groups,
                            padding_mode, dtype)  # fmt: skip
    if axes == (2, 3):
        x = transpose(x, TO_CHANNELS_LAST)
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    y = Conv2D.apply(*inputs, spec=spec, relu=activation == "relu")
    return transpose(y, TO_CHANNELS_FIRST) if axes == (2, 3) else y


_SPECS: dict = {}
_SPECS_KEPT = 256


def _remembered_spec(op, x, kernel, bias, *arguments) -> ConvSpec:
    """:func:`_conv2d_spec`, remembered for the same shapes and arguments: a layer asks again
    with the same ones at every step, and the checks cost ~20 µs a call (LeNet-5's step at
    batch 32 is ~2.5 ms). Only arguments of plain types (ints, strings, tuples of them) are
    remembered, so that ``True`` is never taken for ``1``; errors are never remembered."""
    axes, *options, dtype = arguments
    if not all(_plain(value) for value in options):
        return _conv2d_spec(op, x, kernel, bias, *arguments)
    bias_shape = None if bias is None else bias.shape
    key = (op, x.shape, kernel.shape, bias_shape, axes, *options, backend.numpy.dtype(dtype))
    spec = _SPECS.get(key)
    if spec is None:
        spec = _conv2d_spec(op, x, kernel, bias, *arguments)
        if len(_SPECS) >= _SPECS_KEPT:
            _SPECS.clear()
        _SPECS[key] = spec
    return spec


def _plain(value) -> bool:
    kind = type(value)
    return kind is int or kind is str or (kind is tuple and all(_plain(v) for v in value))


def _conv2d_spec(
    op, x, kernel, bias, axes, strides, padding, dilation_rate, groups, padding_mode, dtype
) -> ConvSpec:
    """Validate conv2d's arguments (``x`` and ``kernel``: anything with ``shape`` and ``ndim``);
    resolve them to the channels-last :class:`ConvSpec` of the convolution."""
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
    check_pad_sizes(x.shape, amounts, check_padding_mode(padding_mode, op), axes, op)
    N, C = x.shape[0], x.shape[-1 if axes == (1, 2) else 1]
    return ConvSpec(
        input_shape=(N, *spatial, C),
        kernel_shape=tuple(kernel.shape),
        strides=strides,
        dilation=dilation,
        amounts=amounts,
        mode=padding_mode,
        groups=groups,
        out_hw=out_hw,
        dtype=backend.numpy.dtype(dtype),
    )


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


def conv2d_plan(
    input_shape,
    kernel_shape,
    strides=1,
    padding="valid",
    dilation_rate=1,
    groups=1,
    data_format: str = "channels_last",
    padding_mode: str = "zeros",
    dtype="float32",
    inference: bool = False,
) -> ConvPlan:
    """The routes :func:`conv2d` takes for these shapes: which algorithm computes the forward
    pass, the input gradient and the kernel gradient, and why (kernels/conv_plan.py). No
    arrays needed; the arguments are :func:`conv2d`'s, checked the same way; ``inference``:
    the plan under ``no_grad`` (``predict``), whose forward pass may differ.

    Example:
        >>> conv2d_plan((128, 32, 32, 3), (3, 3, 3, 32), strides=2, padding="same").short()
        'im2col / banded / im2col'
    """
    kernel = ShapeOnly(tuple(kernel_shape), len(kernel_shape))
    x = ShapeOnly(tuple(input_shape), len(input_shape))
    axes = spatial_axes(data_format, "conv2d_plan")
    spec = _conv2d_spec(
        "conv2d_plan", x, kernel, None, axes, strides, padding, dilation_rate, groups,
        padding_mode, dtype,
    )  # fmt: skip
    return conv_plan(spec, inference)
