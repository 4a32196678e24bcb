"""Output sizes and padding amounts: the lecture's ``(N + 2P - F)/S + 1``, in one place.

Every shape computation in convlens calls :func:`conv_output_size`; every padding argument
(``"valid"``, ``"same"``, an int, a pair, or ``((top, bottom), (left, right))``) is resolved to
explicit amounts by :func:`resolve_padding`; the transposed convolution's sizes and the padding
of the convolution it transposes are here too. Plain numbers in and out: ops/ and layers/ call
these for their shapes, kernels/ for their buffers. :class:`ConvSpec` holds one convolution's
resolved geometry, what the plan (kernels/conv_plan.py) and every route read.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple


def is_int(value) -> bool:
    """Whether ``value`` is an integer (Python's or NumPy's), and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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


class ConvSpec(NamedTuple):
    """One 2-D convolution, channels last, with every argument resolved: what the plan chooses
    routes from and what every route computes with. Plain numbers and a dtype, no arrays."""

    input_shape: tuple  # (N, H, W, C), before padding
    kernel_shape: tuple  # (KH, KW, C / groups, C_out)
    strides: tuple  # (SH, SW)
    dilation: tuple  # (DH, DW)
    amounts: tuple  # ((top, bottom), (left, right))
    mode: str  # "zeros", "reflect", "replicate" or "circular"
    groups: int
    out_hw: tuple  # (OH, OW)
    dtype: object  # the dtype the products run in (a NumPy dtype)

    @property
    def padded_shape(self) -> tuple:
        """(N, Hp, Wp, C): the input with its padding."""
        N, H, W, C = self.input_shape
        (top, bottom), (left, right) = self.amounts
        return N, H + top + bottom, W + left + right, C

    @property
    def output_shape(self) -> tuple:
        """(N, OH, OW, C_out)."""
        return self.input_shape[0], *self.out_hw, self.kernel_shape[3]

    def patch_bytes(self) -> int:
        """The bytes of im2col's patch matrix, N·OH·OW·KH·KW·C values."""
        N, C = self.input_shape[0], self.input_shape[3]
        KH, KW = self.kernel_shape[:2]
        return N * self.out_hw[0] * self.out_hw[1] * KH * KW * C * self.dtype.itemsize
