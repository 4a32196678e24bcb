"""What every file format here shares: the error type, atomic writes, telling formats apart,
and reading an HDF5 member with its shape and dtype checked before it is assigned."""

from __future__ import annotations

import os
import zipfile

import numpy

from ..atomic_files import remove_stale_temporaries, write_atomically  # noqa: F401

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# Every file convlens writes goes through one atomic writer (convlens.atomic_files).
_write_atomically = write_atomically


class ModelFileError(ValueError):
    """A model or weights file that cannot be read: the message names the file and the problem."""


def check_exists(filepath) -> str:
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{filepath}: no such file.")
    return filepath


def file_kind(filepath) -> str:
    """``"hdf5"``, ``"zip"`` or ``"unknown"``, from the first bytes (never the extension)."""
    with open(filepath, "rb") as stream:
        head = stream.read(8)
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if head[:2] == b"PK":
        return "zip"
    return "unknown"


def h5py_module():
    """h5py, imported only when an HDF5 file is read or written."""
    try:
        import h5py
    except ImportError as error:  # pragma: no cover - h5py is a core dependency
        raise ImportError("Keras's HDF5 files need h5py: pip install 'h5py>=3.8'.") from error
    return h5py


def open_h5(source, filepath, mode="r"):
    """An ``h5py.File`` on a path or a file object, a clear error for a corrupt one."""
    h5py = h5py_module()
    try:
        return h5py.File(source, mode)
    except OSError as error:
        raise ModelFileError(f"{filepath}: not a readable HDF5 file ({error}).") from None


def read_member(group, key: str, shape, dtype, where: str, filepath) -> numpy.ndarray:
    """The dataset ``group[key]`` as an array of ``shape`` and ``dtype``, checked before it is
    read: a missing member, another shape or a non-numeric dtype raise ModelFileError."""
    h5py = h5py_module()
    member = group.get(key) if group is not None else None
    if not isinstance(member, h5py.Dataset):
        raise ModelFileError(f"{filepath}: {where}: the file has no dataset {key!r}.")
    shape = tuple(shape)
    if tuple(member.shape) != shape:
        raise ModelFileError(
            f"{filepath}: {where}: {member.name!r} has shape {tuple(member.shape)}, "
            f"the model expects {shape}."
        )
    dtype = numpy.dtype(dtype)
    if member.dtype.kind not in "fiub" or (member.dtype.kind == "f") != (dtype.kind == "f"):
        raise ModelFileError(
            f"{filepath}: {where}: {member.name!r} holds {member.dtype}, the model expects {dtype}."
        )
    return numpy.asarray(member[()], dtype=dtype)


def attribute_strings(group, name: str) -> list[str]:
    """A list-of-strings attribute as Keras writes it (bytes or str; split in chunks
    ``name0``, ``name1``... when it was too large for one HDF5 object header)."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def write_strings(group, name: str, values) -> None:
    """A list-of-strings attribute in Keras's legacy layout (bytes; empty: an empty array)."""
    encoded = [value.encode("utf8") for value in values]
    group.attrs[name] = numpy.array(encoded) if encoded else numpy.array([])


def open_zip(filepath):
    try:
        return zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{filepath}: not a model file (not a zip archive, or truncated)."
        ) from None
