"""The ``pad`` op and the checks every op shares for its spatial arguments.

:func:`pad` pads the two spatial axes in one of four modes (kernels/padding.py does the array
work, and its gradient); :func:`to_pair`, :func:`spatial_axes`, :func:`check_padding_mode` and
:func:`check_pad_sizes` validate the arguments of pad, conv and pool with messages naming the op.
The output-size arithmetic lives in kernels/geometry.py.
"""

from __future__ import annotations

import math

from ..arguments import check_fits_in_memory
from ..kernels.geometry import is_int, resolve_padding
from ..kernels.padding import pad_array, unpad_gradient
from ..tensor import Function, Tensor, as_tensor


def to_pair(value, name: str) -> tuple[int, int]:
    """A stride, dilation, kernel or pool size (an int or a pair) as a pair of positive ints.

    Raises:
        ValueError: naming ``name``, for anything else.
    """
    pair = (value, value) if is_int(value) else tuple(value) if _iterable(value) else ()
    if len(pair) != 2 or not all(is_int(v) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, received {value!r}.")
    if any(v < 1 for v in pair):
        raise ValueError(f"{name} must be positive, received {value!r}.")
    return int(pair[0]), int(pair[1])


def _iterable(value) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, str)


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
DATA_FORMATS = ("channels_last", "channels_first")


def check_padding_mode(mode, op: str = "pad") -> str:
    """``mode`` if it is one of :data:`PADDING_MODES`, else a ValueError listing them."""
    if mode not in PADDING_MODES:
        raise ValueError(
            f"{op}: unknown padding mode {mode!r}; expected one of {', '.join(PADDING_MODES)}."
        )
    return mode


def spatial_axes(data_format, op: str = "pad") -> tuple[int, int]:
    """The (H, W) axes of a 4-D tensor: ``(1, 2)`` for channels_last, ``(2, 3)`` for first."""
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"{op}: unknown data_format {data_format!r}; expected one of {', '.join(DATA_FORMATS)}."
        )
    return (1, 2) if data_format == "channels_last" else (2, 3)


def check_pad_sizes(shape, amounts, mode, axes, op: str = "pad") -> None:
    """PyTorch's limits: reflect needs P < size, circular P <= size, replicate a non-empty axis;
    and any padding must leave an array that fits in memory (counted at 4 bytes a value)."""
    padded = list(shape)
    for axis, pair in zip(axes, amounts, strict=True):
        padded[axis] += sum(pair)
    check_fits_in_memory(
        4 * math.prod(padded), f"padding {tuple(amounts)} of an input of shape {tuple(shape)}", op
    )
    for axis, pair in zip(axes, amounts, strict=True):
        n = shape[axis]
        too_big = (mode == "reflect" and max(pair) >= n) or (mode == "circular" and max(pair) > n)
        if too_big or (mode != "zeros" and n == 0 and max(pair) > 0):
            limit = "smaller than" if mode == "reflect" else "at most"
            raise ValueError(
                f"{op}: {mode} padding must be {limit} the size of the padded axis; received "
                f"padding {pair} for axis {axis} of size {n} (input shape {tuple(shape)})."
            )


class Pad(Function):
    def forward(self, x, amounts, mode, axes):
        self.amounts, self.mode, self.axes = amounts, mode, axes
        return pad_array(x, amounts, mode, axes)

    def backward(self, grad):  # zeros: crop; other modes: fold the border onto its source pixels
        return unpad_gradient(grad, self.amounts, self.mode, self.axes)


def pad(x, padding, mode: str = "zeros", data_format: str = "channels_last") -> Tensor:
    """Pad the two spatial axes of a batch of images.

    Args:
        x: a 4-D Tensor or array, (N, H, W, C) or (N, C, H, W).
        padding: an int P (P on every side), a pair ``(P_h, P_w)``, or
            ``((top, bottom), (left, right))``.
        mode: ``"zeros"``, ``"reflect"`` (mirror without repeating the edge, as PyTorch and
            NumPy's ``reflect``), ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        A Tensor of shape (N, H + top + bottom, W + left + right, C) (or channels first).

    Raises:
        ValueError: for an unknown mode or data_format, a malformed or negative padding, an
            input that is not 4-D, reflect padding not smaller than the axis (circular: larger).

    Example:
        >>> import numpy as np
        >>> x = np.arange(3.0).reshape(1, 1, 3, 1)
        >>> pad(x, ((0, 0), (2, 1)), mode="reflect").numpy()[0, 0, :, 0].tolist()
        [2.0, 1.0, 0.0, 1.0, 2.0, 1.0]
    """
    x = as_tensor(x)
    check_padding_mode(mode)
    axes = spatial_axes(data_format)
    if x.ndim != 4:
        raise ValueError(
            f"pad: expected a 4-D input (batch, two spatial axes, channels), received shape "
            f"{x.shape}."
        )
    if isinstance(padding, str):
        raise ValueError(
            f"pad: padding must be an int, a pair or ((top, bottom), (left, right)), received "
            f"{padding!r}."
        )
    amounts = resolve_padding(padding, None, None)
    check_pad_sizes(x.shape, amounts, mode, axes)
    return Pad.apply(x, amounts=amounts, mode=mode, axes=axes)
