"""``get_file``: a file from a URL, kept in a cache folder, as Keras 3's ``utils.get_file``.

A file already in the cache (and matching ``file_hash`` when one is given) is used without any
network, so an offline machine works once the file is put there by hand; a failed download
says exactly where to put it. Downloads are streamed to a temporary file and renamed only when
complete and matching the hash. Archives are extracted safely: no member may land outside the
extraction folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile

from ..datasets.download import TIMEOUT, DownloadError

CHUNK = 1 << 20


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
) -> str:
    """The local path of ``origin``, downloaded into ``cache_dir/cache_subdir`` if needed.

    Args:
        fname: the file's name in the cache (default: the last part of the URL's path).
        origin: the URL.
        untar: legacy; extract a tar archive.
        md5_hash: legacy; the file's md5.
        file_hash: the expected sha256 or md5 hex digest.
        cache_subdir: the subfolder of ``cache_dir``.
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (by the digest's length).
        extract: extract a tar or zip archive; the extraction folder is returned.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or a list of them.
        cache_dir: the cache's root (default ``~/.keras``, as Keras).
        force_download: download even when the file is in the cache.

    Returns:
        The path of the file, or of the extraction folder with ``extract``/``untar``.

    Raises:
        ValueError: for a missing ``origin``, a path as ``fname``, or a downloaded file whose
            hash does not match.
        convlens.datasets.download.DownloadError: when the download fails (offline), naming the
            path to put the file at by hand.
    """
    if not origin:
        raise ValueError('get_file: please specify the "origin" argument (the URL of the file).')
    if fname is not None and os.sep in str(fname):
        raise ValueError(
            f"get_file: fname must be a file name, not a path; use cache_dir for the folder "
            f"(received fname={fname!r})."
        )
    folder = _cache_folder(cache_dir, cache_subdir)
    provided = fname is not None
    fname = fname or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot take a file name from origin {origin!r}; pass fname.")
    file_hash = file_hash or md5_hash
    algorithm = "md5" if md5_hash and hash_algorithm == "auto" else hash_algorithm
    target, extraction = _targets(folder, fname, provided, extract or untar)
    if force_download or not os.path.exists(target) or not _matches(target, file_hash, algorithm):
        _download(origin, target, file_hash, algorithm)
    if extract or untar:
        _extract(target, extraction, "tar" if untar else archive_format)
        return extraction
    return target


def _cache_folder(cache_dir, cache_subdir) -> str:
    root = os.path.expanduser(cache_dir or os.path.join("~", ".keras"))
    if not os.access(root if os.path.exists(root) else os.path.dirname(root) or ".", os.W_OK):
        root = os.path.join(tempfile.gettempdir(), ".keras")  # Keras's fallback
    folder = os.path.join(root, cache_subdir)
    os.makedirs(folder, exist_ok=True)
    return folder


def _targets(folder, fname, provided, extracting):
    """Keras's names: the archive's path and the extraction folder."""
    if not extracting:
        return os.path.join(folder, fname), None
    if provided and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(folder, fname), os.path.join(folder, f"{stem}_extracted")
    return os.path.join(folder, f"{fname}_archive"), os.path.join(folder, fname)


def _hasher(file_hash, algorithm):
    if algorithm == "auto":
        algorithm = "sha256" if file_hash and len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(
            f"get_file: hash_algorithm must be sha256, md5 or auto, got {algorithm!r}."
        )
    return hashlib.new(algorithm), algorithm


def _matches(path, file_hash, algorithm) -> bool:
    if file_hash is None:
        return True
    digest, _ = _hasher(file_hash, algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == file_hash


def _download(origin, target, file_hash, algorithm) -> None:
    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        try:
            with (
                os.fdopen(handle, "wb") as out,
                urllib.request.urlopen(origin, timeout=TIMEOUT) as reply,
            ):
                while chunk := reply.read(CHUNK):
                    out.write(chunk)
        except OSError as error:  # URLError, HTTPError, timeouts
            raise DownloadError(
                f"get_file: could not download {origin} ({getattr(error, 'reason', error)}). "
                f"Without network, fetch it on another machine and put it at {target}; "
                "get_file then uses it."
            ) from error
        if not _matches(partial, file_hash, algorithm):
            raise ValueError(
                f"get_file: the file downloaded from {origin} does not match its "
                f"{_hasher(file_hash, algorithm)[1]} hash {file_hash}; it is corrupt or not "
                "the expected file, and was not kept."
            )
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)


def _extract(archive, folder, archive_format) -> None:
    """Extract a tar or zip archive into ``folder``; members may not escape it."""
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    formats = ["tar", "zip"] if formats == ["auto"] else formats
    if "tar" in formats and tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")  # refuses absolute paths, .. and odd links
        return
    if "zip" in formats and zipfile.is_zipfile(archive):
        root = os.path.realpath(folder)
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                destination = os.path.realpath(os.path.join(root, member))
                if os.path.commonpath([root, destination]) != root:
                    raise ValueError(f"get_file: archive member {member!r} would leave {folder}.")
            zipped.extractall(root)
        return
    raise ValueError(f"get_file: {archive} is not a {' or '.join(formats)} archive.")
