"""Keep freed array memory in the process, so that training steps do not page-fault.

A training step allocates and frees the same large arrays (activations, patches, gradients)
every batch. glibc's malloc serves each one above its mmap threshold (128 KiB, rising to at most
32 MiB as it sees larger frees) with a fresh ``mmap`` and returns it on ``free``, and trims the
heap's top above its trim threshold: the next step then touches brand-new pages, one minor page
fault per 4 KiB. Measured on LeNet-5 at batch 128: about 4,400 faults per step, and 23 ms
per step against 12 ms with the thresholds raised (1 fault per step); the CIFAR CNN 3,840
faults per step. PyTorch and TensorFlow avoid the same cost with caching allocators.

:func:`keep_freed_memory` raises both thresholds. It changes malloc for the whole process
(memory freed by any code then stays reserved for reuse instead of going back to the system,
and the resident size stays at its high-water mark), so ``import convlens`` does not call it:
:func:`apply_tuning` does, once, when the first model step starts (``fit``, ``evaluate``,
``predict``, ``train_on_batch``, ``test_on_batch``, ``predict_on_batch``). Two switches leave
malloc as it is; both are read at that moment, not at import:

* ``convlens.backend.set_memory_tuning(False)`` (:func:`set_tuning`), in Python;
* the environment variable ``CONVLENS_MALLOC_TUNING=0``.

Once applied, the tuning stays for the life of the process: switching it off later does not
undo it. Nothing happens on a C library other than glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
THRESHOLD_BYTES = 1 << 28
"""Arrays up to 256 MiB come from the heap and stay there when freed."""

_enabled = True  # the Python switch, set_tuning()
_applied: bool | None = None  # None until the first step tries; then whether it took effect


def set_tuning(enabled: bool) -> None:
    """Allow (True, the default) or forbid the tuning at the next model step.

    Raises:
        TypeError: for anything but a bool.
    """
    global _enabled
    if not isinstance(enabled, bool):
        raise TypeError(f"set_tuning expects True or False, received {enabled!r}.")
    _enabled = enabled


def tuning_enabled() -> bool:
    """Whether the Python switch allows the tuning (the environment is read when it applies)."""
    return _enabled


def apply_tuning() -> bool:
    """Tune malloc once per process, unless a switch is off; True when the tuning is in effect.

    Called at the entry of every model step; after the first attempt it only returns the
    result. While the Python switch is off nothing is attempted, so switching it back on
    lets the next step apply it.
    """
    global _applied
    if _applied is None:
        if not _enabled:
            return False
        _applied = keep_freed_memory()
    return _applied


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to :data:`THRESHOLD_BYTES`; True if it did.

    Returns False, changing nothing, when ``CONVLENS_MALLOC_TUNING=0`` or the C library is not
    glibc. Prefer :func:`apply_tuning`, which also honours the Python switch and runs once.
    """
    if os.environ.get("CONVLENS_MALLOC_TUNING", "1").strip() == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # only glibc has mallopt's parameters
        return False
    return all(libc.mallopt(p, THRESHOLD_BYTES) == 1 for p in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD))
