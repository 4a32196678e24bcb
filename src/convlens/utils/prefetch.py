"""Read ahead on background threads, in order: ``ordered_map(function, items, workers)``.

A data pipeline's cores sit idle while the model trains on a batch unless the next batches are
already being made. ``ordered_map`` keeps up to ``max_queue_size`` calls of ``function`` in
flight on a small thread pool and hands the results back in the order of ``items``, so the
batches are the same with or without threads. Threads (not processes) suit image decoding:
Pillow releases the GIL while it decodes and resizes, and nothing has to be pickled.

Shutdown is part of the contract: when the consumer stops early (``break``, an exception, the
generator dropped) or a call raises, the calls not yet started are cancelled and the running
ones awaited, so no thread outlives the iteration; the worker's exception reaches the consumer
unchanged, at the position of the item that raised it.

Example:
    >>> list(ordered_map(lambda v: v * v, range(6), workers=3, max_queue_size=4))
    [0, 1, 4, 9, 16, 25]
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor


def ordered_map(
    function: Callable, items: Iterable, workers: int = 1, max_queue_size: int = 10
) -> Iterator:
    """``function(item)`` for each item, in order, computed ahead on ``workers`` threads.

    Args:
        function: called once per item; with ``workers > 1`` it runs on other threads, so it
            must be safe to call concurrently (reading files and decoding images is).
        items: the inputs, consumed lazily (at most ``max_queue_size`` ahead of the consumer).
        workers: the number of threads; 0 or 1 calls ``function`` in the consumer's thread.
        max_queue_size: how many results may be made ahead of the consumer (at least
            ``workers``, so every thread has work).

    Raises:
        ValueError: for a negative ``workers`` or a ``max_queue_size`` below 1.
    """
    _check(workers, max_queue_size)
    if workers <= 1:
        return (function(item) for item in items)
    return _threaded(function, iter(items), workers, max(workers, max_queue_size))


def _check(workers, max_queue_size) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be an int >= 0, received {workers!r}.")
    if isinstance(max_queue_size, bool) or not isinstance(max_queue_size, int):
        raise ValueError(f"max_queue_size must be an int >= 1, received {max_queue_size!r}.")
    if max_queue_size < 1:
        raise ValueError(f"max_queue_size must be an int >= 1, received {max_queue_size!r}.")


def _threaded(function, items: Iterator, workers: int, depth: int) -> Iterator:
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convlens-prefetch")
    pending = collections.deque()
    try:
        for item in itertools.islice(items, depth):
            pending.append(executor.submit(function, item))
        while pending:
            result = pending.popleft().result()  # a worker's exception is raised here
            for item in itertools.islice(items, 1):  # refill before handing the result out
                pending.append(executor.submit(function, item))
            yield result
    finally:
        # Early stop, an error, or the end: start nothing new, let the running calls finish,
        # and join the threads (each call is one batch, so this is short).
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
