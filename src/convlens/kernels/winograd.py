"""Winograd F(2×2, 3×3): a 3×3, stride-1 convolution with 2.25x fewer multiplications (NHWC).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015), section 4. Each 2×2
block of outputs is computed from the 4×4 input tile d above it (tiles overlap by 2) as

    forward   Y  = Aᵀ [ (G W Gᵀ) ⊙ (Bᵀ d B) ] A          U = G W Gᵀ, V = Bᵀ d B, M = U ⊙ V
    input     dV = dM · Uᵀ with dM = A dY Aᵀ,  dd = B dV Bᵀ added back into the overlapping tiles
    kernel    dU = Σ_tiles Vᵀ · dM,  dW = Gᵀ dU G

The ⊙ is over the 16 tile positions and sums over channels, so it is 16 matrix products
(tiles × C) · (C × C_out): one BLAS ``matmul`` on a (16, T, C) @ (16, C, C_out) layout, 16
multiplies per tile and channel pair where the direct convolution spends 4·9 = 36. The four
tile transforms around it (V, Y and their adjoints) are single-pass Numba kernels
(kernels/compiled/winograd.py), run on image chunks small enough that V and M stay in L2 between
the kernel and the GEMM, the chunks spread over kernels/parallel.py's threads.

Numba is an optional dependency (the ``fast`` extra), imported when a Winograd layer first
runs: without it :func:`compiled` is None and the plan (kernels/conv_plan.py) takes im2col.
Measured on 2 cores (AVX-512), float32, batch 128, one thread, median ms, padded input given:
NumPy transforms (7 to 12 strided passes each) -> per-tile kernels -> the per-tile-row kernels
of today:
layer (H, W, C -> C_out)   forward             forward + dX + dW
32×32×32 -> 32             32 -> 26 -> 18      97 -> 81 -> 52
16×16×32 -> 64             13 -> 10 -> 8       38 -> 30 -> 23
16×16×64 -> 64             23 -> 16 -> 14      69 -> 49 -> 41
Of the 18 ms, the GEMMs take 10 (~55 GFLOP/s: K = C is small), the input transform 3.5 and
the output transform 2.5 (kernels/compiled/winograd.py has each kernel's figures). Compiling the
kernels for a dtype takes ~5 s once (then cached in ``__pycache__``: ~0.5 s to load);
float32 results are within 1e-6 of float64 (relative to the largest value) on these layers.
"""

from __future__ import annotations

from .. import backend
from . import parallel
from .compiled import compiled as load_kernels
from .padding import PaddedInput, pad_array

TILE_CHUNK_BYTES = 1 << 20
"""The 16 transformed tiles of an image chunk (V and M) take about this many bytes, so they stay
in the 1 MiB L2 of a core between the transform and the GEMM. Measured (one thread, batch 128,
float32, forward, ms): 32×32×32 -> 32 with 1, 2, 4, 8 images a chunk (1 to 8 MiB) 23.6, 25.0,
26.7, 28.5; 16×16×64 -> 64 (0.5 to 4 MiB) 15.8, 15.5, 17.2, 17.6. Again with the per-tile-row
kernels, forward + dX + dW with 0.25, 0.5, 1, 2 MiB: 32×32×32 -> 32 53.0, 51.5, 51.3, 49.8;
16×16×64 -> 64 42.4, 42.6, 40.1, 47.0."""

_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def compiled():
    """kernels/compiled/winograd.py (Numba), or None when it cannot be imported (NumPy takes
    over)."""
    return load_kernels("winograd")


def tile_grid(out_hw):
    """(TH, TW): the number of 2×2 output tiles down and across (odd sizes round up)."""
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


def kernel_transform(kernel):
    """``U = G W Gᵀ`` for every channel pair: (3, 3, C, C_out) -> (16, C, C_out), position
    (k, l) of the 4×4 tile at 4k + l."""
    xp = backend.xp
    G = xp.asarray(_G, dtype=kernel.dtype)
    U = xp.einsum("ai,ijco,bj->abco", G, kernel, G)  # (4, 4, C, C_out)
    return xp.ascontiguousarray(U.reshape(16, *kernel.shape[2:]))  # (16, C, C_out)


