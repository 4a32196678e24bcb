"""Run benchmark workers, one framework per process, interleaved, and compare medians.

NumPy's OpenBLAS and PyTorch's thread pools in one process slow each other down, so every
framework is timed in its own subprocess. The machines are noisy, so workers alternate over
several rounds and only medians from one run are compared.

A worker is a command that prints one JSON object on its last line of output:
``{"case name": {"seconds": [...], "peak_mb": ...}, ...}``.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time


def time_calls(function, repeats: int, warmup: int = 2, min_seconds: float = 0.0) -> list[float]:
    """Seconds per call of ``function``, ``repeats`` samples after ``warmup`` calls.

    A sample times ``k`` calls in a row and divides by ``k``, where ``k`` is the smallest count
    that lasts ``min_seconds`` at the last warm-up call's pace (1 when ``min_seconds`` is 0):
    a 3 ms training step timed alone is at the mercy of one scheduler tick, the same step
    timed ten at a time much less so. Every framework of a run gets the same ``min_seconds``.
    """
    last = 0.0
    for _ in range(warmup):
        start = time.perf_counter()
        function()
        last = time.perf_counter() - start
    calls = max(1, math.ceil(min_seconds / last)) if min_seconds and last > 0 else 1
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        seconds.append((time.perf_counter() - start) / calls)
    return seconds


def peak_memory_mb() -> float:
    """This process's peak resident memory in MiB (Linux ``ru_maxrss`` is in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_command(script_args, python=None, threads=None, env=(), unset=()) -> list[str]:
    """The command running ``python`` (default: this interpreter) on ``script_args``, with
    ``threads`` BLAS/OpenMP threads when given, the ``NAME=value`` strings of ``env``, and the
    variables named in ``unset`` removed from its environment."""
    settings = [f"--unset={name}" for name in unset] + list(env)
    if threads:  # on a shared machine, busy cores make spinning BLAS threads wait
        names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        settings += [f"{name}={threads}" for name in names]
    return (["env", *settings] if settings else []) + [python or sys.executable, *script_args]


def run_worker(command: list[str], timeout: float = 1800) -> dict:
    """Run one worker process and parse the JSON on its last line of output."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"worker {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_interleaved(workers: dict[str, list[str]], rounds: int, log=sys.stderr) -> dict:
    """Run every worker once per round, alternating their order; collect all their timings.

    Returns:
        ``{framework: {case: {"seconds": [all timings], "peak_mb": max}}}``; an entry without
        ``"seconds"`` (a worker's description of itself) is kept as the last round gave it.
    """
    collected: dict[str, dict] = {name: {} for name in workers}
    names = list(workers)
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else list(reversed(names))
        for name in order:
            log.write(f"round {round_index + 1}/{rounds}: {name}\n")
            log.flush()
            for case, result in run_worker(workers[name]).items():
                if "seconds" not in result:  # a description (e.g. the BLAS), kept as it is
                    collected[name][case] = result
                    continue
                entry = collected[name].setdefault(case, {"seconds": [], "peak_mb": 0.0})
                entry["seconds"].extend(result["seconds"])
                entry["peak_mb"] = max(entry["peak_mb"], result.get("peak_mb", 0.0))
    return collected


def median_ms(entry: dict) -> float:
    return 1000 * statistics.median(entry["seconds"])


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with right-aligned columns but the first."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(values):
        return "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths))
        )

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
