"""The dataset cache and its downloads: streamed to a temporary file, checked, then renamed.

A file enters the cache only whole and matching its published checksum: it is written to a
temporary file beside its final place, hashed on the way, and moved with ``os.replace`` (atomic on
one file system) once checked. On any failure the temporary file is removed, so an interrupted or
corrupt download leaves nothing behind, and two processes downloading at once cannot see each
other's half-written files.

Environment:
    CONVLENS_DATA: the cache folder (default ``~/.cache/convlens``); each dataset has a subfolder.
    CONVLENS_DATA_URL: a base URL that replaces the official locations (a local mirror).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.request

from .idx import DatasetFileError

DEFAULT_CACHE = os.path.join("~", ".cache", "convlens")
TIMEOUT = 30.0  # seconds to connect, and without data, before a download is given up
CHUNK = 1 << 20


class DownloadError(OSError):
    """A file that could not be downloaded; the message says where to put it by hand."""


def cache_dir(name: str) -> str:
    """The folder where dataset ``name`` is kept: ``$CONVLENS_DATA/name`` or
    ``~/.cache/convlens/name``. MNIST and Fashion-MNIST share file names, hence one folder each."""
    root = os.environ.get("CONVLENS_DATA") or os.path.expanduser(DEFAULT_CACHE)
    return os.path.join(root, name)


def base_urls(mirrors) -> list[str]:
    """``$CONVLENS_DATA_URL`` when it is set, else the dataset's official ``mirrors``, in order."""
    override = os.environ.get("CONVLENS_DATA_URL")
    return [override] if override else list(mirrors)


def ensure_files(folder: str, files: dict, mirrors, dataset: str) -> None:
    """Download into ``folder`` the ``files`` (name -> published md5) that it does not hold yet.

    Files already there are used as they are: a folder filled by hand needs no network.

    Raises:
        DownloadError: when no mirror gives a file; the message lists the file names to fetch
            by hand and the folder to put them in.
        DatasetFileError: when a downloaded file does not match its published md5.
    """
    missing = [name for name in files if not os.path.isfile(os.path.join(folder, name))]
    if not missing:
        return
    created = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    try:
        for name in missing:
            fetch(name, folder, files[name], base_urls(mirrors), dataset, list(files))
    finally:
        if created:  # leave no empty folder behind after a failure; a filled one stays
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def fetch(name: str, folder: str, md5: str, bases: list, dataset: str, names: list) -> str:
    """Download ``name`` into ``folder`` from the first of ``bases`` that serves it whole."""
    failures = []
    for base in bases:
        url = base.rstrip("/") + "/" + name
        try:
            download(url, os.path.join(folder, name), md5)
            return os.path.join(folder, name)
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, truncation
            failures.append(f"  {url}: {error}")
    raise DownloadError(
        f"Could not download {dataset} file {name}:\n"
        + "\n".join(failures)
        + f"\nWithout network, fetch {', '.join(names)} from {bases[0]} on another machine and "
        f"put them in {folder} (or set CONVLENS_DATA to a folder holding a "
        f"{os.path.basename(folder)}/ subfolder with them, or pass load_data(path=...) "
        f"a folder holding them)."
    )


def download(url: str, target: str, md5: str) -> None:
    """Stream ``url`` into ``target``, which appears only once complete and matching ``md5``.

    Raises:
        DownloadError: the server sent fewer bytes than it announced.
        DatasetFileError: the content does not match ``md5``.
        urllib.error.URLError: no connection, or an HTTP error status.
    """
    folder, name = os.path.split(target)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
            digest, size = hashlib.md5(), 0
            while chunk := reply.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            announced = reply.headers.get("Content-Length")
        # http.client returns a short body without complaint when the connection drops early.
        if announced is not None and size != int(announced):
            raise DownloadError(f"truncated download, received {size} of {announced} bytes")
        if digest.hexdigest() != md5:
            raise DatasetFileError(
                f"{url}: checksum mismatch for {name} (md5 {digest.hexdigest()}, expected the "
                f"published {md5}); the download is corrupt or not the published file, and was "
                f"not kept."
            )
        os.replace(partial, target)
    except BaseException:  # KeyboardInterrupt too: never leave the partial file
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
        raise
