"""Image files in and out, as uint8 NumPy arrays: (H, W) grey or (H, W, 3) colour.

Pillow is an optional extra (``pip install convlens[images]``), imported only when a file is read
or written. A missing or unreadable file raises an error that names the file, never a Pillow
traceback; a save writes a temporary file and renames it, so a crash never leaves half a PNG.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import zlib

import numpy

from .atomic_files import write_atomically

#: The photo bundled with convlens: Chelsea the cat, 451x300 RGB, from scikit-image's data (CC0).
SAMPLE_PHOTO = os.path.join(os.path.dirname(__file__), "data", "chelsea.png")

_GREY_MODES = ("1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageFileError(ValueError, OSError):
    """An image file that cannot be read: not an image, truncated, corrupt, too many pixels, or
    not a regular file; the message names the file. A ValueError like convlens's other file
    errors, and an OSError like Pillow's own (``PIL.UnidentifiedImageError``), so code written
    for Keras's ``load_img`` catches it too."""


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
    """Refuse, before decoding, an image whose header declares more than MAX_PIXELS pixels (or
    Pillow's ``Image.MAX_IMAGE_PIXELS``, when set lower): a 2 KB JPEG can declare 12000x12000
    and decode to 412 MiB, and below twice its limit Pillow only warns."""
    from PIL import Image

    width, height = picture.size
    limit = min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)
    if width * height > limit:
        raise ImageFileError(
            f"Cannot read the image {os.fsdecode(name)!r}: it declares {width}x{height} = "
            f"{width * height:,} pixels; at most {limit:,} are decoded (Pillow's "
            "decompression-bomb limit). Resize it with an image tool first."
        )


def check_png(stream, name) -> None:
    """Check every chunk's CRC-32 of a PNG, and that it ends with IEND, reading it in blocks;
    other formats pass. Pillow skips the CRCs of the pixel data (IDAT), so a flipped byte there
    would decode silently to other pixels. The stream is left where it started."""
    start = stream.tell()
    if stream.read(8) == _PNG_SIGNATURE:
        while _png_chunk(stream, os.fsdecode(name)) != b"IEND":
            pass
    stream.seek(start)


def _png_chunk(stream, name: str) -> bytes:
    """Read one chunk, check its CRC and return its type."""
    head = stream.read(8)
    if len(head) < 8:
        raise ImageFileError(f"Cannot read the image file {name!r}: truncated (no IEND chunk).")
    length, kind = struct.unpack(">I4s", head)
    if length > 2**31 - 1:
        raise ImageFileError(
            f"Cannot read the image file {name!r}: a chunk declares {length:,} bytes, PNG "
            f"allows at most {2**31 - 1:,}; the file is corrupt."
        )
    crc = zlib.crc32(kind)
    while length:
        block = stream.read(min(length, 1 << 20))
        if not block:
            raise ImageFileError(f"Cannot read the image file {name!r}: truncated.")
        crc, length = zlib.crc32(block, crc), length - len(block)
    stored = stream.read(4)
    if len(stored) < 4 or struct.unpack(">I", stored)[0] != crc:
        raise ImageFileError(
            f"Cannot read the image file {name!r}: the CRC of its {kind.decode('latin-1')!r} "
            "chunk does not match; the file is corrupt."
        )
    return kind


def check_file(name) -> None:
    """FileNotFoundError for a missing path; ImageFileError for a folder, device or pipe (a
    link is followed): reading /dev/zero never ends, opening a pipe waits for a writer."""
    if not os.path.exists(name):
        raise FileNotFoundError(f"No such image file: {os.fsdecode(name)!r}.")
    if os.path.isdir(name):
        raise ImageFileError(f"Cannot read the image {os.fsdecode(name)!r}: it is a directory.")
    if not os.path.isfile(name):
        raise ImageFileError(
            f"Cannot read the image {os.fsdecode(name)!r}: not a regular file (a device or pipe)."
        )


@contextlib.contextmanager
def opened(source):
    """The Pillow image of a file or an ``io.BytesIO``, its header read and checked (the file
    regular, a PNG's CRCs, the pixel count); Pillow's errors, in the ``with`` block too, become
    an ImageFileError naming the file. Decode inside the block: the file closes at its end."""
    Image = _pillow()
    buffer = isinstance(source, io.BytesIO)
    name = "<BytesIO>" if buffer else os.fspath(source)
    if not buffer:
        check_file(name)
    unreadable = (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error)
    try:
        with contextlib.nullcontext(source) if buffer else open(name, "rb") as stream:
            check_png(stream, name)
            picture = Image.open(stream)  # reads the header only
            check_pixels(picture, name)
            yield picture
    except ImageFileError:
        raise
    except (*unreadable, Image.DecompressionBombError) as error:
        raise _unreadable(os.fsdecode(name), error) from None


def _check_size(size):
    if size is None:
        return None
    pair = isinstance(size, (tuple, list)) and len(size) == 2
    integers = pair and all(
        isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) for v in size
    )  # 3.7 was cut to 3 silently
    width, height = (int(v) for v in size) if integers else (0, 0)
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
        ImageFileError: (a ValueError) naming the file, when it is not a readable image: not an
            image, truncated, corrupt (a PNG's CRCs are checked), more pixels than Pillow's
            decompression-bomb limit, a folder, device or pipe.
        ValueError: for an unknown mode or a bad size.
        ImportError: when Pillow is not installed.

    Example:
        >>> load_image(sample_photo_path(), mode="L").shape
        (300, 451)
    """
    if mode not in (None, "L", "RGB"):
        raise ValueError(f'Unknown image mode {mode!r}; expected None, "L" (grey) or "RGB".')
    size = _check_size(size)
    with opened(path) as picture:
        return _decode(picture, mode, size, _pillow())


def _unreadable(name, error) -> ImageFileError:
    reason = str(error).split(" '", 1)[0] if str(error) else type(error).__name__
    reason = " ".join(reason.split())  # one line
    return ImageFileError(f"Cannot read the image file {name!r}: {reason}.")


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
