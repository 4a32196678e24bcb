"""The binary format of CIFAR-10 (Krizhevsky, 2009), read with checks and without pickle.

Each batch file is a run of 3073-byte records: one label byte, then the 32×32 red plane, the
green plane and the blue plane, row by row (the dataset's ``readme.html``, "Binary version").
The archive ``cifar-10-binary.tar.gz`` holds them under ``cifar-10-batches-bin/``; it is read as a
stream and nothing is extracted to disk.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import zlib

import numpy

from .idx import DatasetFileError, check_regular

H = W = 32
C = 3
RECORD = 1 + C * H * W  # label byte + R, G, B planes
CLASSES = 10


def read_batch(data: bytes, name: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Images ``(N, 32, 32, 3)`` uint8 channels-last and labels ``(N, 1)`` uint8 of one batch.

    Raises:
        DatasetFileError: naming ``name``, when the bytes are not whole records or hold a label
            outside 0-9.
    """
    if not data or len(data) % RECORD:
        raise DatasetFileError(
            f"{name}: {len(data)} bytes is not a whole number of {RECORD}-byte records "
            f"(1 label byte + {C * H * W} pixel bytes); the file is truncated or corrupt."
        )
    records = numpy.frombuffer(data, numpy.uint8).reshape(-1, RECORD)  # (N, 3073)
    labels = records[:, :1].copy()  # (N, 1)
    if labels.max() >= CLASSES:
        bad = int(labels.argmax())
        raise DatasetFileError(
            f"{name}: record {bad} has label {labels[bad, 0]}, not a class 0-{CLASSES - 1}; "
            f"the file is corrupt."
        )
    planes = records[:, 1:].reshape(-1, C, H, W)  # (N, C, H, W)
    images = numpy.ascontiguousarray(planes.transpose(0, 2, 3, 1))  # (N, H, W, C)
    return images, labels


def read_archive(path, members: list[str]) -> dict:
    """``{member: (images, labels)}`` for the batch files ``members`` of a ``.tar.gz`` archive.

    The whole archive is read so that gzip's CRC checks every byte of it.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        DatasetFileError: naming the archive (and member), when it is truncated, corrupt, lacks
            one of ``members``, a batch is not whole records, or it is not a regular file.
    """
    path = os.fspath(path)
    check_regular(path)
    batches = {}
    try:
        with gzip.open(path, "rb") as stream, tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                if member.name in members and member.isfile():
                    _check_member(path, member, batches)
                    data = archive.extractfile(member).read()
                    batches[member.name] = read_batch(data, f"{path}: member {member.name}")
                _check_inflated(path, stream.tell())
            _check_inflated(path, stream.tell())
            while stream.read(1 << 20):  # to the end, where gzip checks the CRC and length
                _check_inflated(path, stream.tell())
    except FileNotFoundError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DatasetFileError(f"{path}: truncated or corrupt archive ({error}).") from None
    missing = [name for name in members if name not in batches]
    if missing:
        raise DatasetFileError(
            f"{path}: not the CIFAR-10 binary archive, it lacks {', '.join(missing)}."
        )
    return batches


MAX_BATCH_BYTES = 10_000 * RECORD  # a batch file holds 10,000 records
MAX_ARCHIVE_BYTES = 256 << 20  # the real archive inflates to 177 MiB


def _check_member(path, member, batches) -> None:
    """Refuse a second copy of a batch (it would silently replace the first) and a batch larger
    than 10,000 records, before its bytes are read."""
    if member.name in batches:
        raise DatasetFileError(
            f"{path}: member {member.name} appears twice; the archive is corrupt."
        )
    if member.size > MAX_BATCH_BYTES:
        raise DatasetFileError(
            f"{path}: member {member.name} declares {member.size:,} bytes; a CIFAR-10 batch "
            f"holds at most {MAX_BATCH_BYTES:,}."
        )


def _check_inflated(path, inflated: int) -> None:
    if inflated > MAX_ARCHIVE_BYTES:
        raise DatasetFileError(
            f"{path}: inflates past {MAX_ARCHIVE_BYTES:,} bytes; the CIFAR-10 archive inflates "
            "to 177 MiB, so this is not it."
        )
