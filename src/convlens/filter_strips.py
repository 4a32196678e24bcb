"""A large photo filtered in horizontal strips, so memory stays bounded whatever its size.

:func:`convlens.filters.apply_kernel` hands a photo to :func:`filter_in_strips` when its output
has more than :data:`STRIP_PIXELS` pixels. Each strip of output rows reads only the input rows
under it (plus the kernel's reach), converted to float one strip at a time, and is computed by
the same grouped ``conv2d`` as a small photo; the padding of the whole photo is applied to each
strip's edges where they are the photo's edges. A 48-megapixel photo then costs its own uint8
array, the float output, and one strip.
"""

from __future__ import annotations

import numpy

from . import ops
from .kernels.geometry import resolve_padding
from .tensor import no_grad

STRIP_PIXELS = 1 << 20  # output pixels per strip


def can_stream(padding, padding_mode: str) -> bool:
    """Strips reproduce the whole-photo result for "same" and "valid" padding in every mode
    but circular (whose top border comes from the photo's bottom rows)."""
    return (
        isinstance(padding, str)
        and padding.lower() in ("same", "valid")
        and (padding_mode != "circular")
    )


def stride_pair(stride) -> tuple[int, int]:
    """``stride`` (an int or a pair) as a pair of positive ints, or a ValueError naming it."""
    pair = (stride, stride) if isinstance(stride, int) else stride
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in pair
    ):
        raise ValueError(
            f"apply_kernel: stride must be a positive int or a pair of them, received {stride!r}."
        )
    return pair


def filter_in_strips(image, weights, padding, padding_mode, strides) -> numpy.ndarray:
    """``image`` (H, W, C), any dtype, filtered channel by channel with ``weights`` (KH, KW):
    a float array (OH, OW, C) equal to the whole-photo computation."""
    H, W, C = image.shape
    (KH, KW), (SH, SW) = weights.shape, strides
    (top, bottom), (left, right) = resolve_padding(padding, (H, W), (KH, KW), (SH, SW))
    OH, OW = (H + top + bottom - KH) // SH + 1, (W + left + right - KW) // SW + 1
    dtype = image.dtype if image.dtype.kind == "f" else numpy.float64
    stacked = numpy.repeat(weights.astype(dtype)[:, :, None, None], C, axis=3)  # (KH, KW, 1, C)
    out = numpy.empty((OH, OW, C), dtype)
    rows = max(1, STRIP_PIXELS // OW)
    for r0 in range(0, OH, rows):
        r1 = min(OH, r0 + rows)
        first, last = r0 * SH - top, (r1 - 1) * SH + KH - top  # input rows [first, last)
        strip = _padded_rows(image, first, last, padding_mode).astype(dtype)  # (rows', W, C)
        amounts = ((0, 0), (left, right))  # rows come padded; columns as the whole photo's
        with no_grad():
            out[r0:r1] = ops.conv2d(
                strip[None], stacked, strides=(SH, SW), padding=amounts, groups=C,
                padding_mode=padding_mode,
            ).numpy()[0]  # fmt: skip
    return out


def _padded_rows(image, first: int, last: int, mode: str):
    """Rows ``first`` to ``last`` of ``image`` padded vertically in ``mode`` (row indices may
    run past either edge): each padded row is the image row the whole-photo padding would put
    there (reflect: mirrored without repeating the edge; replicate: the edge row; circular:
    wrapped; zeros: a row of zeros)."""
    H = image.shape[0]
    rows = numpy.arange(first, last)
    if mode == "reflect":
        rows = numpy.abs(rows)
        rows = numpy.where(rows >= H, 2 * (H - 1) - rows, rows)
    elif mode == "circular":
        rows = rows % H
    outside = (rows < 0) | (rows >= H)
    strip = image[numpy.clip(rows, 0, H - 1)]  # replicate, and the rows zeros will clear
    if mode == "zeros" and outside.any():
        strip[outside] = 0
    return strip
