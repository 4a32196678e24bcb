"""UpSampling1D and UpSampling2D: enlarge sequences and images (decoders, U-Nets, GAN
generators) by repeating values or interpolating between them; no weights."""

from __future__ import annotations

from ..ops.upsampling import repeat, upsample
from .layer import InputSpec, Layer
from .reshaping import check_data_format

INTERPOLATIONS = ("nearest", "bilinear")


class UpSampling1D(Layer):
    """Repeat each step of a sequence ``size`` times: ``(N, L, C) -> (N, L * size, C)``.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy()[0, :, 0].tolist()
        [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = self.positive_ints(size, 1, "size")[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs, training=False):
        return repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarge images ``size`` times: rows and columns repeated, or bilinearly interpolated.

    Args:
        size: an int or a pair ``(rows, columns)`` of upsampling factors.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` (repeat) or ``"bilinear"`` (half-pixel centres, as Keras).

    Input shape:
        ``(batch, rows, cols, channels)`` (or channels first).

    Output shape:
        ``(batch, rows * size[0], cols * size[1], channels)``.

    Example:
        >>> from convlens import layers
        >>> layers.UpSampling2D((2, 3))(layers.Input((4, 4, 8))).shape
        (None, 8, 12, 8)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = self.positive_ints(size, 2, "size")
        self.data_format = check_data_format(self, data_format)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f'UpSampling2D "{self.name}": interpolation must be one of '
                f"{', '.join(INTERPOLATIONS)}, received {interpolation!r}."
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def _axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def call(self, inputs, training=False):
        return upsample(inputs, self.size, self._axes(), self.interpolation)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(self._axes(), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }
