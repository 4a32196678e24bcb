"""Threads for the compiled kernels: Numba's own pool, on TBB, when it is safe to use.

Handing a chunk to a Python thread (kernels/workers.py) means waking a sleeping thread on
another core: about 45-60 µs on the 2-core machines we measure on, against 50-250 µs of work per
chunk for LeNet-5's convolutions at batch 32, so those ran no faster on two threads than on one.
A ``prange`` loop runs on Numba's pool instead, whose threads wait awake for a moment before
sleeping (about 2 µs per launch while they are awake). Measured on 2 cores at batch 32, µs, the
Python threads -> Numba's: LeNet-5's first convolution forward 139 -> 102, its kernel gradient
207 -> 142; the second convolution forward 183 -> 157, backward (dX and dW) 411 -> 327.

Numba's pool runs on one of three threading layers, chosen once per process at the first
``prange`` launch. Only TBB is both thread-safe and fork-safe; GNU OpenMP aborts a forked child
that launches a loop, and the workqueue layer aborts on concurrent launches (and does not
wait awake, so it gains nothing). So convlens asks for TBB (``pip install tbb``, in the
``fast`` extra on x86-64) and uses Numba's pool only when it got TBB, or when the user chose
OpenMP or TBB themselves (``NUMBA_THREADING_LAYER``, or by launching a loop of their own first);
otherwise the kernels keep to the Python threads, as before.
"""

from __future__ import annotations

from .. import backend
from . import parallel, workers

LAYERS_USED = ("tbb", "omp")
"""The layers whose threads wait awake and take launches from several threads at once: TBB,
which convlens asks for, and OpenMP where the user chose it."""
_usable: bool | None = None  # whether Numba's pool may run our kernels (decided once)


def threads() -> int:
    """Threads for a ``prange`` kernel now: 0 when the Python threads should run it instead (one
    thread configured, CuPy, called from a kernel thread, or no safe threading layer)."""
    count = parallel.num_threads()
    if count < 2 or backend.xp is not backend.numpy or workers.is_kernel_thread():
        return 0
    if not usable():
        return 0
    import numba

    count = min(count, numba.config.NUMBA_NUM_THREADS)
    if count < 2:
        return 0
    numba.set_num_threads(count)
    return count


def usable() -> bool:
    """Whether Numba's pool runs on one of :data:`LAYERS_USED` (launching it on TBB if no loop
    has been launched yet)."""
    global _usable
    if _usable is None:
        _usable = _launch()
    return _usable


def _launch() -> bool:
    import numba

    try:
        return numba.threading_layer() in LAYERS_USED  # launched already: the user's choice
    except ValueError:
        pass  # not launched yet
    chosen = numba.config.THREADING_LAYER
    if chosen == "default":
        numba.config.THREADING_LAYER = "tbb"
    try:
        _first_loop()
    except Exception:  # TBB missing or too old (Numba's ValueError): leave the choice open
        numba.config.THREADING_LAYER = chosen
        return False
    return numba.threading_layer() in LAYERS_USED


def _first_loop() -> None:
    """Launch Numba's pool with a loop of two iterations (compiled once, then cached)."""
    import numpy

    from .compiled import compiled

    compiled("direct").touch(numpy.zeros(2))
