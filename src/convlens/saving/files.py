"""What every file format here shares: the error type, atomic writes, telling formats apart,
reading zip members with bounded sizes, and reading an HDF5 member with its shape and dtype
checked before it is read.

Every failure while a file is read leaves as :class:`ModelFileError` naming the file and the
member (:func:`guarded`): a corrupt file never surfaces as KeyError, RecursionError,
MemoryError, zlib's or h5py's errors.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
import zipfile

import numpy

from ..atomic_files import remove_stale_temporaries, write_atomically  # noqa: F401

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# Every file convlens writes goes through one atomic writer (convlens.atomic_files).
_write_atomically = write_atomically


class ModelFileError(ValueError):
    """A model or weights file that cannot be read: the message names the file and the problem."""


# Bounds on what a file may make us allocate (issue 15). A member above BOMB_FLOOR bytes that
# expands more than MAX_EXPANSION times its stored size is a zip bomb (Keras's own guard uses
# the same kind of rule); HDF5 datasets may declare at most H5_ALLOWANCE times the bytes the
# file holds (Keras writes them uncompressed, so 1 would do; 4 leaves room for compression).
BOMB_FLOOR, MAX_EXPANSION = 64 << 20, 100
H5_ALLOWANCE, MARGIN = 4, 1 << 20
_CHUNK = 1 << 20
SPOOL_BYTES = 32 << 20  # a member inflated past this waits on disk, not in memory

_MEMBER: contextvars.ContextVar = contextvars.ContextVar("member", default=None)
_NONFINITE_OK: contextvars.ContextVar = contextvars.ContextVar("allow_nonfinite", default=False)


@contextlib.contextmanager
def guarded(filepath, allow_nonfinite: bool = False):
    """Read ``filepath`` inside the block: any exception but ModelFileError leaves as one
    naming the file, the member being read and the original error; NaN/inf weights are
    refused unless ``allow_nonfinite``."""
    tokens = _MEMBER.set(None), _NONFINITE_OK.set(bool(allow_nonfinite))
    try:
        yield
    except ModelFileError as error:
        if str(filepath) in str(error):
            raise
        raise ModelFileError(f"{filepath}: {error}") from None
    except Exception as error:  # noqa: BLE001 - the point: one error type for a bad file
        member = _MEMBER.get()
        where = f" {member!r}:" if member else ""
        raise ModelFileError(
            f"{filepath}:{where} corrupt or hostile content ({type(error).__name__}: {error})."
        ) from None
    finally:
        _NONFINITE_OK.reset(tokens[1])
        _MEMBER.reset(tokens[0])


@contextlib.contextmanager
def reading(member: str):
    """Name ``member`` in the errors :func:`guarded` raises inside the block."""
    token = _MEMBER.set(member)
    try:
        yield
    finally:
        _MEMBER.reset(token)


def nonfinite_allowed() -> bool:
    return _NONFINITE_OK.get()


def check_finite(array, where: str, filepath) -> None:
    """NaN or inf in a float array is refused (unless the load allows it)."""
    if array.dtype.kind == "f" and not nonfinite_allowed() and not numpy.isfinite(array).all():
        raise ModelFileError(
            f"{_prefix(filepath)}{where}: holds NaN or inf values; load with "
            "allow_nonfinite=True to accept them."
        )


def _prefix(filepath) -> str:
    return f"{filepath}: " if filepath else ""


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
    check_dtype(member.dtype, dtype, f"{where}: {member.name!r}", filepath)
    try:
        array = numpy.asarray(member[()])
    except OSError as error:
        raise ModelFileError(
            f"{filepath}: {where}: {member.name!r} is unreadable ({error})."
        ) from None
    check_finite(array, f"{where}: {member.name!r}", filepath)
    return numpy.asarray(array, dtype=dtype)


def check_dtype(stored, expected, where: str, filepath) -> None:
    """A float weight must be stored as a float (any width), an integer (an optimizer's
    iteration count) as an integer: bool, bytes, strings, dates or complex numbers are refused
    where a cast would silently change their meaning."""
    stored, expected = numpy.dtype(stored), numpy.dtype(expected)
    fits = stored.kind == "f" if expected.kind == "f" else stored.kind in "iu"
    if not fits or stored.fields is not None or stored.subdtype is not None:
        raise ModelFileError(
            f"{_prefix(filepath)}{where}: holds {stored}, the model expects {expected}."
        )


def check_h5_sizes(h5, available: int, filepath) -> None:
    """The bytes the file's datasets declare fit in the ``available`` bytes the file holds:
    a small file declaring gigabytes (compressed or never written) is refused unread."""
    h5py = h5py_module()
    total = 0

    def visit(_name, item):
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += int(item.size or 0) * item.dtype.itemsize

    h5.visititems(visit)
    if total > H5_ALLOWANCE * available + MARGIN:
        raise ModelFileError(
            f"{filepath}: its datasets declare {total} bytes in a file of {available} bytes; "
            "refusing to read them."
        )


def attribute_strings(group, name: str) -> list[str]:
    """A list-of-strings attribute as Keras writes it (bytes or str; split in chunks
    ``name0``, ``name1``... when it was too large for one HDF5 object header); names listed
    twice are refused."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values.extend(group.attrs[f"{name}{chunk}"])
            chunk += 1
    strings = [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]
    if len(set(strings)) != len(strings):  # a flipped byte in HDF5's unchecked metadata
        twice = sorted({value for value in strings if strings.count(value) > 1})
        raise ModelFileError(f"{group.name!r}: attribute {name!r} lists {twice} more than once.")
    return strings


