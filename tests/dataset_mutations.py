"""Mutations of real dataset files and an independent reader that judges each load (issue 15),
for tests/test_datasets_fuzz.py.

The originals are real: the MNIST test labels as shipped (gzipped IDX), the first 32
Fashion-MNIST test images (their IDX header with the count set to 32), and a CIFAR-10 binary
archive (``.tar.gz``) holding the 20 real CIFAR-10 sample images as two batches.

The reference readers here share no code with convlens: they decompress the whole file with
``gzip.decompress`` (which checks every member's CRC and length), parse the format from its
specification, and return the content a strict reader must find, or None when the file must be
refused.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import stat
import struct
import tarfile

import numpy

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared")
DATASETS = os.path.join(SHARED, "datasets")
IDX_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
RECORD = 1 + 32 * 32 * 3
FOLDER = "cifar-10-batches-bin"
TRAIN_MEMBER, TEST_MEMBER = f"{FOLDER}/data_batch_1.bin", f"{FOLDER}/test_batch.bin"
CIFAR_MEMBERS = [TRAIN_MEMBER, TEST_MEMBER]


# ----- the originals -----
def idx_originals() -> dict:
    """name -> raw (uncompressed) IDX bytes of real files."""
    with open(os.path.join(DATASETS, "mnist", "t10k-labels-idx1-ubyte.gz"), "rb") as stream:
        labels = gzip.decompress(stream.read())
    with gzip.open(os.path.join(DATASETS, "fashion-mnist", "t10k-images-idx3-ubyte.gz")) as stream:
        header, pixels = stream.read(16), stream.read(32 * 28 * 28)
    images = header[:4] + struct.pack(">I", 32) + header[8:] + pixels
    return {"labels": labels, "images": images}


def cifar_records(count_per_batch=10) -> tuple[bytes, bytes]:
    """Two batches of the binary format from the real sample PNGs (label byte, R, G, B planes)."""
    from PIL import Image

    folder = os.path.join(DATASETS, "cifar10-sample")
    records = []
    for name in sorted(os.listdir(folder)):
        label = int(name.rsplit("_", 1)[1].split(".")[0])
        with Image.open(os.path.join(folder, name)) as image:
            pixels = numpy.asarray(image.convert("RGB"))  # (32, 32, 3)
        records.append(bytes([label]) + pixels.transpose(2, 0, 1).tobytes())
    return (
        b"".join(records[:count_per_batch]),
        b"".join(records[count_per_batch : 2 * count_per_batch]),
    )


def tar_bytes(members) -> bytes:
    """An uncompressed tar of ``(name, data)`` pairs; data None makes a folder entry."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_original() -> list:
    """The members of the original archive, as the real one lays them out."""
    train, test = cifar_records()
    return [
        (FOLDER, None),
        (f"{FOLDER}/batches.meta.txt", b"airplane\nautomobile\nbird\ncat\n"),
        (TRAIN_MEMBER, train),
        (TEST_MEMBER, test),
    ]


