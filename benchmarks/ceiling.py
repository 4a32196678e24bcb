"""Which BLAS a benchmark ran with, and the sgemm rate it reaches: the ceiling of GEMM-bound rows.

OpenBLAS picks its kernels for the CPU it finds, unless ``OPENBLAS_CORETYPE`` names one: some
machines set it (and ``OPENBLAS_L2_SIZE``) for old OpenBLAS builds, which then runs the Haswell
kernel on an AVX-512 CPU (measured on a Zen 5: sgemm 202 instead of 376-392 GFLOP/s at
2048²-4096²). NumPy's GEMM-bound routes slow down with it; PyTorch and XLA do not (they bring
their own kernels). :func:`blas_description` says what threadpoolctl finds loaded;
:func:`forced_core_warning` what the environment forces; :func:`sgemm_seconds` times float32
matrix products in the worker's own process, with the threads the other workers get.
"""

from __future__ import annotations

import os
import time

SIZES = (2048, 4096)
FORCING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def forced_core_warning(environ=os.environ) -> str | None:
    """A warning naming the variables that force OpenBLAS's kernel choice, or None."""
    found = [f"{name}={environ[name]}" for name in FORCING if environ.get(name)]
    if not found:
        return None
    return (
        f"WARNING: {' '.join(found)} is set: OpenBLAS runs that core's kernels, not the ones for "
        f"this CPU; for the machine's own, run with --native-blas (or `env -u "
        f"{' -u '.join(FORCING)} python ...`)"
    )


def blas_description() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernel (architecture), threads."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl looks for)
    from threadpoolctl import threadpool_info

    found = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    numpy_blas = [info for info in found if "numpy" in info.get("filepath", "")] or found
    if not numpy_blas:
        return "no BLAS found by threadpoolctl"
    info = numpy_blas[0]
    kernel = info.get("architecture") or info.get("corename") or "?"
    return (
        f"{info.get('internal_api', '?')} {info.get('version', '?')}, kernel {kernel}, "
        f"{info.get('num_threads', '?')} threads"
    )


def sgemm_seconds(repeats: int) -> dict:
    """``{"sgemm NxN": {"seconds": [...]}}``: float32 ``a @ b`` of each of :data:`SIZES`, after
    one warm-up call, and ``{"blas": {"text": blas_description()}}``."""
    import numpy

    results: dict = {"blas": {"text": blas_description()}}
    rng = numpy.random.default_rng(0)
    for n in SIZES:
        a, b = (rng.random((n, n), dtype=numpy.float32) for _ in range(2))
        out = numpy.empty((n, n), dtype=numpy.float32)
        numpy.matmul(a, b, out=out)
        seconds = []
        for _ in range(max(2, repeats // 2)):
            start = time.perf_counter()
            numpy.matmul(a, b, out=out)
            seconds.append(time.perf_counter() - start)
        results[f"sgemm {n}x{n}"] = {"seconds": seconds}
    return results


def ceiling_gflops(results: dict) -> tuple[float, str]:
    """The best sgemm rate in ``results`` (the sgemm worker's, over all rounds), GFLOP/s, and a
    line listing each size's best."""
    rates = {}
    for name, entry in results.items():
        if name.startswith("sgemm "):
            n = int(name.split()[1].split("x")[0])
            rates[name] = 2 * n**3 / min(entry["seconds"]) / 1e9
    text = ", ".join(f"{name} {rate:.0f}" for name, rate in rates.items())
    return max(rates.values()), f"sgemm ceiling (best of each size, GFLOP/s): {text}"
