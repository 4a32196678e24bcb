"""Keras 3's ``keras.preprocessing.image``: image files to arrays and back, and
``smart_resize``."""

from __future__ import annotations

from ..ops.creation import convert_to_numpy
from ..ops.image import resize
from ..tensor import Tensor
from ..utils.images import array_to_img, img_to_array, load_img, save_img


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize images to ``size = (height, width)`` without distorting them: the centre is
    cropped to the target's aspect ratio first (Keras's ``smart_resize``).

    Args:
        x: one image (H, W, C) or a batch (N, H, W, C) (channels first with ``data_format``).
        size: the output's ``(height, width)``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        A NumPy array for NumPy input, a Tensor for a Tensor.
    """
    out = resize(
        x, size, interpolation=interpolation, crop_to_aspect_ratio=True, data_format=data_format
    )
    return out if isinstance(x, Tensor) else convert_to_numpy(out)


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
