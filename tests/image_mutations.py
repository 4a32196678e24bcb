"""Mutations of real PNG and JPEG files, and the strict reference that judges each load (issue
15), for tests/test_images_fuzz.py.

The originals: the photos of ../shared/images (camera.png grey, coffee.png colour), the photo
bundled with convlens (chelsea.png, which carries iCCP and iTXt chunks), and JPEGs encoded from
them. The reference shares no code with convlens: it checks every PNG chunk's CRC-32 (Pillow
skips those of the pixel data, IDAT) and that the file ends with IEND, refuses more pixels than
Pillow's decompression-bomb limit, then decodes with Pillow itself.
"""

from __future__ import annotations

import io
import os
import struct
import zlib

import numpy

from dataset_mutations import regular_bytes

SHARED_IMAGES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "images"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 89_478_485  # Pillow's default Image.MAX_IMAGE_PIXELS


def originals() -> dict:
    """name -> file bytes of real pictures, PNG and JPEG."""
    from PIL import Image

    import convlens

    files = {}
    for name in ("camera.png", "coffee.png"):
        with open(os.path.join(SHARED_IMAGES, name), "rb") as stream:
            files[name] = stream.read()
    with open(convlens.images.sample_photo_path(), "rb") as stream:
        files["chelsea.png"] = stream.read()
    for name in ("camera", "coffee"):
        buffer = io.BytesIO()
        Image.open(io.BytesIO(files[f"{name}.png"])).save(buffer, "JPEG", quality=90)
        files[f"{name}.jpg"] = buffer.getvalue()
    crop = Image.open(io.BytesIO(files["coffee.png"])).crop((100, 100, 164, 148))
    for suffix, options in OTHER_FORMATS.items():
        buffer = io.BytesIO()
        crop.save(buffer, **options)
        files[f"coffee{suffix}"] = buffer.getvalue()
    return files


# Formats the loaders also read (image_dataset_from_directory: .bmp, .gif), on a 64x48 crop.
OTHER_FORMATS = {
    ".bmp": {"format": "BMP"},
    ".gif": {"format": "GIF"},
    ".tif": {"format": "TIFF", "compression": "tiff_deflate"},
    ".webp": {"format": "WEBP", "lossless": True},
}


def png_chunks_intact(data: bytes) -> bool:
    """Every chunk's CRC matches, lengths stay inside the file and IEND ends it."""
    if not data.startswith(PNG_SIGNATURE):
        return True  # not PNG: nothing to check here
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if length > 2**31 - 1 or end > len(data):
            return False
        body = data[position + 4 : end - 4]
        if zlib.crc32(body) != struct.unpack(">I", data[end - 4 : end])[0]:
            return False
        if kind == b"IEND":
            return True
        position = end
    return False


def reference_pixels(path) -> numpy.ndarray | None:
    """The RGB pixels a strict reader finds in ``path``, or None when it must be refused."""
    from PIL import Image

    data = regular_bytes(path)
    if data is None or not png_chunks_intact(data):
        return None
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.size[0] * picture.size[1] > MAX_PIXELS:
                return None
            return numpy.asarray(picture.convert("RGB"))
    except Exception:  # noqa: BLE001 - anything Pillow cannot decode must be refused
        return None


# ----- mutations: file bytes -> file bytes -----
def flip(data: bytes, rng, start=0) -> bytes:
    data = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        data[int(rng.integers(start, len(data)))] ^= int(rng.integers(1, 256))
    return bytes(data)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _dims(width, height, rng) -> tuple[int, int]:
    choices = [
        (width * 2, height * 2),
        (width + 1, height),
        (1, 1),
        (0, height),
        (100_000, 100_000),  # 10 gigapixels
        (9500, 9500),  # just over the limit
        (2**31 - 1, 2**31 - 1),
        (65535, 65535),
    ]
    return choices[int(rng.integers(len(choices)))]


def png_dims(data: bytes, rng) -> bytes:
    """IHDR's width and height replaced, its CRC recomputed: a valid header declaring them."""
    if not data.startswith(PNG_SIGNATURE):
        return flip(data, rng)
    ihdr = data[16:29]
    width, height = struct.unpack(">II", ihdr[:8])
    new_width, new_height = _dims(width, height, rng)
    new = _chunk(b"IHDR", struct.pack(">II", new_width, new_height) + ihdr[8:])
    return data[:8] + new + data[33:]


def jpeg_dims(data: bytes, rng) -> bytes:
    """The frame header's (SOF0/SOF2) height and width replaced: JPEG has no checksum."""
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at > 0:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            new_width, new_height = (min(v, 65535) for v in _dims(width, height, rng))
            return data[: at + 5] + struct.pack(">HH", new_height, new_width) + data[at + 9 :]
    return flip(data, rng)


def chunk_length(data: bytes, rng) -> bytes:
    """A PNG chunk's length field replaced (its CRC, over kind and body, still matches)."""
    if not data.startswith(PNG_SIGNATURE):
        return data[:2] + rng.bytes(4) + data[6:]
    position, starts = 8, []
    while position + 8 <= len(data):
        starts.append(position)
        position += 12 + struct.unpack(">I", data[position : position + 4])[0]
    at = starts[int(rng.integers(len(starts)))]
    value = [0, 1, 2**31 - 1, 2**32 - 1, int(rng.integers(2**32))][int(rng.integers(5))]
    return data[:at] + struct.pack(">I", value) + data[at + 4 :]


MUTATIONS = {
    # name: (mutation, whether a PNG's CRCs cover what it changes)
    "flip": (lambda data, rng: flip(data, rng), True),
    "flip_pixels": (lambda data, rng: flip(data, rng, start=len(data) // 2), True),
    "truncate": (lambda data, rng: data[: int(rng.integers(len(data)))], True),
    "dims": (
        lambda data, rng: png_dims(data, rng) if data[:1] == b"\x89" else jpeg_dims(data, rng),
        False,
    ),
    "chunk_length": (chunk_length, True),
    "trailing": (lambda data, rng: data + rng.bytes(int(rng.integers(1, 64))), True),
    "garbage": (lambda data, rng: rng.bytes(int(rng.integers(0, 2048))), True),
    "empty": (lambda data, rng: b"", True),
    "other_header": (lambda data, rng: data[:8] + rng.bytes(24) + data[32:], True),
}
