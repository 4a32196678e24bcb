"""ONNX converters for the layers with a spatial layout: the convolutions, the poolings, and
the layers that pad, crop or upsample images and sequences.

ONNX convolves and pools channels first (N, C, *spatial); a channels_last layer is wrapped in
two Transpose nodes (onnx_builder.in_channels_first). Padding is written out as explicit
amounts computed by kernels/geometry.py, the functions convlens itself uses, so "same" keeps
Keras's split (the odd cell after); a padding mode other than zeros becomes a Pad node.
"""

from __future__ import annotations

import numpy

from ..kernels.geometry import (
    conv_transpose_output_size,
    conv_transpose_padding,
    resolve_padding,
    same_padding,
)
from .onnx_builder import Call, NotExportable, in_channels_first, spatial_axes, weight
from .onnx_layers import apply_activation

_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_MAX_INT64 = numpy.iinfo(numpy.int64).max


def _sizes(layer, shape) -> list:
    """The spatial sizes of a Keras-layout shape (None where unknown)."""
    return [shape[axis] for axis in spatial_axes(layer, len(shape))]


def _conv_amounts(layer, sizes) -> list | None:
    """``[(before, after), ...]`` per spatial axis, or None for "same" on unknown sizes (ONNX
    then pads by SAME_UPPER, the same split)."""
    padding, rank = layer.padding, len(sizes)
    if padding == "valid":
        return [(0, 0)] * rank
    if padding == "causal":  # only the start: output t sees inputs up to t
        return [(d * (k - 1), 0) for k, d in zip(layer.kernel_size, layer.dilation_rate)]
    if padding == "same":
        if None in sizes:
            return None
        return [
            same_padding(n, k, s, d)
            for n, k, s, d in zip(sizes, layer.kernel_size, layer.strides, layer.dilation_rate)
        ]
    return [tuple(pair) for pair in resolve_padding(padding, (1, 1), (1, 1))]


def _onnx_pads(amounts) -> list:
    """ONNX's order: every axis's start, then every axis's end."""
    return [before for before, _ in amounts] + [after for _, after in amounts]


def _padded(g, layer, x, amounts):
    """``x`` (channels first) with ``amounts`` padded in a Pad node of layer.padding_mode, and
    the convolution's own pads (zeros: the pads go to the Conv node instead)."""
    mode = getattr(layer, "padding_mode", "zeros")
    if mode == "zeros":
        if amounts is None:
            return x, {"auto_pad": "SAME_UPPER"}
        return x, {"pads": _onnx_pads(amounts)}
    if amounts is None:
        raise NotExportable(f'padding_mode "{mode}" with "same" needs known spatial sizes')
    starts, ends = [before for before, _ in amounts], [after for _, after in amounts]
    pads = g.ints([0, 0, *starts, 0, 0, *ends], "pads")  # batch and channel axes unpadded
    return g.op("Pad", [x, pads], mode=_PAD_MODES[mode]), {"pads": [0] * 2 * len(amounts)}


def _conv_node(g, layer, x, kernel, bias, amounts, groups=1, hint="conv"):
    """One ONNX Conv of channels-first ``x`` by ``kernel`` (F, C/groups, *K)."""
    x, pads = _padded(g, layer, x, amounts)
    inputs = [x, g.const(kernel, f"{layer.name}_{hint}_kernel")]
    if bias is not None:
        inputs.append(g.const(weight(bias), f"{layer.name}_bias"))
    return g.op(
        "Conv",
        inputs,
        hint,
        kernel_shape=list(kernel.shape[2:]),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        group=groups,
        **pads,
    )


def _to_onnx_kernel(kernel) -> numpy.ndarray:
    """Keras's (*K, C_in/groups, F) as ONNX's (F, C_in/groups, *K)."""
    rank = kernel.ndim - 2
    return numpy.transpose(kernel, (rank + 1, rank, *range(rank)))