def write_strings(group, name: str, values) -> None:
    """A list-of-strings attribute in Keras's legacy layout (bytes; empty: an empty array)."""
    encoded = [value.encode("utf8") for value in values]
    group.attrs[name] = numpy.array(encoded) if encoded else numpy.array([])


def open_zip(filepath):
    """An open zip archive whose member names are unique (a duplicate would be read as the
    last copy, silently)."""
    try:
        archive = zipfile.ZipFile(filepath)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise ModelFileError(
            f"{filepath}: not a model file (not a zip archive, or truncated)."
        ) from None
    names = archive.namelist()
    if len(names) != len(set(names)):
        archive.close()
        twice = sorted({name for name in names if names.count(name) > 1})
        raise ModelFileError(f"{filepath}: the archive holds {twice} more than once.")
    return archive


def member_size(archive, name: str, filepath, missing_ok=False) -> int:
    """The declared size of a member, refused when it cannot be true: a stored member whose
    sizes differ, or one expanding more than MAX_EXPANSION times above BOMB_FLOOR bytes
    (0 for a missing member when ``missing_ok``: reading it later says it is missing)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        if missing_ok:
            return 0
        raise ModelFileError(f"{filepath}: the archive has no {name!r}.") from None
    stored = info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size
    bomb = info.file_size > BOMB_FLOOR and info.file_size > MAX_EXPANSION * info.compress_size
    if stored or bomb:
        raise ModelFileError(
            f"{filepath}: {name!r} declares {info.file_size} bytes from {info.compress_size} "
            "stored bytes; refusing it (a corrupt header or a zip bomb)."
        )
    return info.file_size


def read_capped(archive, name: str, limit: int, filepath) -> bytes:
    """The member's bytes, refused when its declared size or the bytes it actually inflates
    to exceed ``limit`` (read in chunks: the header is never trusted alone)."""
    with extract_capped(archive, name, limit, filepath) as stream:
        return stream.read()


def extract_capped(archive, name: str, limit: int, filepath):
    """The member inflated into a seekable file object at its start, bounded as
    :func:`read_capped`: in memory up to SPOOL_BYTES, on disk (a temporary file, gone when
    closed) above, so a large weights file never holds its bytes twice in memory."""
    declared = member_size(archive, name, filepath)
    if declared > limit:
        raise ModelFileError(
            f"{filepath}: {name!r} is {declared} bytes, more than the {limit} bytes this "
            "model can need; refusing it."
        )
    spool, total = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES), 0
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(min(_CHUNK, limit + 1 - total)):
                total += len(chunk)
                if total > limit:
                    raise ModelFileError(
                        f"{filepath}: {name!r} inflates past {limit} bytes; refusing it."
                    )
                spool.write(chunk)
    except ModelFileError:
        spool.close()
        raise
    except Exception as error:  # noqa: BLE001 - BadZipFile, zlib.error, EOFError...
        spool.close()
        raise ModelFileError(f"{filepath}: {name!r} is corrupt ({error}).") from None
    spool.seek(0)
    return spool
