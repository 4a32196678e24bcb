"""One image file to one float32 array, for :mod:`convlens.utils.image_dataset`.

Decoding, colour conversion and resizing are Pillow's (imported on first use; the ``images``
extra). Pillow releases the GIL while it decodes and resamples, which is what lets
:func:`convlens.utils.prefetch.ordered_map` decode several files at once on threads.

Where this differs from Keras's TensorFlow pipeline, and why: the resize is Pillow's, which
antialiases when shrinking (TF's ``tf.image.resize`` does not by default) and works on 8-bit
pixels, so values are whole numbers; Pillow has no ``lanczos5``, ``gaussian`` or
``mitchellcubic`` filter, so those names are refused rather than silently replaced.
"""

from __future__ import annotations

import numpy

from ..images import ImageFileError, _pillow
from .images import load_img

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

# Keras's interpolation names -> Pillow's filters (Keras's "area" is a box average).
_FILTERS = {
    "bilinear": "BILINEAR",
    "nearest": "NEAREST",
    "bicubic": "BICUBIC",
    "area": "BOX",
    "lanczos3": "LANCZOS",
}
_NOT_IN_PILLOW = ("lanczos5", "gaussian", "mitchellcubic")


def check_interpolation(interpolation) -> None:
    """Raise a ValueError naming the argument for an interpolation Pillow cannot do."""
    if not isinstance(interpolation, str) or interpolation.lower() not in _FILTERS:
        extra = ""
        if isinstance(interpolation, str) and interpolation.lower() in _NOT_IN_PILLOW:
            extra = " (Keras's TensorFlow resize has it; Pillow, which decodes here, does not)"
        raise ValueError(
            f"interpolation must be one of {tuple(_FILTERS)}, received "
            f"interpolation={interpolation!r}{extra}."
        )


class ImageReader:
    """Reads files as float32 (H, W, C) arrays of one size, colour mode and resize rule.

    Args:
        image_size: ``(height, width)`` of every output.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        interpolation: one of Keras's names that Pillow has (see :func:`check_interpolation`).
        crop_to_aspect_ratio: crop the centre to the target aspect ratio first.
        pad_to_aspect_ratio: pad with zeros (black) to the target aspect ratio first.
    """

    def __init__(self, image_size, color_mode, interpolation, crop_to_aspect_ratio, pad):
        check_interpolation(interpolation)
        self.height, self.width = image_size
        self.color_mode, self.interpolation = color_mode, interpolation.lower()
        self.crop, self.pad = bool(crop_to_aspect_ratio), bool(pad)

    def read(self, path) -> numpy.ndarray:
        """The image of ``path``, resized: float32 (height, width, channels).

        Raises:
            ValueError: naming the file, when it cannot be read or is not an image.
        """
        try:
            img = load_img(path, color_mode=self.color_mode)
            img = self._resize(img)
        except (ImageFileError, FileNotFoundError):
            raise  # they name the file
        except (OSError, ValueError, SyntaxError) as error:  # Pillow's errors while resizing
            raise ImageFileError(f"Cannot read image file {path!r}: {error}") from error
        array = numpy.asarray(img, dtype="float32")
        return array[:, :, None] if array.ndim == 2 else array  # (H, W) -> (H, W, 1)

    def _resize(self, img):
        Image = _pillow()
        resample = getattr(Image.Resampling, _FILTERS[self.interpolation])
        target = (self.width, self.height)
        if img.mode.startswith("I;16"):
            img = img.convert("I")  # 16-bit grey keeps its depth; Pillow resamples it as "I"
        if self.crop:
            # A real crop, as Keras's smart_resize slices: resize(box=...) would let the filter
            # read pixels beyond the box at its edges.
            img = img.crop(_crop_box(img.size, self.height, self.width))
        elif self.pad:
            img = _pad_to_aspect(img, self.height, self.width, Image)
        return img if img.size == target else img.resize(target, resample)


def _crop_box(size, height, width) -> tuple:
    """The centred box with the target aspect ratio (Keras's ``smart_resize`` arithmetic:
    truncate, at least one pixel)."""
    w, h = size
    crop_h = max(min(h, int(float(w * height) / width)), 1)
    crop_w = max(min(w, int(float(h * width) / height)), 1)
    top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
    return (left, top, left + crop_w, top + crop_h)


def _pad_to_aspect(img, height, width, Image):
    """``img`` centred on a black canvas with the target aspect ratio (Keras's
    ``pad_to_aspect_ratio``: the same margin on both sides)."""
    w, h = img.size
    pad_h = max(h, int(float(w * height) / width))
    pad_w = max(w, int(float(h * width) / height))
    top, left = int(float(pad_h - h) / 2), int(float(pad_w - w) / 2)
    if top == 0 and left == 0:
        return img
    canvas = Image.new(img.mode, (w + 2 * left, h + 2 * top), 0)
    canvas.paste(img, (left, top))
    return canvas