def convert_conv(g, call: Call):
    """Conv1D and Conv2D, grouped and dilated, any padding and padding mode."""
    layer = call.layer
    amounts = _conv_amounts(layer, _sizes(layer, call.shape))
    kernel = _to_onnx_kernel(weight(layer.kernel))

    def conv(x):
        return _conv_node(g, layer, x, kernel, layer.bias, amounts, layer.groups)

    out = in_channels_first(g, layer, call.x, len(call.shape), conv)
    return apply_activation(g, layer.activation, out)


def _depthwise_kernel(kernel) -> numpy.ndarray:
    """Keras's (KH, KW, C, M) as a grouped kernel (C·M, 1, KH, KW): output c·M + m is input
    channel c convolved with kernel[:, :, c, m], as ops.depthwise_conv2d orders them."""
    KH, KW, C, M = kernel.shape
    return numpy.transpose(kernel.reshape(KH, KW, C * M), (2, 0, 1))[:, None]  # (C·M, 1, KH, KW)


def convert_depthwise(g, call: Call):
    layer = call.layer
    amounts = _conv_amounts(layer, _sizes(layer, call.shape))
    kernel = weight(layer.kernel)

    def conv(x):
        depthwise = _depthwise_kernel(kernel)
        return _conv_node(g, layer, x, depthwise, layer.bias, amounts, kernel.shape[2])

    out = in_channels_first(g, layer, call.x, 4, conv)
    return apply_activation(g, layer.activation, out)


def convert_separable(g, call: Call):
    """The depthwise step (strides, padding, dilation) then the 1×1 pointwise step with bias."""
    layer = call.layer
    amounts = _conv_amounts(layer, _sizes(layer, call.shape))
    depthwise, pointwise = weight(layer.depthwise_kernel), weight(layer.pointwise_kernel)

    def conv(x):
        kernel = _depthwise_kernel(depthwise)
        mid = _conv_node(g, layer, x, kernel, None, amounts, depthwise.shape[2], "depthwise")
        inputs = [mid, g.const(_to_onnx_kernel(pointwise), f"{layer.name}_pointwise_kernel")]
        if layer.bias is not None:
            inputs.append(g.const(weight(layer.bias), f"{layer.name}_bias"))
        return g.op("Conv", inputs, "pointwise", kernel_shape=[1, 1])

    out = in_channels_first(g, layer, call.x, 4, conv)
    return apply_activation(g, layer.activation, out)


def convert_conv_transpose(g, call: Call):
    """ONNX ConvTranspose, cropped and extended to Keras's output size: the full output
    (N - 1) S + F_d loses ``before`` cells (geometry.conv_transpose_padding) at the start,
    and is cut or extended (output_padding) at the end to the length Keras gives."""
    layer, sizes = call.layer, _sizes(call.layer, call.shape)
    if None in sizes:
        raise NotExportable("a transposed convolution needs known spatial sizes")
    output_padding = layer.output_padding or (None,) * 2
    begins, ends, extra = [], [], []
    for i, n in enumerate(sizes):
        k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
        options = (n, k, s, layer.padding, output_padding[i], d)
        before, _ = conv_transpose_padding(*options)
        surplus = (n - 1) * s + d * (k - 1) + 1 - before - conv_transpose_output_size(*options)
        begins.append(before)
        ends.append(max(surplus, 0))
        extra.append(max(-surplus, 0))
    kernel = numpy.transpose(weight(layer.kernel), (3, 2, 0, 1))  # (C_in, F, KH, KW)

    def conv(x):
        inputs = [x, g.const(kernel, f"{layer.name}_kernel")]
        if layer.bias is not None:
            inputs.append(g.const(weight(layer.bias), f"{layer.name}_bias"))
        return g.op(
            "ConvTranspose",
            inputs,
            "conv_transpose",
            kernel_shape=list(layer.kernel_size),
            strides=list(layer.strides),
            dilations=list(layer.dilation_rate),
            pads=begins + ends,
            output_padding=extra,
        )

    out = in_channels_first(g, layer, call.x, 4, conv)
    return apply_activation(g, layer.activation, out)


