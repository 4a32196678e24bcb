"""Keras 3's image-file helpers: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

They work on Pillow images, as Keras's (Pillow is imported only when called; ``pip install
convlens[images]``). Arrays are (H, W, C) for ``"channels_last"``, (C, H, W) for
``"channels_first"``.
"""

from __future__ import annotations

import io
import os
import pathlib
import warnings

import numpy

from .. import config
from ..images import MAX_PIXELS, _pillow, opened

_RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
# Grey modes Keras keeps as they are (16- and 32-bit grey would lose depth as "L").
_DEEP_GREY = ("L", "I;16", "I")


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
    if channels == 1 and numpy.max(x) > 255:  # deeper than 8 bits: a 32-bit grey image
        return Image.fromarray(x[:, :, 0].astype("int32"), "I")
    pixels = x.astype("uint8") if channels > 1 else x[:, :, 0].astype("uint8")
    return Image.fromarray(pixels, modes[channels])


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Read an image file as a Pillow image, converted to ``color_mode`` and resized.

    Args:
        path: the file (a str, bytes or ``pathlib.Path``) or an ``io.BytesIO`` of its bytes.
        color_mode: ``"grayscale"`` (16- and 32-bit grey images keep their depth, as in
            Keras), ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` or None.
        interpolation: Pillow's resampling: nearest, bilinear, bicubic, hamming, box, lanczos.
        keep_aspect_ratio: crop the centre to the target's aspect ratio before resizing.

    Raises:
        ValueError: for an unknown color_mode or interpolation.
        TypeError: for a path that is neither path-like nor an ``io.BytesIO``.
        FileNotFoundError: naming the path when it does not exist.
        convlens.images.ImageFileError: (a ValueError and an OSError, as Pillow's errors)
            naming the file, when it is not a readable image, is corrupt (a PNG's CRCs are
            checked), declares more pixels than Pillow's limit, or is a folder, device or pipe.
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
    img = _open(path)
    wanted = _COLOR_MODES[color_mode]
    if img.mode != wanted and not (color_mode == "grayscale" and img.mode in _DEEP_GREY):
        img = img.convert(wanted)
    if target_size is not None:
        height, width = _target_size(target_size)
        if img.size != (width, height):
            resample = getattr(Image.Resampling, interpolation.upper())
            box = _aspect_box(img.size, height, width) if keep_aspect_ratio else None
            img = img.resize((width, height), resample, box=box)
    return img


def _target_size(target_size) -> tuple[int, int]:
    """``(height, width)``: two positive ints making at most MAX_PIXELS pixels (a careless
    ``target_size=(10**9, 10**9)`` asked Pillow for an exabyte: MemoryError)."""
    valid = isinstance(target_size, (tuple, list)) and len(target_size) == 2
    if not valid or not all(
        isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) and v > 0
        for v in target_size
    ):
        raise ValueError(
            f"load_img: target_size must be (height, width), two positive ints, received "
            f"target_size={target_size!r}."
        )
    height, width = int(target_size[0]), int(target_size[1])
    if height * width > MAX_PIXELS:
        raise ValueError(
            f"load_img: target_size={target_size!r} asks for {height * width:,} pixels; at "
            f"most {MAX_PIXELS:,} are made (Pillow's decompression-bomb limit)."
        )
    return height, width


def _open(path):
    """The decoded image of a file or of an ``io.BytesIO``; the file is closed afterwards."""
    if not isinstance(path, (str, bytes, pathlib.PurePath, io.BytesIO)):
        raise TypeError(
            f"load_img: path must be a str, bytes, pathlib.Path or io.BytesIO, received "
            f"{type(path).__name__}."
        )
    if not isinstance(path, io.BytesIO) and not os.path.exists(path):
        raise FileNotFoundError(f"load_img: no such image file: {os.fsdecode(path)}")
    with opened(path) as img:
        img.load()
    return img


def _aspect_box(size, height, width):
    """The centred (left, top, right, bottom) box of ``size = (w, h)`` with the target's aspect
    ratio: the largest such window, in whole pixels (floor, as Keras's ``load_img``)."""
    w, h = size
    crop_w = min(w, (h * width) // height)
    crop_h = min(h, (w * height) // width)
    left, top = (w - crop_w) // 2, (h - crop_h) // 2
    return (left, top, left + crop_w, top + crop_h)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs) -> None:
    """Write a 3-D array as an image file (the format from ``file_format`` or the suffix)."""
    if file_format is None and isinstance(path, (str, pathlib.PurePath)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format and file_format.lower() == "jpeg":
        warnings.warn(
            "save_img: JPEG has no alpha channel; the RGBA image is saved as RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