def kernel_transform_adjoint(dU):
    """``dW = Gᵀ dU G``: (16, C, C_out) -> (3, 3, C, C_out)."""
    G = backend.xp.asarray(_G, dtype=dU.dtype)
    return backend.xp.einsum("ai,abco,bj->ijco", G, dU.reshape(4, 4, *dU.shape[1:]), G)


def winograd_forward(x, kernel, bias=None, relu=False):
    """The 3×3 stride-1 correlation of the padded input ``x`` (N, Hp, Wp, C) with ``kernel``
    (3, 3, C, C_out), plus ``bias`` (C_out,) when given: (N, Hp - 2, Wp - 2, C_out);
    ``relu`` applies the fused ReLU in the output transform."""
    xp, kernels = backend.xp, compiled()
    x = xp.ascontiguousarray(x)
    N, Hp, Wp, C = x.shape
    C_out = kernel.shape[-1]
    grid = tile_grid((Hp - 2, Wp - 2))
    U = kernel_transform(kernel)  # (16, C, C_out)
    bias = xp.zeros(C_out, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    out = xp.empty((N, Hp - 2, Wp - 2, C_out), dtype=x.dtype)

    def images(first, last):  # one thread's images, chunk by chunk in its own buffers
        buffers = _Buffers(last - first, grid, C, C_out, x.dtype)
        for start, stop in buffers.chunks:
            V, M = buffers.views(stop - start, "V", "M")  # (16, T, C), (16, T, C_out)
            start, stop = first + start, first + stop
            kernels.input_transform(x[start:stop], V)
            xp.matmul(V, U, out=M)  # M = U ⊙ V: 16 GEMMs (T, C) @ (C, C_out)
            kernels.output_transform(M, bias, out[start:stop], relu)

    parallel.map_chunks(lambda bounds: images(*bounds), parallel.split(N))
    return out


def winograd_grads(
    dy, kernel, padded_shape, x=None, input_grad=True, relu_output=None, bias_grad=False
):
    """The gradients of :func:`winograd_forward` for the upstream ``dy`` (N, OH, OW, C_out): dX
    of the padded input (``padded_shape``, (N, Hp, Wp, C); None unless ``input_grad``), dW
    (3, 3, C, C_out) when the padded input ``x`` is given, and db (C_out,) when ``bias_grad``.
    With ``relu_output`` (the fused ReLU's y), dY is masked by y > 0 as it is read, inside
    the transform's kernel, which also sums db from the same rows (measured in the CIFAR CNN's
    step, 2 cores, three alternating runs: 100 -> 98 ms and 23 MiB less peak memory, against a
    masking pass and a bias sum of their own over the whole of dY). dM = A dY Aᵀ is computed
    once per chunk and serves both dX and dW. V is recomputed from x in cache
    rather than kept from the forward pass: kept, it would be 4x the size of x (16 values per 4
    pixels; 67 MB for the 32×32×32 layer at batch 128) read back from memory, against ~3.5 ms
    to rebuild it (one thread). Keeping it was not measured."""
    xp, kernels = backend.xp, compiled()
    dy = xp.ascontiguousarray(dy)
    N, Hp, Wp, C = padded_shape
    C_out = dy.shape[-1]
    kernel_grad = x is not None
    x = xp.ascontiguousarray(x) if kernel_grad else None
    grid = tile_grid(dy.shape[1:3])
    if input_grad:  # the kernel is read for dX only
        Ut = xp.ascontiguousarray(kernel_transform(kernel).transpose(0, 2, 1))  # (16, C_out, C)
    dx = xp.empty(padded_shape, dtype=dy.dtype) if input_grad else None

    if relu_output is not None:
        relu_output = xp.ascontiguousarray(relu_output)
    no_mask = xp.empty((0, 0, 0, 0), dtype=dy.dtype)  # the kernel's "no ReLU" and "no bias"
    no_sum = xp.empty(0, dtype=dy.dtype)

    def images(first, last):  # one thread's images: its share of dx, its partial dU and db
        dU = xp.zeros((16, C, C_out), dtype=dy.dtype) if kernel_grad else None
        db = xp.zeros(C_out, dtype=dy.dtype) if bias_grad else None
        buffers = _Buffers(last - first, grid, C, C_out, dy.dtype)
        for start, stop in buffers.chunks:
            n, start, stop = stop - start, first + start, first + stop
            dM, V = buffers.views(n, "M", "V")  # (16, T, C_out), (16, T, C): dV, then V
            y = no_mask if relu_output is None else relu_output[start:stop]
            kernels.output_transform_adjoint(dy[start:stop], y, dM, no_sum if db is None else db)
            if input_grad:  # dV = dM · Uᵀ, 16 GEMMs (T, C_out) @ (C_out, C)
                xp.matmul(dM, Ut, out=V)
                kernels.input_transform_adjoint(V, dx[start:stop])
            if kernel_grad:  # dU = Σ_tiles Vᵀ · dM, 16 GEMMs (C, T) @ (T, C_out)
                kernels.input_transform(x[start:stop], V)
                dU += xp.matmul(V.transpose(0, 2, 1), dM)
        return dU, db

    partial = parallel.map_chunks(lambda bounds: images(*bounds), parallel.split(N))
    dw = kernel_transform_adjoint(sum(p[0] for p in partial)) if kernel_grad else None
    db = sum(p[1] for p in partial) if bias_grad else None
    return dx, dw, db


class _Buffers:
    """The scratch arrays of one thread's image chunks, allocated once per call and reused."""

    def __init__(self, N, grid, C, C_out, dtype):
        tiles = grid[0] * grid[1]  # per image
        per_image = 16 * tiles * (C + C_out) * dtype.itemsize
        self.chunks = parallel.fixed_ranges(N, per_image, TILE_CHUNK_BYTES)
        n = self.chunks[0][1]
        self.channels = {"V": C, "M": C_out}
        self.tiles, self.dtype, self.flat = tiles, dtype, {}
        for name, channels in self.channels.items():
            self.flat[name] = backend.xp.empty(16 * n * tiles * channels, dtype=dtype)

    def views(self, n, *names):
        """The named buffers, (16, T, channels), for a chunk of ``n`` images (the last chunk
        may be short)."""
        T = n * self.tiles
        shapes = [(16, T, self.channels[name]) for name in names]
        return [self.flat[name][: _size(s)].reshape(s) for name, s in zip(names, shapes)]


def _size(shape):
    return shape[0] * shape[1] * shape[2]


# ----- the route's three entry points (kernels/conv_routes.py calls them) -----
#
# When it pays (the plan's ``winograd_min_channels``), measured one thread pinned, batch 128,
# float32, "same" padding, median ms, im2col through conv2d (pad included) -> Winograd kernels
# on the padded input:
#     layer (H, W, C -> C_out)   forward        forward + dX + dW
#     32×32×3 -> 32              5.9 -> 11.1    17.9 -> 26.9 (so it stays im2col)
#     32×32×32 -> 32             35 -> 26       116 -> 78
#     16×16×32 -> 64             15.3 -> 9.9    48 -> 30
#     16×16×64 -> 64             29 -> 16       91 -> 48
# The CIFAR CNN's training step (2 threads): 270 ms with im2col only, 254 with the NumPy
# transforms, 208 with these.


def forward(x, kernel, bias, spec, relu: bool, keep: str | None):
    """``relu(x ⋆ kernel + bias)`` for ``x`` (N, H, W, C) padded as ``spec`` says, the bias and
    ReLU applied in the output transform: (N, OH, OW, C_out), and the padded input for dW
    (:class:`~.padding.PaddedInput`) when ``keep``; V is recomputed from it in backward."""
    x_padded = pad_array(x, spec.amounts, spec.mode)  # (N, Hp, Wp, C)
    out = winograd_forward(x_padded, kernel, bias, relu)
    return out, (PaddedInput(x_padded) if keep else None)


def input_grad(dy, kernel, spec):
    """dX of the padded input, (N, Hp, Wp, C)."""
    return winograd_grads(dy, kernel, spec.padded_shape)[0]


def kernel_grad(dy, saved: PaddedInput, spec):
    """dW (3, 3, C, C_out) from the padded input."""
    return winograd_grads(dy, None, spec.padded_shape, saved.x, input_grad=False)[1]


def gradients(dy, kernel, saved, spec, relu_output, input_grad, kernel_grad, bias_grad):
    """dX, dW and db in one pass of image chunks (each None unless wanted): dM = A dY Aᵀ once
    per chunk serves both, the fused ReLU's mask (``relu_output``, or None) and db taken as
    the transform reads dY."""
    x = saved.x if kernel_grad else None
    return winograd_grads(dy, kernel, spec.padded_shape, x, input_grad, relu_output, bias_grad)
