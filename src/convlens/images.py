"""Image files in and out, as uint8 NumPy arrays: (H, W) grey or (H, W, 3) colour.

Pillow is an optional extra (``pip install convlens[images]``), imported only when a file is read
or written. A missing or unreadable file raises an error that names the file, never a Pillow
traceback; a save writes a temporary file and renames it, so a crash never leaves half a PNG.
"""

from __future__ import annotations

import os

import numpy

from .atomic_files import write_atomically

#: The photo bundled with convlens: Chelsea the cat, 451x300 RGB, from scikit-image's data (CC0).
SAMPLE_PHOTO = os.path.join(os.path.dirname(__file__), "data", "chelsea.png")

_GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F")


def _pillow():
    """The ``PIL.Image`` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Reading and writing image files needs Pillow: pip install convlens[images]"
        ) from error
    return Image


def sample_photo_path() -> str:
    """The path of the bundled sample photo (Chelsea the cat, 451x300 RGB, CC0).

    Example:
        >>> load_image(sample_photo_path()).shape
        (300, 451, 3)
    """
    return SAMPLE_PHOTO


def _eight_bit(picture, Image):
    """A grey picture of more than 8 bits (16-bit PNG, 32-bit int or float) as mode ``L``.

    Pillow's own conversion clips such values at 255 (a white picture); scale them instead.
    """
    values = numpy.asarray(picture, dtype=numpy.float64)
    if picture.mode.startswith("I;16") or (picture.mode == "I" and values.max() > 255):
        values = values / 257.0  # 0..65535 -> 0..255
    return Image.fromarray(numpy.clip(numpy.rint(values), 0, 255).astype(numpy.uint8))


def _decode(picture, mode, size, Image):
    from PIL import ImageOps

    picture = ImageOps.exif_transpose(picture)  # phone photos store their rotation in EXIF
    if picture.mode in ("I", "F") or picture.mode.startswith("I;16"):
        picture = _eight_bit(picture, Image)
    if mode is None:
        mode = "L" if picture.mode in _GREY_MODES else "RGB"
    if "A" in picture.mode or "transparency" in picture.info:
        # transparent pixels become white, not whatever colour they happen to store
        rgba = picture.convert("RGBA")
        picture = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    picture = picture.convert(mode)
    if size is not None:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return numpy.asarray(picture, dtype=numpy.uint8).copy()


MAX_PIXELS = 89_478_485  # Pillow's Image.MAX_IMAGE_PIXELS: larger images are refused


def check_pixels(picture, name) -> None:
    """Refuse, before decoding, an image whose header declares more than MAX_PIXELS pixels: a
    2 KB JPEG can declare 12000x12000 and decode to 412 MiB (Pillow only warns below twice
    its limit)."""
    width, height = picture.size
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"Cannot read the image {os.fsdecode(name)!r}: it declares {width}x{height} = "
            f"{width * height:,} pixels; at most {MAX_PIXELS:,} are decoded (Pillow's "
            "decompression-bomb limit). Resize it with an image tool first."
        )


def _check_size(size):
    if size is None:
        return None
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        width = height = 0
    if width < 1 or height < 1:
        raise ValueError(
            f"size must be a pair (width, height) of positive ints, received {size!r}."
        )
    if width * height > MAX_PIXELS:
        raise ValueError(
            f"size {width}x{height} asks for {width * height:,} pixels; at most "
            f"{MAX_PIXELS:,} are made (Pillow's decompression-bomb limit)."
        )
    return width, height


def load_image(path, mode: str | None = None, size=None) -> numpy.ndarray:
    """Read an image file (PNG, JPEG, BMP, GIF, TIFF...) as a uint8 array.

    Args:
        path: the file.
        mode: ``None`` keeps the file's kind (grey files give (H, W), the rest (H, W, 3)),
            ``"L"`` converts to grey (H, W), ``"RGB"`` to colour (H, W, 3). Transparent pixels
            are composited on white; EXIF rotation is applied; 16-bit grey is scaled to 8 bits.
        size: an optional ``(width, height)`` to resize to (Lanczos), as Pillow orders it.

    Returns:
        A uint8 array (H, W) or (H, W, 3).

    Raises:
        FileNotFoundError: when ``path`` does not exist (the message names it).
        ValueError: when it is not a readable image, for an unknown mode or a bad size.
        ImportError: when Pillow is not installed.

    Example:
        >>> load_image(sample_photo_path(), mode="L").shape
        (300, 451)
    """
    if mode not in (None, "L", "RGB"):
        raise ValueError(f'Unknown image mode {mode!r}; expected None, "L" (grey) or "RGB".')
    size = _check_size(size)
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"No such image file: {name!r}.")
    if os.path.isdir(name):
        raise ValueError(f"Cannot read the image {name!r}: it is a directory.")
    if not os.path.isfile(name):
        raise ValueError(f"Cannot read the image {name!r}: not a regular file (a device or pipe).")
    Image = _pillow()
    unreadable = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
    try:
        picture = Image.open(name)  # reads the header only
    except unreadable as error:
        raise _unreadable(name, error) from None
    with picture:
        check_pixels(picture, name)
        try:
            return _decode(picture, mode, size, Image)
        except unreadable as error:
            raise _unreadable(name, error) from None


def _unreadable(name, error) -> ValueError:
    reason = str(error).split(" '", 1)[0] if str(error) else type(error).__name__
    return ValueError(f"Cannot read the image file {name!r}: {reason}.")


def _as_picture_array(array) -> numpy.ndarray:
    values = numpy.asarray(array)
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[:, :, 0]
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[-1] not in (3, 4)):
        raise ValueError(
            f"save_image: expected an image (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), "
            f"received shape {values.shape}."
        )
    if values.dtype == numpy.uint8:
        return values
    if values.dtype.kind in "iu" and values.size and 0 <= values.min() and values.max() <= 255:
        return values.astype(numpy.uint8)
    raise TypeError(
        f"save_image: expected uint8 pixels (0..255), received dtype {values.dtype}; "
        "convert a filter's float response with convlens.filters.to_displayable."
    )


def save_image(path, array) -> str:
    """Write a uint8 array as an image file; the format follows the extension (.png, .jpg...).

    The file is written to a temporary name in the same folder, then renamed into place, so
    readers never see a partial file. Missing folders are created.

    Args:
        path: the file to write.
        array: uint8 (H, W) grey, (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA; integer arrays
            within 0..255 are accepted too.

    Returns:
        ``path``, as a string.

    Raises:
        ValueError: for an unknown extension, a wrong shape, or a format that cannot hold the
            picture (e.g. RGBA as JPEG).
        TypeError: for float pixels (use :func:`convlens.filters.to_displayable`).
        ImportError: when Pillow is not installed.
    """
    name = os.fspath(path)
    pixels = _as_picture_array(array)
    Image = _pillow()
    extension = os.path.splitext(name)[1].lower()
    file_format = Image.registered_extensions().get(extension)
    if file_format is None:
        raise ValueError(
            f"Cannot write the image {name!r}: unknown extension {extension or '(none)'!r}; "
            "use .png, .jpg, .bmp, .gif or .tif."
        )
    try:
        write_atomically(name, lambda stream: Image.fromarray(pixels).save(stream, file_format))
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"Cannot write the image {name!r}: {error}") from None
    return name
