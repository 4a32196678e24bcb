"""The IDX format of MNIST and Fashion-MNIST (LeCun et al.), read with checks.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib

import numpy

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetFileError(ValueError):
    """A data file that is truncated or corrupt; the message names the file and the problem."""


def read_idx(path, md5: str | None = None) -> numpy.ndarray:
    """The array stored in an IDX file (``.gz`` or plain).

    Args:
        path: the file.
        md5: the published checksum of the uncompressed content, checked when given.

    Raises:
        DatasetFileError: naming the file, when it is truncated, corrupt, not IDX, or does not
            match ``md5``.
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DatasetFileError(f"{path}: corrupt gzip stream ({error}).") from None
    if md5 is not None and hashlib.md5(data).hexdigest() != md5:
        raise DatasetFileError(
            f"{path}: checksum mismatch (md5 {hashlib.md5(data).hexdigest()}, "
            f"expected {md5}); the file is corrupt or not the published one."
        )
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise DatasetFileError(f"{path}: not an IDX file (bad magic number {data[:4].hex()}).")
    dtype, ndim = numpy.dtype(_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFileError(f"{path}: truncated header ({len(data)} bytes).")
    shape = tuple(int(n) for n in numpy.frombuffer(data, ">u4", count=ndim, offset=4))
    expected = int(numpy.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DatasetFileError(
            f"{path}: expected {expected} bytes of data for shape {shape}, found "
            f"{len(data) - header} (truncated or corrupt)."
        )
    values = numpy.frombuffer(data, dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, a writable copy


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
        arrays.append(read_idx(path, md5=files[name]))
    images, labels = arrays
    if len(images) != len(labels):
        raise DatasetFileError(
            f"{folder}: {len(images)} images but {len(labels)} labels in {images_name} and "
            f"{labels_name}."
        )
    return images, labels
