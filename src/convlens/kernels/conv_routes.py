"""The convolution routes behind one interface: a plan's passes, run.

Every route module (direct, winograd, depthwise, banded, im2col) has the same three entry
points, called with plain arrays and the convolution's :class:`~.geometry.ConvSpec`:

    forward(x, kernel, bias, spec, relu, keep)  -> y, record   x (N, H, W, C) before padding;
                                                               keep: what dW will read, or None
    input_grad(dy, kernel, spec)                -> dX of the padded input (N, Hp, Wp, C)
    kernel_grad(dy, record, spec)               -> dW (KH, KW, C/G, C_out)

The record is a typed value of the route's (``im2col.KeptPatches``, ``banded.KeptPatches``,
``direct.Blocks``) or ``padding.PaddedInput``. Direct and Winograd also have ``gradients``,
which computes dX, dW and db in one pass over dY with the fused ReLU's mask applied as it reads;
:func:`gradients` takes it when the plan gives all three passes to one of them. The ops
(ops/conv.py, ops/conv_transpose.py) call only this module and kernels/conv_plan.py.
"""

from __future__ import annotations

from .. import backend
from . import banded, conv_plan, depthwise, direct, im2col, winograd, winograd43
from .epilogue import bias_grad, relu_gradient
from .geometry import ConvSpec

ROUTE_MODULES = {
    "direct": direct,
    "winograd": winograd,
    "winograd4": winograd43,
    "depthwise": depthwise,
    "banded": banded,
    "im2col": im2col,
}


def forward(plan, spec: ConvSpec, x, kernel, bias, relu: bool, keep: bool):
    """The forward pass by ``plan.forward``: y (N, OH, OW, C_out) and, when ``keep``, the record
    that ``plan.kernel_grad`` reads (else None)."""
    route = ROUTE_MODULES[plan.forward]
    return route.forward(x, kernel, bias, spec, relu, plan.saves if keep else None)


def input_grad(plan, spec: ConvSpec, dy, kernel):
    """dX of the padded input by ``plan.input_grad``."""
    if plan.input_grad == "full_correlation":
        return full_correlation(dy, kernel, spec)
    return ROUTE_MODULES[plan.input_grad].input_grad(dy, kernel, spec)


def kernel_grad(plan, spec: ConvSpec, dy, record):
    """dW by ``plan.kernel_grad``, from the record the forward pass kept."""
    return ROUTE_MODULES[plan.kernel_grad].kernel_grad(dy, record, spec)


def gradients(plan, spec: ConvSpec, dy, kernel, record, relu_output, wanted):
    """dX (of the padded input), dW and db for the upstream ``dy``, each None unless
    ``wanted = (dx, dw, db)`` asks for it. ``relu_output`` is the fused ReLU's y (None without
    one): dY is masked by y > 0 first."""
    if plan.fused_gradients:
        route = ROUTE_MODULES[plan.forward]
        return route.gradients(dy, kernel, record, spec, relu_output, *wanted)
    if relu_output is not None:
        dy = relu_gradient(dy, relu_output)
    want_dx, want_dw, want_db = wanted
    return (
        input_grad(plan, spec, dy, kernel) if want_dx else None,
        kernel_grad(plan, spec, dy, record) if want_dw else None,
        bias_grad(dy) if want_db else None,
    )


# At stride 1 the input gradient is a convolution itself: the full correlation of dY with the
# kernel rotated 180° and its channel axes swapped (tinygrad's "conv backward is two
# convolutions"). One strided patch copy and one GEMM then replace col2im's KH×KW
# read-modify-write passes; the plan's ``full_correlation_max_ratio`` says when that pays.


def full_correlation(dy, kernel, spec: ConvSpec):
    """``dX = dY ⋆ rot180(W)ᵀ`` with dY zero-padded by KH-1, KW-1: (N, Hp, Wp, C), stride 1. The
    correlation takes the forward route the table picks for its own shape."""
    N, OH, OW, C_out = dy.shape
    KH, KW, C, _ = kernel.shape
    rotated = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (KH, KW, C_out, C), rotated 180°
    flipped = backend.xp.ascontiguousarray(rotated)
    inner = ConvSpec(
        input_shape=dy.shape,
        kernel_shape=flipped.shape,
        strides=(1, 1),
        dilation=(1, 1),
        amounts=((KH - 1, KH - 1), (KW - 1, KW - 1)),
        mode="zeros",
        groups=1,
        out_hw=spec.padded_shape[1:3],
        dtype=dy.dtype,
    )
    route = ROUTE_MODULES[conv_plan.table_plan(inner).forward]
    dx, _ = route.forward(dy, flipped, None, inner, False, None)
    return dx
