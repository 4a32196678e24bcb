"""Layers that change the image size, with Keras 3's arguments: ``Resizing``, ``CenterCrop``
and ``RandomCrop``. Resampling is :func:`convlens.ops.image.resize` (half-pixel centres, as
Keras on JAX); cropping is slicing. All are differentiable in the images."""

from __future__ import annotations

from ... import backend, ops
from ...ops.image import INTERPOLATIONS, resize
from .base import ImageLayer, RandomImageLayer, choice, error


def _size(layer, value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise error(layer, name, "a positive int", value)
    return value


def _centre_crop_and_resize(images, height, width, interpolation="bilinear"):
    """The largest centred window of the target's aspect ratio, resized to the target (Keras's
    ``smart_resize``)."""
    return resize(images, (height, width), interpolation=interpolation, crop_to_aspect_ratio=True)


def _pad_to_aspect(images, height, width, fill_value):
    """(N, H, W, C) images with equal bands of ``fill_value`` above and below (or left and
    right) so their aspect ratio is about ``height / width`` (Keras's rule: whole pixels,
    rounded down, the same band on both sides)."""
    N, H, W, C = images.shape
    top = int((max(H, int(W * height / width)) - H) / 2)
    left = int((max(W, int(H * width / height)) - W) / 2)
    if top > 0:
        band = backend.xp.full((N, top, W, C), fill_value, dtype=images.dtype)  # (N, top, W, C)
        return ops.concatenate([band, images, band], axis=1)
    if left > 0:
        band = backend.xp.full((N, H, left, C), fill_value, dtype=images.dtype)
        return ops.concatenate([band, images, band], axis=2)
    return images


class Resizing(ImageLayer):
    """Resize images to ``(height, width)``.

    Args:
        height, width: the output size.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        crop_to_aspect_ratio: first crop the largest centred window of the output's aspect
            ratio, so nothing is stretched.
        pad_to_aspect_ratio: instead, first pad equal bands of ``fill_value`` on two sides to
            reach the output's aspect ratio (letterboxing), so nothing is cut off.
        fill_mode, fill_value: the padding: ``fill_mode`` only ``"constant"`` (as Keras on
            JAX), ``fill_value`` the value of the bands.
        antialias: widen the filter when downscaling, so every input pixel counts.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> layers.Resizing(2, 2)(numpy.ones((1, 4, 6, 3))).shape
        (1, 2, 2, 3)
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, "height"), _size(self, width, "width")
        self.interpolation = choice(self, interpolation, "interpolation", INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise error(self, "crop_to_aspect_ratio", "False with pad_to_aspect_ratio=True", True)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, self.number(fill_value, "fill_value")
        self.antialias = bool(antialias)

    def transform(self, images, training):
        if self.pad_to_aspect_ratio:
            images = _pad_to_aspect(images, self.height, self.width, self.fill_value)
        return resize(
            images,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            data_format="channels_last",
        )

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


class CenterCrop(ImageLayer):
    """Crop the centre ``(height, width)`` of each image; an image smaller than that on some
    side is first cropped to the target's aspect ratio and resized (Keras's rule).

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> image = numpy.arange(16.0).reshape(4, 4, 1)
        >>> layers.CenterCrop(2, 2)(image).numpy()[..., 0].tolist()
        [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, "height"), _size(self, width, "width")

    def transform(self, images, training):
        H, W = images.shape[1], images.shape[2]
        if H < self.height or W < self.width:
            return _centre_crop_and_resize(images, self.height, self.width)
        top, left = (H - self.height) // 2, (W - self.width) // 2
        return images[:, top : top + self.height, left : left + self.width]

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(RandomImageLayer):
    """Crop a random ``(height, width)`` window in training; otherwise (and for an image
    smaller than the window) the largest centred window of that aspect ratio, resized, as Keras
    documents. One window per batch, as in Keras.

    (Keras 3.15 returns the input unchanged at inference, against its documentation and its
    own output shape; this layer follows the documentation.)

    Args:
        height, width: the output size.
        seed: an int for reproducible windows.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, "height"), _size(self, width, "width")

    def transform(self, images, training):
        H, W = images.shape[1], images.shape[2]
        if not training or H < self.height or W < self.width:
            return _centre_crop_and_resize(images, self.height, self.width)
        top = int(self.rng.integers(0, H - self.height + 1))
        left = int(self.rng.integers(0, W - self.width + 1))
        return images[:, top : top + self.height, left : left + self.width]

    def compute_output_shape(self, input_shape):
        return self.resized_shape(input_shape, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
