"""Keras 3's image-file helpers: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

They work on Pillow images, as Keras's (Pillow is imported only when called; ``pip install
convlens[images]``). Arrays are (H, W, C) for ``"channels_last"``, (C, H, W) for
``"channels_first"``.
"""

from __future__ import annotations

import os

import numpy

from .. import config
from ..images import _pillow

_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _data_format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', received {data_format!r}."
        )
    return data_format


def img_to_array(img, data_format=None, dtype=None) -> numpy.ndarray:
    """A Pillow image as a 3-D float array ((H, W, C), one channel for grey images)."""
    data_format = _data_format(data_format)
    array = numpy.asarray(img, dtype=dtype or config.floatx())
    if array.ndim == 2:
        array = array[:, :, None]  # (H, W) -> (H, W, 1)
    elif array.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {array.shape}.")
    return array.transpose(2, 0, 1) if data_format == "channels_first" else array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a Pillow image (1, 3 or 4 channels).

    Args:
        x: (H, W, C) or (C, H, W) values.
        data_format: the layout of ``x``.
        scale: stretch the values to 0..255 first (min to 0, max to 255), as Keras.
        dtype: accepted for Keras's signature.

    Raises:
        ValueError: for an array that is not 3-D or has 2 or more than 4 channels.
    """
    Image = _pillow()
    data_format = _data_format(data_format)
    x = numpy.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=config.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected a 3-D image array, received shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - numpy.min(x)
        peak = numpy.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, received {channels}.")
    pixels = x.astype("uint8") if channels > 1 else x[:, :, 0].astype("uint8")
    return Image.fromarray(pixels, modes[channels])


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Read an image file as a Pillow image, converted to ``color_mode`` and resized.

    Args:
        path: the file.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` or None.
        interpolation: Pillow's resampling: nearest, bilinear, bicubic, hamming, box, lanczos.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.

    Raises:
        ValueError: for an unknown color_mode or interpolation.
        FileNotFoundError: naming the path when it does not exist.
    """
    Image = _pillow()
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            f"load_img: color_mode must be one of {sorted(_COLOR_MODES)}, received {color_mode!r}."
        )
    if interpolation not in _RESAMPLING:
        raise ValueError(
            f"load_img: interpolation must be one of {_RESAMPLING}, received {interpolation!r}."
        )
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_img: no such image file: {path}")
    with open(path, "rb") as handle:
        img = Image.open(handle)
        img.load()
    if img.mode != _COLOR_MODES[color_mode]:
        img = img.convert(_COLOR_MODES[color_mode])
    if target_size is not None:
        height, width = int(target_size[0]), int(target_size[1])
        if keep_aspect_ratio:
            img = _crop_to_aspect(img, height, width)
        if img.size != (width, height):
            resample = getattr(Image.Resampling, interpolation.upper())
            img = img.resize((width, height), resample)
    return img


def _crop_to_aspect(img, height, width):
    w, h = img.size
    crop_w = min(w, int(h * width / height))
    crop_h = min(h, int(w * height / width))
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    return img.crop((left, top, left + crop_w, top + crop_h))


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs) -> None:
    """Write a 3-D array as an image file (the format from ``file_format`` or the suffix)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    is_jpeg = file_format in ("jpg", "jpeg") or str(path).lower().endswith((".jpg", ".jpeg"))
    if img.mode == "RGBA" and is_jpeg:
        img = img.convert("RGB")  # JPEG has no alpha
    if file_format == "jpg":
        file_format = "jpeg"
    img.save(path, format=file_format, **kwargs)
