"""Output sizes and padding amounts: the lecture's ``(N + 2P - F)/S + 1``, in one place.

Every shape computation in convnet calls :func:`conv_output_size`; every padding argument
(``"valid"``, ``"same"``, an int, a pair, or ``((top, bottom), (left, right))``) is resolved to
explicit amounts by :func:`resolve_padding`.
"""

from __future__ import annotations


def to_pair(value, name: str) -> tuple[int, int]:
    """A stride, dilation, kernel or pool size (an int or a pair) as a pair of positive ints.

    Raises:
        ValueError: naming ``name``, for anything else.
    """
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, received {value!r}.")
    if any(v < 1 for v in pair):
        raise ValueError(f"{name} must be positive, received {value!r}.")
    return pair


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding=0, dilation: int = 1) -> int:
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
                for n, f, s, d in zip(spatial_shape, kernel_size, strides, dilation)
            )
        raise ValueError(
            f'Unknown padding {padding!r}; expected "valid", "same", an int, a pair, '
            "or ((top, bottom), (left, right))."
        )
    if isinstance(padding, int) and not isinstance(padding, bool):
        amounts = ((padding, padding), (padding, padding))
    else:
        try:
            parts = tuple(padding)
            amounts = tuple((p, p) if isinstance(p, int) else tuple(p) for p in parts)
        except TypeError:
            amounts = ()
    valid = len(amounts) == 2 and all(
        len(pair) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        for pair in amounts
    )
    if not valid:
        raise ValueError(
            f"Malformed padding {padding!r}; expected \"valid\", \"same\", an int, a pair, "
            "or ((top, bottom), (left, right))."
        )
    if any(v < 0 for pair in amounts for v in pair):
        raise ValueError(f"Padding must not be negative, received {padding!r}.")
    return amounts
