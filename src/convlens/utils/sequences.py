"""``pad_sequences``: lists of different lengths as one rectangular array, as Keras's."""

from __future__ import annotations

import numpy


def pad_sequences(
    sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0
) -> numpy.ndarray:
    """Pad (or cut) every sequence to ``maxlen`` and stack them.

    Args:
        sequences: a list of sequences (lists or arrays; items may themselves be arrays).
        maxlen: the common length; the longest sequence's when None.
        dtype: the output dtype.
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end is cut from longer sequences.
        value: the padding value.

    Returns:
        An array of shape ``(len(sequences), maxlen) + item_shape``.

    Raises:
        ValueError: for an unknown ``padding``/``truncating``, items of different shapes,
            or a string ``value`` with a numeric dtype.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
        [[2, 3], [0, 4]]
    """
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise ValueError(f'pad_sequences: {name} must be "pre" or "post", received {option!r}.')
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: sequences must be a list of iterables.")
    lengths = [len(s) for s in sequences]
    maxlen = max(lengths, default=0) if maxlen is None else int(maxlen)
    item_shape = ()
    for s in sequences:
        if len(s):
            item_shape = numpy.asarray(s).shape[1:]
            break
    is_text = numpy.issubdtype(numpy.dtype(dtype), numpy.str_) or numpy.dtype(dtype) == object
    if isinstance(value, str) and not is_text:
        raise ValueError(f"pad_sequences: value {value!r} is a string but dtype is {dtype}.")
    out = numpy.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for row, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        kept = numpy.asarray(s)[-maxlen:] if truncating == "pre" else numpy.asarray(s)[:maxlen]
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"pad_sequences: sequence {row} has items of shape {kept.shape[1:]}, the others "
                f"{item_shape}."
            )
        if padding == "post":
            out[row, : len(kept)] = kept
        else:
            out[row, -len(kept) :] = kept
    return out
