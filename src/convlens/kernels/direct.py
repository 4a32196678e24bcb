"""Direct convolution for few input channels: the three products as Numba loops (NHWC).

An image with one to a few channels gives im2col's GEMMs C_out columns and KH·KW·C rows of
contraction, shapes OpenBLAS runs at a third of its speed, and kernels/banded.py's wider products
pay for that with the band's zeros (1.6 to 1.8x the multiplications for LeNet-5) and a patch
matrix in memory. Here the kernels of kernels/compiled/direct.py multiply the input itself,
blocks of NB images side by side in the vector lanes, and fuse the passes around the products:
the zero padding, the bias and ReLU (forward), the ReLU's mask and the bias's gradient
(backward). Measured on 2 cores (AVX-512), one thread, float32, median ms, conv2d with bias and
ReLU fused, banded and im2col paths (kernels/im2col.py) -> direct:

    layer (5×5)               batch   forward        backward            inference
    28×28×1 -> 6 "same"       128     1.50 -> 0.56   1.08 -> 0.93 (dW)   1.53 -> 0.56
    14×14×6 -> 16 "valid"     128     1.41 -> 0.91   3.04 -> 2.04 (dX)   1.40 -> 0.75
    28×28×1 -> 6 "same"        32     0.44 -> 0.17   0.28 -> 0.25        0.44 -> 0.17
    14×14×6 -> 16 "valid"      32     0.39 -> 0.21   0.77 -> 0.51        0.39 -> 0.21

LeNet-5's training step at batch 128 (one thread): 10.5 -> 6.8 ms.

Numba is optional (the ``fast`` extra), imported when a layer first needs it: without it,
or on CuPy, the plan (kernels/conv_plan.py, whose ``direct_*`` thresholds say which layers
pay) sends these layers to the banded and im2col routes. Compiling the
kernels for a dtype and kernel width happens once, then they load from ``__pycache__``: LeNet-5's
first training step took 45 s on a fresh install here (14 s with ``CONVLENS_NUM_THREADS=1``,
which compiles no ``prange`` loops: compiling a loop for Numba's pool optimises the kernel it
calls again), the first step of every later process 0.8 s.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import backend
from . import compiled_threads, parallel
from .compiled import compiled as load_kernels
from .padding import PaddedInput, pad_array


def compiled():
    """kernels/compiled/direct.py (Numba), or None when it cannot be imported (NumPy takes over)."""
    return load_kernels("direct")


def direct_forward(x, kernel, bias, amounts, mode, relu: bool, keep: bool):
    """``relu(x ⋆ kernel + bias)`` for ``x`` (N, H, W, C) padded by ``amounts`` in ``mode``:
    (N, OH, OW, C_out), and the input's blocks for :func:`direct_grads` (None unless ``keep``).
    Zero padding is written into the blocks, not into a padded copy of x."""
    xp, kernels = backend.xp, compiled()
    if mode != "zeros":
        x, amounts = pad_array(x, amounts, mode), ((0, 0), (0, 0))
    x = xp.ascontiguousarray(x)
    N, H, W, C = x.shape
    KH, KW, _, C_out = kernel.shape
    (top, bottom), (left, right) = amounts
    Hp, Wp = H + top + bottom, W + left + right
    count = -(-N // kernels.NB)  # blocks of NB images
    blocks = xp.zeros((count if keep else 0, C, Hp, Wp * kernels.NB), dtype=x.dtype)
    w = xp.ascontiguousarray(kernel.transpose(3, 0, 1, 2))  # (C_out, KH, KW, C)
    b = xp.zeros(C_out, x.dtype) if bias is None else xp.ascontiguousarray(bias, dtype=x.dtype)
    y = xp.empty((N, Hp - KH + 1, Wp - KW + 1, C_out), dtype=x.dtype)
    rows, width = (top, top + H), (0,) * KW  # the rows x fills; KW, as a tuple's length

    if compiled_threads.threads():
        kernels.forward_in_parallel(x, top, left, w, b, relu, rows, width, blocks, count, y)
        return y, (blocks if keep else None)

    def run(bounds):  # one thread's blocks
        kernels.forward_images(x, top, left, w, b, relu, rows, width, blocks, *bounds, y)

    parallel.map_chunks(run, parallel.split(count))
    return y, (blocks if keep else None)


def direct_grads(dy, kernel, blocks, padded_shape, relu_output=None, input_grad=True):
    """The gradients of :func:`direct_forward` for the upstream ``dy`` (N, OH, OW, C_out): dX of
    the padded input (``padded_shape``; None unless ``input_grad``), dW (KH, KW, C, C_out) when
    the input ``blocks`` were kept (else None), and db (C_out,). With ``relu_output`` (the fused
    ReLU's y) dY is masked by y > 0 as the kernels read it. ``kernel`` is only read for dX:
    without it, its shape (KH, KW, C, C_out) will do."""
    xp, kernels = backend.xp, compiled()
    dy = xp.ascontiguousarray(dy)
    N, _, _, C_out = dy.shape
    KH, KW, C, _ = getattr(kernel, "shape", kernel)  # an array, or only its shape
    nothing = xp.empty((0, 0, 0, 0), dtype=dy.dtype)  # the kernels' "not wanted"
    y = nothing if relu_output is None else xp.ascontiguousarray(relu_output)
    dx = xp.empty(padded_shape, dtype=dy.dtype) if input_grad else nothing
    kept = nothing if blocks is None else blocks
    rotated = (  # (C, KH, KW, F); its shape alone tells the loops C and KH without dX
        xp.ascontiguousarray(kernel[::-1, ::-1].transpose(2, 0, 1, 3))
        if input_grad
        else xp.zeros((C, KH, KW, C_out), dtype=dy.dtype)
    )
    width, count = (0,) * KW, -(-N // kernels.NB)

    if compiled_threads.threads():  # each block its own dW and db, summed below
        dw = xp.zeros((count, C_out, KH * KW * C), dtype=xp.float64)
        db = xp.zeros((count, C_out), dtype=xp.float64)
        kernels.backward_in_parallel(kept, count, dy, y, rotated, width, dx, dw, db)
        parts = [(dw.sum(axis=0), db.sum(axis=0))]
    else:

        def run(bounds):  # one thread's blocks, and its share of dW and db
            dw = xp.zeros((C_out, KH * KW * C), dtype=xp.float64)
            db = xp.zeros(C_out, dtype=xp.float64)
            kernels.backward_images(kept, *bounds, dy, y, rotated, width, dx, dw, db)
            return dw, db

        parts = parallel.map_chunks(run, parallel.split(count))
    dw = sum(part[0] for part in parts).reshape(C_out, KH, KW, C).transpose(1, 2, 3, 0)
    db = sum(part[1] for part in parts)
    return (
        dx if input_grad else None,
        None if blocks is None else dw.astype(dy.dtype),
        db.astype(dy.dtype),
    )


# ----- the route's three entry points (kernels/conv_routes.py calls them) -----


class Blocks(NamedTuple):
    """The input's image blocks (count, C, Hp, Wp·NB) the forward pass kept for dW."""

    blocks: object


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(x ⋆ kernel + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says: (N, OH, OW,
    C_out), and what ``keep`` asks for dW: ``"blocks"`` (:class:`Blocks`), ``"input"``
    (:class:`~.padding.PaddedInput`, for another route's dW) or None."""
    y, blocks = direct_forward(x, kernel, bias, spec.amounts, spec.mode, relu, keep == "blocks")
    if keep == "blocks":
        return y, Blocks(blocks)
    if keep == "input":
        return y, PaddedInput(pad_array(x, spec.amounts, spec.mode))
    return y, None


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C): the direct loops on dY and the rotated kernel."""
    return direct_grads(dy, kernel, None, spec.padded_shape)[0]


def kernel_grad(dy, saved: Blocks, spec):
    """dW (KH, KW, C, C_out) from the kept image blocks."""
    return direct_grads(dy, spec.kernel_shape, saved.blocks, spec.padded_shape, None, False)[1]


def gradients(dy, kernel, saved, spec, relu_output, input_grad, kernel_grad, bias_grad):
    """dX, dW and db in one pass of the loops over dY's blocks (each None unless wanted), the
    fused ReLU's mask (``relu_output``, or None) applied as they read dY."""
    blocks = saved.blocks if kernel_grad else None
    dx, dw, db = direct_grads(dy, kernel, blocks, spec.padded_shape, relu_output, input_grad)
    return dx, dw, (db if bias_grad else None)
