"""The IDX format of MNIST and Fashion-MNIST (LeCun et al.), read with checks.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import stat
import zlib

import numpy

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_TYPES_BY_CODE = {code: numpy.dtype(name) for code, name in _TYPES.items()}


class DatasetFileError(ValueError):
    """A data file that is truncated or corrupt; the message names the file and the problem."""


MAX_BYTES = 1 << 30  # 1 GiB of values: MNIST's largest file holds 47 MB
PUBLISHED_MAX_BYTES = 64 << 20  # MNIST's and Fashion-MNIST's largest hold 47,040,000 values


def check_regular(path: str) -> None:
    """Refuse a device, pipe or folder (a link is followed) before it is opened: reading
    ``/dev/zero`` never ends and opening a pipe waits for a writer. A missing path passes, for
    ``open`` to raise FileNotFoundError."""
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise DatasetFileError(f"{path}: not a regular file (a device, pipe or folder).")


def read_idx(path, md5: str | None = None, max_bytes: int = MAX_BYTES) -> numpy.ndarray:
    """The array stored in an IDX file (``.gz`` or plain).

    The header is read first and the data size it declares is computed with Python's exact
    integers and checked against ``max_bytes`` before the data are read, so a small file that
    declares (or inflates to) gigabytes is refused without allocating them.

    Args:
        path: the file (a regular file: devices and pipes are refused).
        md5: the published checksum of the uncompressed content, checked when given.
        max_bytes: the largest data size accepted.

    Raises:
        DatasetFileError: naming the file, when it is truncated, corrupt, not IDX, too large,
            not a regular file, or does not match ``md5``.
        ValueError: for a ``max_bytes`` that is not an int >= 0.
    """
    path = os.fspath(path)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"read_idx: max_bytes must be an int >= 0, received {max_bytes!r}.")
    check_regular(path)
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
            header, data = _read_idx_content(stream, path, max_bytes)
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DatasetFileError(f"{path}: corrupt gzip stream ({error}).") from None
    if md5 is not None:
        digest = hashlib.md5(header)
        digest.update(data)  # not header + data: a copy of the whole content
        if digest.hexdigest() != md5:
            raise DatasetFileError(
                f"{path}: checksum mismatch (md5 {digest.hexdigest()}, expected {md5}); the "
                "file is corrupt or not the published one."
            )
    dtype, shape = _TYPES_BY_CODE[header[2]], _shape(header)
    values = numpy.frombuffer(data, dtype).reshape(shape)  # writable: data is a bytearray
    return values.astype(dtype.newbyteorder("="), copy=False)  # native byte order


def _read_idx_content(stream, path, max_bytes) -> tuple[bytes, bytearray]:
    """(header, data) of an IDX stream, the sizes checked before the data are read."""
    magic = stream.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES:
        raise DatasetFileError(f"{path}: not an IDX file (bad magic number {magic[:4].hex()}).")
    header = magic + stream.read(4 * magic[3])
    if len(header) < 4 + 4 * magic[3]:
        raise DatasetFileError(f"{path}: truncated header ({len(header)} bytes).")
    shape = _shape(header)
    expected = math.prod(shape) * _TYPES_BY_CODE[magic[2]].itemsize  # exact: no overflow
    # A zero dimension makes no data, but the others must still fit an array's index space.
    spanned = math.prod(max(n, 1) for n in shape) * _TYPES_BY_CODE[magic[2]].itemsize
    if expected == 0 and spanned > max_bytes:
        raise DatasetFileError(
            f"{path}: declares shape {shape}, empty but spanning {spanned:,} bytes; at most "
            f"{max_bytes:,} are read (pass max_bytes to read more)."
        )
    if expected > max_bytes:
        raise DatasetFileError(
            f"{path}: declares shape {shape}, {expected:,} bytes of data; at most "
            f"{max_bytes:,} are read (pass max_bytes to read more)."
        )
    data = _read_up_to(stream, expected + 1)
    if len(data) != expected:
        found = f"{len(data)}" if len(data) <= expected else "more"
        raise DatasetFileError(
            f"{path}: expected {expected} bytes of data for shape {shape}, found "
            f"{found} (truncated or corrupt)."
        )
    return header, data


def _read_up_to(stream, count: int) -> bytearray:
    """At most ``count`` bytes, read in blocks: memory follows what the file holds, not what
    its header declares (``read(count)`` would reserve all of ``count`` at once)."""
    data = bytearray()
    while len(data) < count and (block := stream.read(min(count - len(data), 1 << 24))):
        data += block
    return data


def _shape(header: bytes) -> tuple[int, ...]:
    return tuple(int(n) for n in numpy.frombuffer(header, ">u4", count=header[3], offset=4))


def read_idx_pair(folder, files: dict, prefix: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The images and labels of one split, from the two files of ``files`` named ``prefix...``.

    Args:
        folder: the folder holding the files.
        files: file name -> md5 of its uncompressed content; images before labels.
        prefix: ``"train"`` or ``"t10k"``.

    Raises:
        FileNotFoundError: naming the missing file.
        DatasetFileError: naming the file, when one is truncated or corrupt, or the two disagree.
    """
    folder = os.fspath(folder)
    images_name, labels_name = (name for name in files if name.startswith(prefix))
    arrays = []
    for name in (images_name, labels_name):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"{path}: missing; expected the four IDX files {', '.join(files)} in {folder}."
            )
        # A file declaring more than the published ones cannot match its md5: refused unread.
        arrays.append(read_idx(path, md5=files[name], max_bytes=PUBLISHED_MAX_BYTES))
    images, labels = arrays
    if len(images) != len(labels):
        raise DatasetFileError(
            f"{folder}: {len(images)} images but {len(labels)} labels in {images_name} and "
            f"{labels_name}."
        )
    return images, labels
