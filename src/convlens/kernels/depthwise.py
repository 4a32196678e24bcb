"""Depthwise convolutions (one input channel per group): a multiply-accumulate per kernel tap.

A depthwise kernel would make G tiny GEMMs of im2col's patches; a multiply-accumulate per tap
over the whole batch is faster. Output channel c*M + m (M = depth multiplier) is input channel c
filtered by kernel[..., 0, c*M+m] (Keras's and TensorFlow's order). Each m is computed on its
own (N, OH, OW, C) plane, so every elementwise loop runs along the contiguous channel axis.
These functions take and return plain arrays of ``backend.xp``; the route's three entry points
are :func:`forward`, :func:`input_grad` and :func:`kernel_grad`.
"""

from __future__ import annotations

from .. import backend
from .epilogue import epilogue
from .im2col import tap
from .padding import PaddedInput, pad_array


def _depthwise_kernel(kernel, C):
    KH, KW, _, C_out = kernel.shape
    return kernel.reshape(KH, KW, C, C_out // C)  # (KH, KW, C, M)


def _planes(dy, C):
    """(N, OH, OW, C*M) as M contiguous planes (M, N, OH, OW, C)."""
    N, OH, OW, C_out = dy.shape
    planes = dy.reshape(N, OH, OW, C, C_out // C).transpose(4, 0, 1, 2, 3)  # (M, N, OH, OW, C)
    return backend.xp.ascontiguousarray(planes)


def depthwise_forward(x, kernel, out_hw, strides, dilation):
    """``Y[..., c, m] = Σ_ij x_ij[..., c] · W[i, j, c, m]`` over the taps: (N, OH, OW, C*M)."""
    N, _, _, C = x.shape
    KH, KW, _, C_out = kernel.shape
    w = _depthwise_kernel(kernel, C)  # (KH, KW, C, M)
    out = backend.xp.zeros((C_out // C, N, *out_hw, C), dtype=x.dtype)  # (M, N, OH, OW, C)
    product = backend.xp.empty(out.shape[1:], dtype=x.dtype)  # (N, OH, OW, C)
    for i in range(KH):
        for j in range(KW):
            window = tap(x, i, j, out_hw, strides, dilation)  # (N, OH, OW, C)
            for m in range(C_out // C):
                out[m] += backend.xp.multiply(window, w[i, j, :, m], out=product)
    return out.transpose(1, 2, 3, 4, 0).reshape(N, *out_hw, C_out)  # (N, OH, OW, C*M)


def depthwise_kernel_grad(x, dy, kernel_shape, strides, dilation):
    """``dW[i, j, c, m] = Σ_{n,oh,ow} x_ij[..., c] · dY[..., c, m]``, in the kernel's layout."""
    KH, KW, _, _ = kernel_shape
    C = x.shape[-1]
    planes = _planes(dy, C)  # (M, N, OH, OW, C)
    dw = backend.xp.empty((KH, KW, C, planes.shape[0]), dtype=dy.dtype)  # (KH, KW, C, M)
    for i in range(KH):
        for j in range(KW):
            window = tap(x, i, j, planes.shape[2:4], strides, dilation)  # (N, OH, OW, C)
            for m in range(planes.shape[0]):  # einsum contracts without a temporary
                dw[i, j, :, m] = backend.xp.einsum("nhwc,nhwc->c", window, planes[m])
    return dw.reshape(kernel_shape)  # (KH, KW, 1, C*M)


def depthwise_input_grad(dy, kernel, padded_shape, strides, dilation):
    """``dX_ij[..., c] += Σ_m dY[..., c, m] · W[i, j, c, m]``: the padded input's gradient."""
    KH, KW, _, _ = kernel.shape
    C = padded_shape[-1]
    planes = _planes(dy, C)  # (M, N, OH, OW, C)
    w = _depthwise_kernel(kernel, C)  # (KH, KW, C, M)
    dx = backend.xp.zeros(padded_shape, dtype=dy.dtype)
    product = backend.xp.empty(planes.shape[1:], dtype=dy.dtype)  # (N, OH, OW, C)
    for i in range(KH):
        for j in range(KW):
            window = tap(dx, i, j, planes.shape[2:4], strides, dilation)  # a view: += writes dx
            for m in range(planes.shape[0]):
                window += backend.xp.multiply(planes[m], w[i, j, :, m], out=product)
    return dx


# ----- the route's three entry points (kernels/conv_routes.py calls them) -----


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(depthwise(x) + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says: (N, OH, OW,
    C·M), and the padded input for dW (:class:`~.padding.PaddedInput`) when ``keep``."""
    x_padded = pad_array(x, spec.amounts, spec.mode)  # (N, Hp, Wp, C)
    out = depthwise_forward(x_padded, kernel, spec.out_hw, spec.strides, spec.dilation)
    finish = epilogue(bias, relu)
    if finish is not None:
        finish(out)
    return out, (PaddedInput(x_padded) if keep else None)


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C)."""
    return depthwise_input_grad(dy, kernel, spec.padded_shape, spec.strides, spec.dilation)


def kernel_grad(dy, saved: PaddedInput, spec):
    """dW (KH, KW, 1, C·M) from the padded input."""
    return depthwise_kernel_grad(saved.x, dy, spec.kernel_shape, spec.strides, spec.dilation)
