"""Cropping1D, Cropping2D and ZeroPadding1D: trim or pad the borders of sequences and images
(U-Net skip connections crop the encoder's maps to the decoder's size); no weights."""

from __future__ import annotations

from .. import ops
from ..kernels.geometry import is_int
from .layer import InputSpec, Layer
from .reshaping import check_data_format


def border_pairs(layer: Layer, value, rank: int, name: str) -> tuple[tuple[int, int], ...]:
    """``value`` as ``rank`` pairs ``(before, after)`` of non-negative ints.

    An int means the same amount on every side; for ``rank`` 2 a pair ``(rows, cols)`` means
    symmetric amounts; otherwise one pair per axis (Keras's forms).

    Raises:
        ValueError: naming the layer and the argument ``name``.
    """
    try:
        if is_int(value):
            pairs = ((value, value),) * rank
        elif rank == 1:
            pairs = (tuple(value),)
        elif all(is_int(v) for v in value):
            pairs = tuple((v, v) for v in value)
        else:
            pairs = tuple(tuple(v) for v in value)
        ok = len(pairs) == rank and all(
            len(p) == 2 and all(is_int(v) and v >= 0 for v in p) for p in pairs
        )
    except TypeError:
        ok = False
    if not ok:
        forms = (
            "an int or a pair (before, after)"
            if rank == 1
            else ("an int, a pair of ints or a pair of pairs ((top, bottom), (left, right))")
        )
        raise ValueError(
            f'{type(layer).__name__} "{layer.name}": {name} must be {forms} of non-negative '
            f"ints, received {value!r}."
        )
    return tuple((int(a), int(b)) for a, b in pairs)


def _cropped(layer, input_shape, axes, pairs):
    shape = list(input_shape)
    for axis, (before, after) in zip(axes, pairs):
        if shape[axis] is None:
            continue
        if before + after >= shape[axis]:
            raise layer.shape_error(
                f"more than {before + after} cells on axis {axis} to crop {before} + {after}",
                input_shape,
            )
        shape[axis] -= before + after
    return tuple(shape)


def _crop(inputs, axes, pairs):
    index = [slice(None)] * inputs.ndim
    for axis, (before, after) in zip(axes, pairs):
        index[axis] = slice(before, inputs.shape[axis] - after)
    return ops.getitem(inputs, tuple(index))


class Cropping1D(Layer):
    """Trim ``cropping = (start, end)`` steps off each sequence: ``(N, L, C)``.

    Example:
        >>> from convlens import layers
        >>> layers.Cropping1D((1, 2))(layers.Input((10, 3))).shape
        (None, 7, 3)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = border_pairs(self, cropping, 1, "cropping")[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs, training=False):
        _cropped(self, inputs.shape, (1,), (self.cropping,))
        return _crop(inputs, (1,), (self.cropping,))

    def compute_output_shape(self, input_shape):
        return _cropped(self, input_shape, (1,), (self.cropping,))

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class Cropping2D(Layer):
    """Trim rows and columns off the borders of each image.

    Args:
        cropping: an int, a pair ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> from convlens import layers
        >>> layers.Cropping2D(((1, 0), (2, 2)))(layers.Input((8, 8, 3))).shape
        (None, 7, 4, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = border_pairs(self, cropping, 2, "cropping")
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def call(self, inputs, training=False):
        _cropped(self, inputs.shape, self._axes(), self.cropping)
        return _crop(inputs, self._axes(), self.cropping)

    def compute_output_shape(self, input_shape):
        return _cropped(self, input_shape, self._axes(), self.cropping)

    def get_config(self):
        return {
            **super().get_config(),
            "cropping": [list(p) for p in self.cropping],
            "data_format": self.data_format,
        }


class ZeroPadding1D(Layer):
    """Add zeros at the start and end of each sequence: ``(N, L, C) -> (N, L + a + b, C)``.

    Args:
        padding: an int (both ends) or a pair ``(start, end)``.
        data_format: ``"channels_last"`` (``(N, L, C)``, default) or ``"channels_first"``.

    Example:
        >>> from convlens import layers
        >>> layers.ZeroPadding1D((1, 2))(layers.Input((5, 3))).shape
        (None, 8, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = border_pairs(self, padding, 1, "padding")[0]
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs, training=False):
        # A sequence is an image of one row: pad its columns with the 2-D op.
        n, a, b = inputs.shape
        first = self.data_format == "channels_first"
        images = ops.reshape(inputs, (n, a, 1, b) if first else (n, 1, a, b))
        padded = ops.pad(images, ((0, 0), self.padding), data_format=self.data_format)
        return ops.reshape(padded, self.compute_output_shape(inputs.shape))

    def compute_output_shape(self, input_shape):
        axis = 2 if self.data_format == "channels_first" else 1
        shape = list(input_shape)
        if shape[axis] is not None:
            shape[axis] += sum(self.padding)
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "padding": list(self.padding),
            "data_format": self.data_format,
        }
