"""Output sizes and padding amounts: the lecture's ``(N + 2P - F)/S + 1``, in one place.

Every shape computation in convlens calls :func:`conv_output_size`; every padding argument
(``"valid"``, ``"same"``, an int, a pair, or ``((top, bottom), (left, right))``) is resolved to
explicit amounts by :func:`resolve_padding`. :func:`pad` pads the spatial axes in one of four
modes; its gradient (:func:`unpad_gradient`) is reused by the convolutions.
"""

from __future__ import annotations

import numbers

from .. import backend
from ..tensor import Function, Tensor, as_tensor
from . import parallel


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


def is_int(value) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _iterable(value) -> bool:
    return hasattr(value, "__iter__") and not isinstance(value, str)


def conv_output_size(
    n: int, kernel_size: int, stride: int = 1, padding=0, dilation: int = 1
) -> int:
    """Output length of a convolution or pooling along one axis.

    ``floor((N + P_total - D (F - 1) - 1) / S) + 1``: the lecture's ``(N + 2P - F)/S + 1`` with
    dilation D, where ``padding`` is P on each side (an int) or the pair ``(before, after)``.

    Raises:
        ValueError: when the (dilated) kernel is larger than the padded input.

    Example:
        >>> conv_output_size(4, 2)              # the lecture's 4x4 image, 2x2 kernel
        3
        >>> conv_output_size(4, 2, stride=2)
        2
        >>> conv_output_size(4, 3, padding=1)   # P = 1 keeps the size of a 3x3 filter
        4
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    span = dilation * (kernel_size - 1) + 1
    padded = n + before + after
    if span > padded:
        raise ValueError(
            f"kernel of size {kernel_size}"
            + (f" (dilated to {span})" if dilation > 1 else "")
            + f" is larger than the padded input of size {padded} (input {n}, padding "
            f"{before}+{after})."
        )
    return (padded - span) // stride + 1


def same_padding(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Keras/TensorFlow ``"same"``: output ceil(N/S); the odd pixel of padding goes after.

    Total padding ``max((ceil(N/S) - 1) S + (F - 1) D + 1 - N, 0)``, split ``(total // 2, rest)``.

    Example:
        >>> same_padding(7, 2, stride=2)   # the X/O pooling: 7 -> 4, one row at the bottom
        (0, 1)
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + (kernel_size - 1) * dilation + 1 - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding, spatial_shape, kernel_size, strides=(1, 1), dilation=(1, 1)):
    """Explicit ``((top, bottom), (left, right))`` amounts for any accepted padding argument.

    Args:
        padding: ``"valid"``, ``"same"``, an int P (P on every side), a pair ``(P_h, P_w)``, or
            ``((top, bottom), (left, right))``.
        spatial_shape, kernel_size, strides, dilation: pairs ``(H, W)``.

    Raises:
        ValueError: for an unknown string or a malformed or negative amount.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            return tuple(
                same_padding(n, f, s, d)
                for n, f, s, d in zip(spatial_shape, kernel_size, strides, dilation, strict=True)
            )
        raise ValueError(
            f'Unknown padding {padding!r}; expected "valid", "same", an int, a pair, '
            "or ((top, bottom), (left, right))."
        )
    if is_int(padding):
        amounts = ((padding, padding), (padding, padding))
    else:
        try:
            parts = tuple(padding)
            amounts = tuple((p, p) if is_int(p) else tuple(p) for p in parts)
        except TypeError:
            amounts = ()
    valid = len(amounts) == 2 and all(
        len(pair) == 2 and all(is_int(v) for v in pair) for pair in amounts
    )
    if not valid:
        raise ValueError(
            f'Malformed padding {padding!r}; expected "valid", "same", an int, a pair, '
            "or ((top, bottom), (left, right))."
        )
    if any(v < 0 for pair in amounts for v in pair):
        raise ValueError(f"Padding must not be negative, received {padding!r}.")
    return tuple((int(before), int(after)) for before, after in amounts)


