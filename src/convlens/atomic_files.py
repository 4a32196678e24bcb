"""Atomic file writes, written once: a temporary file in the target's folder, renamed into place.

Model files, weights, exports, pictures and images all go through :func:`write_atomically`, so an
interrupted write never leaves a half-written file where a good one was, a failed one leaves
nothing, and the temporary files of killed processes are cleaned by the next write into the
same folder. Imports nothing from convlens: every layer may use it.
"""

from __future__ import annotations

import os
import tempfile

TEMPORARY_PREFIX = ".tmp-convlens-"


def write_atomically(filepath, write, overwrite=True) -> None:
    """Call ``write(stream)`` on a temporary file in the target's folder, then rename it into
    place, so an interrupted save never leaves a half-written file where a good one was.

    The temporary file is removed on any failure. A kill (SIGKILL, power loss) leaves it; its
    name holds the process id, and the next save into the folder removes those whose process is
    gone, so crashes do not pile up files."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder)
    handle, temporary = tempfile.mkstemp(
        dir=folder, prefix=f"{TEMPORARY_PREFIX}{os.getpid()}-", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _new_file_mode())  # mkstemp's 0600 -> what open() would give
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def remove_stale_temporaries(folder) -> list[str]:
    """Remove the temporary files of saves whose process died (named by their process id);
    returns their paths. Those of live processes, saving now, are left alone."""
    removed = []
    for name in os.listdir(folder):
        if not (name.startswith(TEMPORARY_PREFIX) and name.endswith(".part")):
            continue
        pid = name[len(TEMPORARY_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            path = os.path.join(folder, name)
            try:
                os.remove(path)
                removed.append(path)
            except FileNotFoundError:
                pass  # another save removed it first
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_MODE = []


def _new_file_mode() -> int:
    """0o666 less the process's umask, as ``open()`` creates files (read once, then kept:
    reading the umask means setting it)."""
    if not _MODE:
        mask = os.umask(0o022)
        os.umask(mask)
        _MODE.append(0o666 & ~mask)
    return _MODE[0]
