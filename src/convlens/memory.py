"""Keep freed array memory in the process, so that training steps do not page-fault.

A training step allocates and frees the same large arrays (activations, patches, gradients)
every batch. glibc's malloc serves each one above its mmap threshold (128 KiB, rising to at most
32 MiB as it sees larger frees) with a fresh ``mmap`` and returns it on ``free``, and trims the
heap's top above its trim threshold: the next step then touches brand-new pages, one minor page
fault per 4 KiB. Measured on LeNet-5 at batch 128: about 4,400 faults per step, and 23 ms
per step against 12 ms with the thresholds raised (1 fault per step); the CIFAR CNN 3,840
faults per step. PyTorch and TensorFlow avoid the same cost with caching allocators.

:func:`keep_freed_memory` raises both thresholds once, at ``import convlens``: memory freed by
any code in the process then stays reserved for reuse instead of going back to the system
(the resident size stays at its high-water mark). Set ``CONVLENS_MALLOC_TUNING=0`` before the
import to leave malloc as it is. Nothing happens on a C library other than glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
THRESHOLD_BYTES = 1 << 28
"""Arrays up to 256 MiB come from the heap and stay there when freed."""


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to :data:`THRESHOLD_BYTES`; True if it did."""
    if os.environ.get("CONVLENS_MALLOC_TUNING", "1").strip() == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # only glibc has mallopt's parameters
        return False
    return all(libc.mallopt(p, THRESHOLD_BYTES) == 1 for p in (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD))
