"""Matrix product with NumPy's ``matmul`` rules (1-D promotion, broadcast batch axes)."""

from __future__ import annotations

import numpy

from .. import backend
from ..arguments import check_axes
from ..kernels import parallel
from ..tensor import Function, Tensor, as_tensors
from .elementwise import multiply, unbroadcast
from .shape import reshape, transpose

PARALLEL_PRODUCT = 1 << 21
"""Products of at least this many multiply-adds are split by rows over the kernel threads
inside ``parallel.kernel_threads`` blocks, where BLAS runs on one thread."""


def product(a, b):
    """``a @ b``; inside a kernel-threads block a large 2-D product is computed in row blocks
    on every thread (measured, 2 cores: the CIFAR CNN's training step, whose Dense layer
    multiplies (128, 4096)·(4096, 256), 127 -> 123 ms)."""
    if (
        not parallel.in_kernel_threads()
        or a.ndim != 2
        or b.ndim != 2
        or a.shape[0] * a.shape[1] * b.shape[1] < PARALLEL_PRODUCT
    ):
        return a @ b
    xp = backend.xp
    out = xp.empty((a.shape[0], b.shape[1]), dtype=xp.result_type(a, b))
    rows = parallel.split(a.shape[0])
    parallel.map_chunks(lambda r: xp.matmul(a[r[0] : r[1]], b, out=out[r[0] : r[1]]), rows)
    return out


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return product(a, b)

    def backward(self, grad):  # dA = dY Bᵀ, dB = Aᵀ dY, summed over broadcast batch axes
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a  # (1, K): a vector on the left is a row
        b2 = b[:, None] if b.ndim == 1 else b  # (K, 1): a vector on the right is a column
        batch = numpy.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        grad = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))  # (..., N, M)
        a_grad = b_grad = None
        if self.needs_grad[0]:
            a_grad = unbroadcast(product(grad, b2.swapaxes(-1, -2)), a2.shape).reshape(a.shape)
        if self.needs_grad[1]:
            b_grad = unbroadcast(product(a2.swapaxes(-1, -2), grad), b2.shape).reshape(b.shape)
        return a_grad, b_grad


def matmul(a, b) -> Tensor:
    """The matrix product ``a @ b``.

    Raises:
        ValueError: when the inner dimensions differ, naming both shapes.
    """
    a, b = as_tensors((a, b))
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul does not take scalars; use multiply.")
    inner_a, inner_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: inner dimensions differ: {a.shape} @ {b.shape} ({inner_a} != {inner_b})."
        )
    return MatMul.apply(a, b)


def tensordot(x1, x2, axes=2) -> Tensor:
    """The sum of products over ``axes`` (NumPy's ``tensordot``), as one matrix product.

    ``axes`` is an int N (the last N axes of ``x1`` against the first N of ``x2``) or a pair of
    axis lists.

    Raises:
        ValueError: when the paired axes have different lengths.
    """
    a, b = as_tensors((x1, x2))
    if isinstance(axes, int):
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = (
            ([axes[0]] if isinstance(axes[0], int) else list(axes[0])),
            ([axes[1]] if isinstance(axes[1], int) else list(axes[1])),
        )
        a_axes = list(check_axes(tuple(a_axes), a.ndim, "tensordot", "axes[0]"))
        b_axes = list(check_axes(tuple(b_axes), b.ndim, "tensordot", "axes[1]"))
    if [a.shape[i] for i in a_axes] != [b.shape[i] for i in b_axes]:
        raise ValueError(
            f"tensordot: axes {a_axes} of {a.shape} and {b_axes} of {b.shape} differ in length."
        )
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    inner = int(numpy.prod([a.shape[i] for i in a_axes]))
    a2 = reshape(transpose(a, a_free + a_axes), (-1, inner))  # (free of a, K)
    b2 = reshape(transpose(b, b_axes + b_free), (inner, -1))  # (K, free of b)
    out_shape = tuple(a.shape[i] for i in a_free) + tuple(b.shape[i] for i in b_free)
    return reshape(MatMul.apply(a2, b2), out_shape)


def dot(x1, x2) -> Tensor:
    """NumPy's ``dot``: a product over the last axis of ``x1`` and the second-to-last of ``x2``
    (its only axis when 1-D); a scalar operand multiplies."""
    a, b = as_tensors((x1, x2))
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [0 if b.ndim == 1 else b.ndim - 2]))
