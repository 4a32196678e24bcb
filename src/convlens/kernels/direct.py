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
or on CuPy, :func:`use_direct` says no and kernels/im2col.py takes these layers. Compiling the
kernels for a dtype and kernel width takes ~6 s once (LeNet-5's first training step), then
they load from ``__pycache__`` (~0.4 s).
"""

from __future__ import annotations

from .. import backend
from . import parallel
from .compiled import compiled as load_kernels
from .padding import pad_array

DIRECT_MAX_CHANNELS = 8
"""At most this many input channels (C) for the direct kernels; above it im2col's GEMMs are
well shaped."""

DIRECT_MAX_FILTERS = 16
"""At most this many filters (C_out): each is a pass of its own over the input block, where a
GEMM's column blocking reuses every patch across filters."""

DIRECT_MIN_WIDTH = 5
"""At least this kernel width (KW): a loop's body unrolls the KW taps of a kernel row, one
load and store of the output row per KW multiply-adds. Narrower kernels lost, measured at one
thread, batch 128, forward + backward, ms, im2col or banded -> direct: 32×32×3 -> 32 3×3
15.7 -> 32.7, 16×16×8 -> 16 3×3 6.6 -> 6.9; 32×32×3 -> 16 5×5 came out even (20.1 -> 20.7, and
inference 10.5 -> 9.3); LeNet-5's layers win (the module docstring)."""

DIRECT_MIN_BATCH = 8
"""At least this many images: a block's NB vector lanes are computed whether or not images fill
them. Measured (one thread, forward + backward, ms, NumPy paths -> direct): LeNet-5's layers
at batch 4 0.17 -> 0.19 and 0.27 -> 0.39, at batch 8 0.26 -> 0.21 and 0.41 -> 0.37."""


def compiled():
    """kernels/compiled/direct.py (Numba), or None when it cannot be imported (NumPy takes over)."""
    return load_kernels("direct")


def use_direct(kernel_shape, strides, dilation, groups, dtype=None, batch=None) -> bool:
    """Whether the convolution takes the direct kernels: stride 1, dilation 1, one group, a
    kernel (KH, KW, C, C_out) with KW >= :data:`DIRECT_MIN_WIDTH`, C <=
    :data:`DIRECT_MAX_CHANNELS` and C_out <= :data:`DIRECT_MAX_FILTERS`, a ``batch`` of at
    least :data:`DIRECT_MIN_BATCH` images, float32 or float64, on NumPy with Numba
    importable."""
    _, KW, C, C_out = kernel_shape
    plain = (*strides, *dilation, groups) == (1, 1, 1, 1, 1)
    floating = dtype is None or backend.xp.dtype(dtype).char in "fd"
    return (
        plain
        and floating
        and (batch is None or batch >= DIRECT_MIN_BATCH)
        and KW >= DIRECT_MIN_WIDTH
        and C <= DIRECT_MAX_CHANNELS
        and C_out <= DIRECT_MAX_FILTERS
        and backend.xp is backend.numpy
        and compiled() is not None
    )


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

    def run(bounds):  # one thread's blocks
        kernels.forward_images(x, top, left, w, b, relu, rows, width, blocks, *bounds, y)

    parallel.map_chunks(run, parallel.split(count))
    return y, (blocks if keep else None)


def direct_grads(dy, kernel, blocks, padded_shape, relu_output=None, input_grad=True):
    """The gradients of :func:`direct_forward` for the upstream ``dy`` (N, OH, OW, C_out): dX of
    the padded input (``padded_shape``; None unless ``input_grad``), dW (KH, KW, C, C_out) when
    the input ``blocks`` were kept (else None), and db (C_out,). With ``relu_output`` (the fused
    ReLU's y) dY is masked by y > 0 as the kernels read it."""
    xp, kernels = backend.xp, compiled()
    dy = xp.ascontiguousarray(dy)
    N, _, _, C_out = dy.shape
    KH, KW, C, _ = kernel.shape
    nothing = xp.empty((0, 0, 0, 0), dtype=dy.dtype)  # the kernels' "not wanted"
    y = nothing if relu_output is None else xp.ascontiguousarray(relu_output)
    dx = xp.empty(padded_shape, dtype=dy.dtype) if input_grad else nothing
    kept = nothing if blocks is None else blocks
    rotated = xp.ascontiguousarray(kernel[::-1, ::-1].transpose(2, 0, 1, 3))  # (C, KH, KW, F)
    width = (0,) * KW

    def run(bounds):  # one thread's blocks, and its share of dW and db
        dw = xp.zeros((C_out, KH * KW * C), dtype=xp.float64)
        db = xp.zeros(C_out, dtype=xp.float64)
        kernels.backward_images(kept, *bounds, dy, y, rotated, width, dx, dw, db)
        return dw, db

    parts = parallel.map_chunks(run, parallel.split(-(-N // kernels.NB)))
    dw = sum(part[0] for part in parts).reshape(C_out, KH, KW, C).transpose(1, 2, 3, 0)
    db = sum(part[1] for part in parts)
    return (
        dx if input_grad else None,
        None if blocks is None else dw.astype(dy.dtype),
        db.astype(dy.dtype),
    )
