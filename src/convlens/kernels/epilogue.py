"""What runs around a convolution's products: the bias and the ReLU fused after the forward
product, the ReLU's gradient and the bias's gradient before the backward ones.

Every route that does not fuse these into its own compiled loops (direct and Winograd do) calls
them; the ReLU op shares :func:`relu_gradient`.
"""

from __future__ import annotations

from .. import backend
from . import parallel


def epilogue(bias, relu: bool):
    """What runs on each chunk of a convolution's output, in place, while it is still in cache:
    the bias, then the ReLU (one pass each over memory saved, and the separate ReLU op's array).
    None when there is nothing to do."""
    xp = backend.xp
    if bias is None and not relu:
        return None

    def finish(y):
        if bias is not None:
            if y.flags.c_contiguous and y.ndim == 4:  # rows of OW·C values: a few channels'
                rows = y.reshape(-1, y.shape[2] * y.shape[3])  # broadcast ran C at a time
                rows += xp.tile(bias, y.shape[2])  # (128, 28, 28, 6): 0.45 -> 0.12 ms
            else:
                y += bias
        if relu:
            xp.maximum(y, 0, out=y)

    return finish


def relu_gradient(grad, y):
    """``dY · [y > 0]``: the gradient through a ReLU whose output was ``y`` (0 at y = 0, as
    every framework), row blocks on every thread. ReLU and the ReLU fused into conv2d share it."""
    xp = backend.xp
    out = xp.empty(y.shape, dtype=grad.dtype)
    parallel.by_rows(lambda g, y, out: xp.multiply(g, y > 0, out=out), grad, y, out)
    return out


def bias_grad(dy):
    """``db = Σ dY`` over the batch and every pixel: (C_out,). Whole rows are summed first,
    (N·OH, OW·C) down its first axis in long contiguous adds, then a row's OW pixels: 4x faster
    than einsum for a few channels (measured (128, 28, 28, 6): 0.41 -> 0.10 ms)."""
    N, OH, OW, C = dy.shape
    rows = dy.reshape(N * OH, OW * C).sum(axis=0)  # (OW·C,), a copy first if dy is strided
    return rows.reshape(OW, C).sum(axis=0)  # (C,)