def conv_transpose_output_size(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis, as Keras computes it.

    ``"valid"``: ``(N - 1) S + max(F_d, S)``; ``"same"``: ``N S``; with ``output_padding``:
    ``(N - 1) S + F_d - 2P + output_padding``, P = ``F_d // 2`` for same and 0 for valid
    (``F_d = D (F - 1) + 1``, keras ``compute_conv_transpose_output_shape``).

    Example:
        >>> conv_transpose_output_size(3, 3, stride=2)                 # (3 - 1) * 2 + 3
        7
        >>> conv_transpose_output_size(3, 3, stride=2, padding="same")
        6
    """
    span = dilation * (kernel_size - 1) + 1
    if output_padding is None:
        return (n - 1) * stride + max(span, stride) if padding == "valid" else n * stride
    pad = span // 2 if padding == "same" else 0
    return (n - 1) * stride + span - 2 * pad + output_padding


def conv_transpose_padding(
    n: int,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> tuple[int, int]:
    """The padding ``(before, after)`` of the convolution that a transposed one transposes.

    A transposed convolution is the input gradient of a convolution whose *input* has the
    transposed output's length L: L padded by ``(before, after)`` and convolved ("valid", stride
    S) gives back the N positions. ``before`` is Keras's crop of the full output ``(N - 1) S +
    F_d`` (its JAX conversion ``_convert_conv_transpose_padding_args_from_keras_to_jax``);
    ``after`` only makes the padded length reach the full output.
    """
    span = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        left_pad = span - 1
    else:
        total = (
            stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
        )
        left_pad = min(total // 2 + total % 2, span - 1)
    before = span - 1 - left_pad
    length = conv_transpose_output_size(n, kernel_size, stride, padding, output_padding, dilation)
    return before, max((n - 1) * stride + span, before + length) - before - length


# ----- the pad op: four modes, and the gradient that folds the border back -----

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
DATA_FORMATS = ("channels_last", "channels_first")
_NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


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
    """PyTorch's limits: reflect needs P < size, circular P <= size, replicate a non-empty axis."""
    for axis, pair in zip(axes, amounts, strict=True):
        n = shape[axis]
        too_big = (mode == "reflect" and max(pair) >= n) or (mode == "circular" and max(pair) > n)
        if too_big or (mode != "zeros" and n == 0 and max(pair) > 0):
            limit = "smaller than" if mode == "reflect" else "at most"
            raise ValueError(
                f"{op}: {mode} padding must be {limit} the size of the padded axis; received "
                f"padding {pair} for axis {axis} of size {n} (input shape {tuple(shape)})."
            )


def pad_array(x, amounts, mode: str = "zeros", axes=(1, 2)):
    """``x`` padded by ``amounts = ((top, bottom), (left, right))`` along ``axes``."""
    if not any(v for pair in amounts for v in pair):
        return x
    if mode == "zeros" and x.ndim == 4 and tuple(axes) == (1, 2):
        return _zero_pad_rows(x, amounts)
    widths = [(0, 0)] * x.ndim
    for axis, pair in zip(axes, amounts, strict=True):
        widths[axis] = tuple(pair)
    return backend.xp.pad(x, widths, mode=_NUMPY_MODE[mode])


def _zero_pad_rows(x, amounts):
    """Zero padding of (N, H, W, C) along H and W, image blocks on every kernel thread: the
    borders zeroed, the inside copied, once each (``np.pad`` makes one pass per border on one
    core; measured (128, 32, 32, 32) -> 34×34 on 2 cores: 1.0 -> 0.6 ms)."""
    (top, bottom), (left, right) = amounts
    N, H, W, C = x.shape
    out = backend.xp.empty((N, H + top + bottom, W + left + right, C), dtype=x.dtype)

    def images(x, out):
        out[:, :top] = 0
        out[:, top + H :] = 0
        out[:, top : top + H, :left] = 0
        out[:, top : top + H, left + W :] = 0
        out[:, top : top + H, left : left + W] = x

    parallel.by_rows(images, x, out)
    return out


def unpad_gradient(grad, amounts, mode: str = "zeros", axes=(1, 2)):
    """The gradient of :func:`pad_array`: crop, then add each border's gradient to its source."""
    for axis, (before, after) in zip(axes, amounts, strict=True):
        if before or after:
            grad = _fold_axis(grad, axis, before, after, mode)
    return grad


def _fold_axis(grad, axis, before, after, mode):
    n = grad.shape[axis] - before - after

    def at(start, stop, step=1):  # a slice along `axis` only
        index = [slice(None)] * grad.ndim
        index[axis] = slice(start, stop, step)
        return tuple(index)

    inner = grad[at(before, before + n)]
    if mode == "zeros":
        return inner  # the zeros came from nowhere: the gradient is cropped
    inner = inner.copy()
    top, bottom = grad[at(0, before)], grad[at(before + n, before + n + after)]
    if mode == "replicate":  # every border row is a copy of the edge row
        inner[at(0, 1)] += top.sum(axis=axis, keepdims=True)
        inner[at(n - 1, n)] += bottom.sum(axis=axis, keepdims=True)
    elif mode == "reflect":  # padded row -k is row k; row n-1+k is row n-1-k
        inner[at(1, before + 1)] += top[at(None, None, -1)]
        inner[at(n - 1 - after, n - 1)] += bottom[at(None, None, -1)]
    else:  # circular: the top border is the last rows, the bottom one the first rows
        inner[at(n - before, n)] += top
        inner[at(0, after)] += bottom
    return inner


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
