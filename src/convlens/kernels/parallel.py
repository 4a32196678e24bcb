"""Every core for the array kernels: batch chunks run on a thread pool, BLAS single-threaded.

NumPy runs its copies and elementwise loops on one core; only its BLAS uses more. The
convolution kernels already work in chunks of whole images (:func:`chunks`), so they can
spread those chunks over threads instead (NumPy and BLAS release the GIL), each chunk's GEMM on
one BLAS thread: the patch copies, pooling passes and transforms then use every core, as
PyTorch's and TensorFlow's intra-op pools do. Measured on 2 cores, the (128, 32, 32, 32) -> 32
3×3 forward: one thread 33 ms, chunks in sequence with 2 BLAS threads 26 ms, chunks on 2 threads
17 ms.

``CONVLENS_NUM_THREADS`` sets the number of threads (default: the cores this process may use);
``1`` runs every chunk in sequence with BLAS as the user configured it. CuPy arrays always run
in sequence: the GPU parallelises each kernel itself.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

from .. import backend
from . import workers

_kernel_mode = 0  # how many kernel_threads() blocks are open (BLAS is on one thread inside)
_controller = None
_modules_seen = 0  # len(sys.modules) when the controller was made


def num_threads() -> int:
    """Threads for the array kernels: ``CONVLENS_NUM_THREADS``, else the usable cores."""
    configured = os.environ.get("CONVLENS_NUM_THREADS")
    if configured and configured.strip():
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(
                f"CONVLENS_NUM_THREADS must be a positive integer, received {configured!r}."
            ) from None
    return _usable_cores()


@functools.cache
def _usable_cores() -> int:
    """The cores this process may run on, read once (a system call; ops ask for it often)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _blas_libraries() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded. Listing them takes a few ms,
    so the list is made again only after new imports: Numba's first compile, for one, loads
    SciPy's own OpenBLAS beside NumPy's."""
    global _controller, _modules_seen
    if _controller is None or len(sys.modules) != _modules_seen:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas").lib_controllers
        _modules_seen = len(sys.modules)
    return _controller


@contextlib.contextmanager
def _blas_limit():
    """A block in which BLAS runs on one thread, then on as many as before. Each library is
    asked and set directly: threadpoolctl's ``limit()`` also reads every library's version and
    CPU kernel each time, ~25 µs a model step."""
    libraries = _blas_libraries()
    before = [library.get_num_threads() for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, threads in zip(libraries, before, strict=True):
            if threads is not None:
                library.set_num_threads(threads)


def map_chunks(function, items) -> list:
    """``[function(item) for item in items]``, the calls spread over :func:`num_threads`
    threads (the caller runs the first) when there are several items, the backend is NumPy,
    and this is not already a kernel thread. ``function`` must only write memory no other item
    writes (its own chunk of the output); results come back in order."""
    items = list(items)
    threads = num_threads()
    serial = min(threads, len(items)) < 2 or backend.xp is not backend.numpy
    if serial or workers.is_kernel_thread():
        return [function(item) for item in items]
    with _blas_limit() if not _kernel_mode else contextlib.nullcontext():
        return workers.run_all(function, items, threads)


@contextlib.contextmanager
def kernel_threads():
    """A block (a model's training or inference step) in which BLAS stays on one thread and
    convlens's kernels, matmul included, spread their work over :func:`num_threads` threads.

    Switching BLAS between one thread and all cores around every kernel, or leaving BLAS's own
    threads spinning beside the kernel threads, cost more than the kernels (measured on 2
    cores, the CIFAR CNN's training step: 205 ms that way, 127 ms with BLAS on one thread
    throughout). Outside such blocks BLAS keeps the user's settings."""
    global _kernel_mode
    if num_threads() < 2 or backend.xp is not backend.numpy or _kernel_mode:
        yield
        return
    with _blas_limit():
        _kernel_mode += 1
        try:
            yield
        finally:
            _kernel_mode -= 1


def in_kernel_threads() -> bool:
    """Whether a :func:`kernel_threads` block is open (so BLAS runs on one thread)."""
    return _kernel_mode > 0


MIN_BYTES = 1 << 20
"""Work on fewer bytes than this stays on the calling thread: handing it to the pool costs
about 30-60 µs (measured); LeNet-5 at batch 32 ran 3.8 ms per step with this 1 MiB, 4.2 ms
with 256 KiB."""


def fixed_ranges(n_images: int, bytes_per_image: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of whole images of about ``chunk_bytes`` each (so that a chunk's
    temporaries stay in cache), whatever the number of threads. On CuPy, one range: the GPU
    runs the whole batch in each kernel, and chunks would only multiply the launches."""
    if backend.xp is not backend.numpy:
        return [(0, n_images)] if n_images else []
    step = max(1, chunk_bytes // max(bytes_per_image, 1))
    return [(start, min(start + step, n_images)) for start in range(0, n_images, step)]


def chunk_ranges(n_images: int, bytes_per_image: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """:func:`fixed_ranges`, and at least one range per thread when the work is worth
    splitting."""
    if n_images * bytes_per_image >= MIN_BYTES:
        per_thread = -(-n_images // num_threads()) * max(bytes_per_image, 1)
        chunk_bytes = min(chunk_bytes, per_thread)
    return fixed_ranges(n_images, bytes_per_image, chunk_bytes)


CHUNK_BYTES = 1 << 22
"""Patch matrices are built and multiplied this many bytes at a time (whole images), so each
chunk is still in cache when the GEMM reads it; measured on a 2-core EPYC (1 MiB L2 per core,
32 MiB L3): 4 MiB chunks took the (128, 16, 16, 32) -> 64 3×3 layer's forward from 23 to 15 ms
and its input gradient from 30 to 14 ms."""


def chunks(n_images: int, bytes_per_image: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges of whole images of about :data:`CHUNK_BYTES` of patches each (the
    im2col and banded routes' unit of work), and one per kernel thread at least for large
    enough work (:func:`chunk_ranges`)."""
    return chunk_ranges(n_images, bytes_per_image, CHUNK_BYTES)


def split(n: int, parts: int | None = None) -> list[tuple[int, int]]:
    """``n`` items as about equal ``(start, stop)`` ranges, one per thread (fewer when small)."""
    parts = max(1, min(parts or num_threads(), n))
    bounds = [n * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def for_each_chunk(body, image_chunks, scratch=None) -> list:
    """``body(start, stop, buffers)`` for every ``(start, stop)`` chunk, the chunks dealt to
    the threads in contiguous runs; ``buffers`` is one ``scratch()`` per thread (None without
    ``scratch``), reused for each of its chunks. Returns each chunk's result, in order. ``body``
    must write only its own images of any output."""

    def run(bounds):
        buffers = None if scratch is None else scratch()
        return [body(start, stop, buffers) for start, stop in image_chunks[bounds[0] : bounds[1]]]

    return [result for part in map_chunks(run, split(len(image_chunks))) for result in part]


def by_rows(function, *arrays) -> None:
    """``function(*views)`` over blocks of rows of ``arrays`` (all with the same first axis),
    the blocks on every thread when the work is worth splitting; ``function`` writes only into
    its own views. Measured on 2 cores, ReLU of (128, 32, 32, 32) float32: 2.6 -> 1.4 ms."""
    whole = arrays[0]
    if whole.ndim == 0 or whole.nbytes < MIN_BYTES:  # one block: no ranges, no hand-off
        function(*arrays)
        return
    ranges = chunk_ranges(len(whole), whole[:1].nbytes, whole.nbytes)
    map_chunks(lambda r: function(*(a[r[0] : r[1]] for a in arrays)), ranges)
