"""Independent convolution oracles for the tests (never imported by the package).

``naive_conv2d`` is the lecture's definition written as loops: line the kernel up with each
window, multiply, add up, place. ``naive_conv2d_transpose`` follows JAX's route (the one Keras 3
documents): spread the input S apart, pad it, correlate with the kernel rotated 180°; the
package follows TensorFlow's route (the input gradient of a convolution), so they meet only if
both are right. ``torch_conv2d`` and ``torch_conv2d_transpose`` ask PyTorch (NHWC in and out).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def padding_specs():
    """A padding in each form conv2d takes: a name, one int, or ((top, bottom), (left, right))."""
    pair = st.tuples(st.integers(0, 2), st.integers(0, 2))
    return st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2), st.tuples(pair, pair))


NUMPY_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
TORCH_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def naive_conv2d(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    amounts=((0, 0), (0, 0)),
    dilation=(1, 1),
    groups=1,
    mode="zeros",
):
    """NHWC cross-correlation by its definition; ``amounts`` = ((top, bottom), (left, right))."""
    x = np.pad(x, ((0, 0), *amounts, (0, 0)), mode=NUMPY_MODES[mode])
    N, H, W, C = x.shape
    KH, KW, Cg, F = kernel.shape
    (SH, SW), (DH, DW) = strides, dilation
    OH = (H - DH * (KH - 1) - 1) // SH + 1
    OW = (W - DW * (KW - 1) - 1) // SW + 1
    out = np.zeros((N, OH, OW, F))
    Fg = F // groups
    for oh in range(OH):
        for ow in range(OW):
            window = x[
                :,
                oh * SH : oh * SH + DH * (KH - 1) + 1 : DH,
                ow * SW : ow * SW + DW * (KW - 1) + 1 : DW,
            ]  # (N, KH, KW, C)
            for g in range(groups):
                part = window[..., g * Cg : (g + 1) * Cg]  # this group's channels
                w = kernel[..., g * Fg : (g + 1) * Fg]  # this group's filters
                out[:, oh, ow, g * Fg : (g + 1) * Fg] = np.einsum("nijc,ijco->no", part, w)
    return out if bias is None else out + bias


def keras_jax_transpose_padding(kernel_size, stride, dilation, padding, output_padding):
    """Keras 3's ``_convert_conv_transpose_padding_args_from_keras_to_jax``, restated."""
    span = (kernel_size - 1) * dilation + 1
    if padding == "valid":
        output_padding = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + output_padding
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def naive_conv2d_transpose(
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    padding="valid",
    output_padding=(None, None),
    dilation=(1, 1),
):
    """JAX's ``conv_transpose``: spread x by the strides, pad, correlate with the flipped kernel."""
    N, H, W, C = x.shape
    spread = np.zeros((N, (H - 1) * strides[0] + 1, (W - 1) * strides[1] + 1, C))
    spread[:, :: strides[0], :: strides[1]] = x
    pads = [
        keras_jax_transpose_padding(
            kernel.shape[a], strides[a], dilation[a], padding, output_padding[a]
        )
        for a in (0, 1)
    ]
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # rotate 180°, swap in and out channels
    return naive_conv2d(spread, flipped, bias, (1, 1), pads, dilation)


def torch_conv2d(
    torch,
    x,
    kernel,
    bias=None,
    strides=(1, 1),
    amounts=((0, 0), (0, 0)),
    dilation=(1, 1),
    groups=1,
    mode="zeros",
):
    """PyTorch's answer: F.pad in the mode, then F.conv2d; NHWC in and out, float64."""
    F = torch.nn.functional
    t = torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    (top, bottom), (left, right) = amounts
    t = F.pad(t, (left, right, top, bottom), mode=TORCH_MODES[mode])
    w = torch.tensor(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))  # (F, C/G, KH, KW)
    b = None if bias is None else torch.tensor(bias)
    y = F.conv2d(t, w, b, stride=strides, dilation=dilation, groups=groups)
    return y.numpy().transpose(0, 2, 3, 1)


def torch_conv2d_transpose(torch, x, kernel, strides, dilation, crops):
    """PyTorch's full transposed convolution, cropped (negative: zero-extended) by ``crops``."""
    t = torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    w = torch.tensor(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))  # (C_in, C_out, KH, KW)
    y = torch.nn.functional.conv_transpose2d(t, w, stride=strides, dilation=dilation)
    y = y.numpy().transpose(0, 2, 3, 1)
    for axis, (before, after) in zip((1, 2), crops, strict=True):
        widths = [(0, 0)] * 4
        widths[axis] = (max(-before, 0), max(-after, 0))
        y = np.pad(y, widths)
        y = y.take(range(max(before, 0), y.shape[axis] - max(after, 0)), axis=axis)
    return y
