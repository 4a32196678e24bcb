"""The kernel threads: a few long-lived Python threads that run chunks of an array kernel.

kernels/parallel.py hands them work; the Numba kernels use Numba's own pool where they may
(kernels/compiled_threads.py), because a hand-off here means waking a thread asleep on another
core: about 45-60 µs per round trip on the 2-core machines we measure on, whether through
``concurrent.futures`` or these queues. The work is one ``put`` on a shared ``SimpleQueue`` per
chunk and one ``get`` on the caller's own queue per result, with no futures.

Every worker marks itself as a kernel thread (:func:`is_kernel_thread`), so a kernel called
from inside a chunk runs its own chunks in sequence rather than waiting on the pool it occupies.
After ``fork`` the child has none of the parent's threads: the pool is forgotten there and made
again on first use (a ``ThreadPoolExecutor`` made in the parent, as before, left a forked
child's first parallel kernel waiting forever). The number of workers is fixed by the thread
count, not by how many chunks a call has.
"""

from __future__ import annotations

import os
import queue
import threading

_marks = threading.local()  # ``active`` is True on a worker, and on a caller running a chunk
_lock = threading.Lock()
_inbox: queue.SimpleQueue | None = None
_count = 0
_STOP = object()


def is_kernel_thread() -> bool:
    """Whether this thread is running a chunk (a worker, or a caller inside :func:`run_all`)."""
    return getattr(_marks, "active", False)


def _work(inbox: queue.SimpleQueue) -> None:
    _marks.active = True
    while True:
        job = inbox.get()
        if job is _STOP:
            return
        function, index, item, outbox = job
        try:
            outbox.put((index, True, function(item)))
        except BaseException as error:  # handed to the caller, raised there
            outbox.put((index, False, error))


def _workers(count: int) -> queue.SimpleQueue:
    """The shared inbox of ``count`` worker threads (started, or restarted for a new count)."""
    global _inbox, _count
    with _lock:
        if _inbox is None or _count != count:
            if _inbox is not None:
                for _ in range(_count):
                    _inbox.put(_STOP)
            _inbox, _count = queue.SimpleQueue(), count
            for number in range(count):
                threading.Thread(
                    target=_work, args=(_inbox,), name=f"convlens-{number}", daemon=True
                ).start()
        return _inbox


def _forget_after_fork() -> None:
    global _inbox, _count, _lock
    _inbox, _count, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def run_all(function, items: list, threads: int) -> list:
    """``[function(item) for item in items]`` on ``threads`` threads: the caller runs the first
    item and ``threads - 1`` workers the others (the same workers for any number of items).
    Results come back in order; the first error (in item order) is raised once every item has
    finished, so no chunk is still writing."""
    inbox, outbox = _workers(threads - 1), queue.SimpleQueue()
    for index in range(1, len(items)):
        inbox.put((function, index, items[index], outbox))
    results: list = [None] * len(items)
    failures: dict[int, BaseException] = {}
    _marks.active = True
    try:
        results[0] = function(items[0])
    except BaseException as error:
        failures[0] = error
    finally:
        _marks.active = False
    for _ in range(len(items) - 1):
        index, ok, value = outbox.get()
        if ok:
            results[index] = value
        else:
            failures[index] = value
    if failures:
        raise failures[min(failures)]
    return results
