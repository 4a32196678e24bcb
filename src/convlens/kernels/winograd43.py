"""Winograd F(4×4, 3×3): the forward pass of a 3×3, stride-1 convolution with 4x fewer
multiplications than the direct one (NHWC), where F(2×2, 3×3) (kernels/winograd.py) saves 2.25x.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015), section 4.2. Each 4×4
block of outputs comes from the 6×6 input tile d above it (tiles overlap by 2):

    Y = Aᵀ [ (G W Gᵀ) ⊙ (Bᵀ d B) ] A          U = G W Gᵀ (6×6), V = Bᵀ d B, M = U ⊙ V

36 multiplications per 16 outputs and channel pair, against 16 per 4 for F(2×2, 3×3): the
(36, T, C) @ (36, C, C_out) GEMM does 0.56x the work of F(2×2)'s (16, T', C) @ (16, C, C_out).
The price is accuracy: G has entries 1/6, 1/12 and 1/24 and Bᵀ and Aᵀ entries up to 8, so
float32 rounding grows: the largest error over the largest output, the CIFAR CNN's 32- and
64-channel layers with Glorot-scaled kernels, is 3e-6 to 9e-6 against F(2×2)'s 2e-7 to 3e-7
(a float32 direct sum: ~5e-7; float64: 1e-14 either way; tests/test_winograd43.py). So the plan
takes it for inference only (``no_grad``: ``predict``), where that is far below what a float32
network's outputs mean; training keeps F(2×2) forward and backward. Forced for training, the
gradients are F(2×2)'s (kernels/winograd.py): the same convolution's, whichever algorithm ran
forward, read from the padded input this forward pass keeps.

The tile transforms are the Numba kernels of kernels/compiled/winograd43.py; without Numba
:func:`compiled` is None and the plan takes another route.
"""

from __future__ import annotations

from .. import backend
from . import parallel, winograd
from .compiled import compiled as load_kernels
from .padding import PaddedInput, pad_array

TILE_CHUNK_BYTES = 1 << 20
"""V and M of an image chunk take about this many bytes (as kernels/winograd.py's chunks)."""

_G = (
    (1 / 4, 0.0, 0.0),
    (-1 / 6, -1 / 6, -1 / 6),
    (-1 / 6, 1 / 6, -1 / 6),
    (1 / 24, 1 / 12, 1 / 6),
    (1 / 24, -1 / 12, 1 / 6),
    (0.0, 0.0, 1.0),
)


def compiled():
    """kernels/compiled/winograd43.py (Numba), or None when it cannot be imported."""
    return load_kernels("winograd43")


def tile_grid(out_hw):
    """(TH, TW): the number of 4×4 output tiles down and across (sizes round up)."""
    return (out_hw[0] + 3) // 4, (out_hw[1] + 3) // 4


def kernel_transform(kernel):
    """``U = G W Gᵀ`` for every channel pair, computed in float64 and rounded once: (3, 3, C,
    C_out) -> (36, C, C_out), position (k, l) of the 6×6 tile at 6k + l."""
    xp = backend.xp
    G = xp.asarray(_G, dtype=xp.float64)
    U = xp.einsum("ai,ijco,bj->abco", G, kernel.astype(xp.float64), G)  # (6, 6, C, C_out)
    return xp.ascontiguousarray(U.reshape(36, *kernel.shape[2:]), dtype=kernel.dtype)


def winograd43_forward(x, kernel, bias=None, relu=False, zeros=((0, 0), (0, 0))):
    """The 3×3 stride-1 correlation of ``x`` (N, H, W, C), padded with ``zeros`` =
    ((top, bottom), (left, right)) rows and columns of zeros, with ``kernel`` (3, 3, C, C_out),
    plus ``bias`` (C_out,) when given, ReLU'd when ``relu``: (N, Hp - 2, Wp - 2, C_out). Each
    image chunk is copied into column groups (each tile's six columns, with the zero border:
    no padded copy of x is made; kernels/compiled/winograd43.py), so that every transform loop
    is flat, and the output comes back from them."""
    xp, kernels = backend.xp, compiled()
    N, H, W, C = x.shape
    (top, bottom), (left, right) = zeros
    Hp, Wp = H + top + bottom, W + left + right
    OH, OW, C_out = Hp - 2, Wp - 2, kernel.shape[-1]
    TH, TW = tile_grid((OH, OW))
    U = kernel_transform(kernel)  # (36, C, C_out)
    bias = xp.zeros(C_out, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    out = xp.empty((N, OH, OW, C_out), dtype=x.dtype)
    per_image = 36 * TH * TW * (C + C_out) * x.dtype.itemsize

    def images(first, last):  # one thread's images, chunk by chunk in its own buffers
        chunks = parallel.fixed_ranges(last - first, per_image, TILE_CHUNK_BYTES)
        n = chunks[0][1]
        T = n * TH * TW
        V_flat = xp.empty(36 * T * C, dtype=x.dtype)
        M_flat = xp.empty(36 * T * C_out, dtype=x.dtype)
        X = xp.zeros((n, 4 * TH + 2, 6, TW, C), dtype=x.dtype)  # tiles' columns; zero borders
        Y = xp.empty((n, 4 * TH, 4, TW, C_out), dtype=x.dtype)
        for start, stop in chunks:
            m, t = stop - start, (stop - start) * TH * TW
            V = V_flat[: 36 * t * C].reshape(36, t, C)  # (36, T, C)
            M = M_flat[: 36 * t * C_out].reshape(36, t, C_out)  # (36, T, C_out)
            start, stop = first + start, first + stop
            kernels.to_groups(x[start:stop], top, left, X[:m])
            kernels.input_transform(X[:m], V)
            xp.matmul(V, U, out=M)  # M = U ⊙ V: 36 GEMMs (T, C) @ (C, C_out)
            kernels.output_transform(M, bias, Y[:m], relu)
            kernels.from_groups(Y[:m], out[start:stop])

    parallel.map_chunks(lambda bounds: images(*bounds), parallel.split(N))
    return out


# ----- the route's entry points (kernels/conv_routes.py calls them); the gradients are
# kernels/winograd.py's F(2×2, 3×3), which read the padded input kept here -----


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(x ⋆ kernel + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says: (N, OH, OW,
    C_out), and the padded input for dW (:class:`~.padding.PaddedInput`) when ``keep``."""
    if spec.mode == "zeros":  # the zeros are written into the column groups
        out = winograd43_forward(x, kernel, bias, relu, spec.amounts)
        return out, (PaddedInput(pad_array(x, spec.amounts, spec.mode)) if keep else None)
    x_padded = pad_array(x, spec.amounts, spec.mode)  # (N, Hp, Wp, C)
    out = winograd43_forward(x_padded, kernel, bias, relu)
    return out, (PaddedInput(x_padded) if keep else None)


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C), by F(2×2, 3×3) (kernels/winograd.py)."""
    return winograd.input_grad(dy, kernel, spec)


def kernel_grad(dy, saved: PaddedInput, spec):
    """dW (3, 3, C, C_out) from the padded input, by F(2×2, 3×3)."""
    return winograd.kernel_grad(dy, saved, spec)


def gradients(dy, kernel, saved, spec, relu_output, input_grad, kernel_grad, bias_grad):
    """dX, dW and db in one pass of F(2×2, 3×3) (kernels/winograd.py's ``gradients``)."""
    return winograd.gradients(
        dy, kernel, saved, spec, relu_output, input_grad, kernel_grad, bias_grad
    )