# ----- pooling -----
def _pool_geometry(layer, sizes):
    """``(pool, strides, pads)`` as lists for ONNX, 1-D layers' ints made 1-tuples."""
    pool = [int(n) for n in numpy.atleast_1d(layer.pool_size)]
    strides = [int(n) for n in numpy.atleast_1d(layer.strides)]
    if layer.padding == "valid":
        return pool, strides, {"pads": [0] * 2 * len(pool)}
    if None in sizes:
        return pool, strides, {"auto_pad": "SAME_UPPER"}
    amounts = [same_padding(n, f, s) for n, f, s in zip(sizes, pool, strides)]
    return pool, strides, {"pads": _onnx_pads(amounts)}


def pooling(op_type, negate=False):
    """The converter of a max or average pooling layer (1-D or 2-D); ``negate`` makes max
    pooling min pooling, min(x) = -max(-x). Average pooling averages only real cells, as
    convlens does with "same" (count_include_pad=0)."""

    def convert(g, call: Call):
        layer = call.layer
        pool, strides, pads = _pool_geometry(layer, _sizes(layer, call.shape))
        extra = {"count_include_pad": 0} if op_type == "AveragePool" else {}

        def pool_op(x):
            x = g.op("Neg", [x]) if negate else x
            out = g.op(op_type, [x], kernel_shape=pool, strides=strides, **pads, **extra)
            return g.op("Neg", [out]) if negate else out

        return in_channels_first(g, layer, call.x, len(call.shape), pool_op)

    return convert


def global_pooling(op_type):
    """The converter of a global pooling layer: a reduction over the spatial axes."""

    def convert(g, call: Call):
        axes = spatial_axes(call.layer, len(call.shape))
        keepdims = int(call.layer.keepdims)
        return g.op(op_type, [call.x, g.ints(axes, "axes")], keepdims=keepdims)

    return convert


# ----- padding, cropping, upsampling -----
def convert_zero_padding(g, call: Call):
    """ZeroPadding1D/2D: a constant Pad on the spatial axes."""
    layer, ndim = call.layer, len(call.shape)
    pairs = layer.padding if ndim == 4 else (layer.padding,)
    begins, ends = [0] * ndim, [0] * ndim
    for axis, (before, after) in zip(spatial_axes(layer, ndim), pairs):
        begins[axis], ends[axis] = before, after
    return g.op("Pad", [call.x, g.ints(begins + ends, "pads")], mode="constant")


def convert_cropping(g, call: Call):
    """Cropping1D/2D: a Slice of the spatial axes (1-D layers crop axis 1)."""
    layer, ndim = call.layer, len(call.shape)
    pairs = layer.cropping if ndim == 4 else (layer.cropping,)
    axes = spatial_axes(layer, ndim)
    starts = [before for before, _ in pairs]
    ends = [-after if after else _MAX_INT64 for _, after in pairs]
    inputs = [call.x, g.ints(starts, "starts"), g.ints(ends, "ends"), g.ints(axes, "axes")]
    return g.op("Slice", inputs)


def convert_upsampling(g, call: Call):
    """UpSampling1D/2D: Resize by the integer factors, nearest (repeat) or bilinear with
    half-pixel centres (Keras's)."""
    layer, ndim = call.layer, len(call.shape)
    size = list(numpy.atleast_1d(layer.size))
    interpolation = getattr(layer, "interpolation", "nearest")
    if interpolation == "nearest":
        options = dict(mode="nearest", coordinate_transformation_mode="asymmetric")
        options["nearest_mode"] = "floor"
    else:
        options = dict(mode="linear", coordinate_transformation_mode="half_pixel")
    scales = g.const(numpy.asarray([1, 1, *size], numpy.float32), "scales", numpy.float32)

    def resize(x):
        return g.op("Resize", [x, "", scales], **options)

    return in_channels_first(g, layer, call.x, ndim, resize)