# ----- the reference readers -----
def regular_bytes(path) -> bytes | None:
    """The bytes of a regular file; None for a folder, a device, a pipe or a missing path."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
    except OSError:
        return None
    with open(path, "rb") as stream:
        return stream.read()


def _gunzip(raw: bytes) -> bytes | None:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, ValueError, Exception):  # noqa: BLE001 - any failure: refuse
        return None


def reference_idx(path, max_bytes=1 << 30):
    """The array a strict IDX reader finds in ``path`` (big-endian dtype), or None."""
    raw = regular_bytes(path)
    if raw is not None and raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw)
    if raw is None or len(raw) < 4 or raw[0] or raw[1] or raw[2] not in IDX_CODES:
        return None
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        return None
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = numpy.dtype(IDX_CODES[raw[2]])
    size = math.prod(dims) * dtype.itemsize
    payload = raw[4 + 4 * ndim :]
    spanned = math.prod(max(n, 1) for n in dims) * dtype.itemsize  # a zero dimension spans too
    if size > max_bytes or spanned > max_bytes or len(payload) != size:
        return None
    return numpy.frombuffer(payload, dtype).reshape(dims)


def reference_cifar(path, members, max_batch, max_archive):
    """``{member: (images, labels)}`` a strict reader finds in a CIFAR-10 archive, or None."""
    raw = regular_bytes(path)
    data = None if raw is None else _gunzip(raw)
    if data is None or len(data) > max_archive:
        return None
    found = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():
                if member.name not in members or not member.isfile():
                    continue
                if member.name in found or member.size > max_batch:
                    return None
                found[member.name] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError):
        return None
    if set(found) != set(members):
        return None
    batches = {}
    for name, content in found.items():
        if not content or len(content) % RECORD:
            return None
        records = numpy.frombuffer(content, numpy.uint8).reshape(-1, RECORD)
        if records[:, 0].max() >= 10:
            return None
        images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        batches[name] = (images, records[:, :1])
    return batches


# ----- byte-level mutations -----
def flip(data: bytes, rng, count=None) -> bytes:
    data = bytearray(data)
    for _ in range(count or int(rng.integers(1, 5))):
        position = int(rng.integers(len(data)))
        data[position] ^= int(rng.integers(1, 256))
    return bytes(data)


def truncate(data: bytes, rng) -> bytes:
    return data[: int(rng.integers(len(data)))]


def gzip_members(data: bytes, rng) -> bytes:
    """The same content as two or three gzip members (a valid gzip file)."""
    cuts = sorted(int(c) for c in rng.integers(0, len(data) + 1, int(rng.integers(1, 3))))
    parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    return b"".join(gzip.compress(part, mtime=0) for part in parts)


def bomb(prefix: bytes, megabytes: int) -> bytes:
    """``prefix`` followed by ``megabytes`` MiB of zeros, gzipped (about 1,000 to 1)."""
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb", mtime=0) as out:
        out.write(prefix)
        for _ in range(megabytes):
            out.write(bytes(1 << 20))
    return stream.getvalue()


# ----- IDX mutations: raw IDX bytes -> the file's bytes -----
def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _maybe_gz(data: bytes, rng) -> bytes:
    return _gz(data) if rng.random() < 0.6 else data


def _header_size(raw: bytes) -> int:
    return 4 + 4 * raw[3]


def _set_dim(raw: bytes, rng) -> bytes:
    ndim = raw[3]
    axis = int(rng.integers(ndim))
    old = struct.unpack(">I", raw[4 + 4 * axis : 8 + 4 * axis])[0]
    choices = [0, 1, old - 1, old + 1, 2**31, 2**32 - 1, int(rng.integers(2**32))]
    value = choices[int(rng.integers(len(choices)))] % 2**32
    return raw[: 4 + 4 * axis] + struct.pack(">I", value) + raw[8 + 4 * axis :]


def _set_magic(raw: bytes, rng) -> bytes:
    position = int(rng.integers(4))
    values = [0, 1, 2, 3, 4, 5, 255, 0x08, 0x0A, 0x0D, 0x0E, int(rng.integers(256))]
    return raw[:position] + bytes([values[int(rng.integers(len(values)))]]) + raw[position + 1 :]


def _gz_header_field(raw: bytes, rng) -> bytes:
    """A gzip header byte replaced: flags (3), mtime (4-7), extra flags (8) or OS (9)."""
    data = bytearray(_gz(raw))
    data[int(rng.integers(3, 10))] = int(rng.integers(256))
    return bytes(data)


IDX_MUTATIONS = {
    # name: (mutation, whether the file is gzip whose CRC covers the content as it was)
    "gz_flip": (lambda raw, rng: flip(_gz(raw), rng), True),
    "gz_truncate": (lambda raw, rng: truncate(_gz(raw), rng), True),
    "gz_header_field": (_gz_header_field, True),
    "raw_flip_header": (
        lambda raw, rng: _maybe_gz(
            flip(raw[: _header_size(raw)], rng) + raw[_header_size(raw) :], rng
        ),
        False,
    ),
    "raw_flip_payload": (
        lambda raw, rng: _maybe_gz(
            raw[: _header_size(raw)] + flip(raw[_header_size(raw) :], rng), rng
        ),
        False,
    ),
    "raw_truncate": (lambda raw, rng: _maybe_gz(truncate(raw, rng), rng), False),
    "magic": (lambda raw, rng: _maybe_gz(_set_magic(raw, rng), rng), False),
    "dim": (lambda raw, rng: _maybe_gz(_set_dim(raw, rng), rng), False),
    "members": (lambda raw, rng: gzip_members(raw, rng), True),
    "concat": (
        lambda raw, rng: _gz(raw) + _gz(raw if rng.random() < 0.5 else flip(raw[:64], rng)),
        False,
    ),
    "trailing": (
        lambda raw, rng: (
            _maybe_gz(raw, rng)
            + (bytes(int(rng.integers(1, 64))) if rng.random() < 0.5 else rng.bytes(8))
        ),
        False,
    ),
    "bomb": (lambda raw, rng: bomb(raw, int(rng.integers(1, 4))), False),
    "header_only": (lambda raw, rng: _maybe_gz(raw[: _header_size(raw)], rng), False),
    "empty": (lambda raw, rng: _maybe_gz(b"", rng), False),
}


# ----- CIFAR mutations: the archive's members -> the file's bytes -----
def _batches(members) -> list[int]:
    return [i for i, (name, data) in enumerate(members) if name in CIFAR_MEMBERS]


def _pick_batch(members, rng) -> int:
    batches = _batches(members)
    return batches[int(rng.integers(len(batches)))]


_KEEP = object()


def _replace(members, index, name=None, data=_KEEP) -> list:
    old_name, old_data = members[index]
    new = (old_name if name is None else name, old_data if data is _KEEP else data)
    return [*members[:index], new, *members[index + 1 :]]


def _duplicate(members, rng):
    name, data = members[_pick_batch(members, rng)]
    other = bytes([int(rng.integers(10))]) + data[1:]
    return tar_bytes([*members, (name, other if rng.random() < 0.5 else data)])


def _rename(members, rng):
    index = _pick_batch(members, rng)
    name = members[index][0]
    wrong = [name.upper(), "./" + name, name.split("/")[-1], name + ".bak", name[:-1], ""]
    return tar_bytes(_replace(members, index, name=wrong[int(rng.integers(len(wrong)))]))


def _not_a_file(members, rng):
    index = _pick_batch(members, rng)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for i, (member, data) in enumerate(members):
            info = tarfile.TarInfo(member)
            if i == index:
                info.type = [tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.FIFOTYPE][i % 3]
                info.linkname = "/dev/zero"
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _resize(members, rng):
    index = _pick_batch(members, rng)
    data = members[index][1]
    sizes = [0, 1, RECORD - 1, RECORD + 1, len(data) - 1, len(data) + int(rng.integers(1, 99))]
    size = sizes[int(rng.integers(len(sizes)))]
    return tar_bytes(_replace(members, index, data=(data * 2)[:size]))


def _label(members, rng):
    index = _pick_batch(members, rng)
    data = bytearray(members[index][1])
    data[RECORD * int(rng.integers(len(data) // RECORD))] = int(rng.integers(256))
    return tar_bytes(_replace(members, index, data=bytes(data)))


def _drop(members, rng):
    index = _pick_batch(members, rng)
    return tar_bytes([m for i, m in enumerate(members) if i != index])


def _padding_bomb(members, rng, megabytes):
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb", mtime=0) as out:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT) as tar:
            info = tarfile.TarInfo(f"{FOLDER}/padding.bin")
            info.size = megabytes << 20
            tar.addfile(info, _Zeros(info.size))
            for name, data in members:
                info = tarfile.TarInfo(name)
                if data is None:
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                else:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return stream.getvalue()


class _Zeros:
    def __init__(self, size):
        self.left = size

    def read(self, size=-1):
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return bytes(size)


def _oversized(members, rng, max_batch):
    index = _pick_batch(members, rng)
    records = max_batch // RECORD + int(rng.integers(1, 3))
    return tar_bytes(
        _replace(members, index, data=(members[index][1] * records)[: records * RECORD])
    )


CIFAR_MUTATIONS = {
    # name: (mutation of the members -> tar or tar.gz bytes, already gzipped?)
    "gz_flip": (lambda m, rng, limits: flip(_gz(tar_bytes(m)), rng), True),
    "gz_truncate": (lambda m, rng, limits: truncate(_gz(tar_bytes(m)), rng), True),
    "tar_flip": (lambda m, rng, limits: flip(tar_bytes(m), rng), False),
    "tar_truncate": (lambda m, rng, limits: truncate(tar_bytes(m), rng), False),
    "duplicate": (lambda m, rng, limits: _duplicate(m, rng), False),
    "rename": (lambda m, rng, limits: _rename(m, rng), False),
    "drop": (lambda m, rng, limits: _drop(m, rng), False),
    "not_a_file": (lambda m, rng, limits: _not_a_file(m, rng), False),
    "resize": (lambda m, rng, limits: _resize(m, rng), False),
    "label": (lambda m, rng, limits: _label(m, rng), False),
    "oversized": (lambda m, rng, limits: _oversized(m, rng, limits[0]), False),
    "bomb": (
        lambda m, rng, limits: _padding_bomb(m, rng, (limits[1] >> 20) + int(rng.integers(1, 3))),
        True,
    ),
    "members": (lambda m, rng, limits: gzip_members(tar_bytes(m), rng), True),
    "concat": (lambda m, rng, limits: _gz(tar_bytes(m)) * 2, True),
    "trailing": (lambda m, rng, limits: _gz(tar_bytes(m)) + rng.bytes(8), True),
}


def cifar_case_bytes(name, members, rng, limits) -> bytes:
    mutate, gzipped = CIFAR_MUTATIONS[name]
    data = mutate(members, rng, limits)
    return data if gzipped else _gz(data)
