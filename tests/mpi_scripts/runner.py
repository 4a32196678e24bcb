"""Start a script on N MPI ranks for a test, or skip cleanly where MPI is missing."""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


def mpirun_or_skip() -> str:
    """The mpirun beside this Python (or on PATH); skips the test without mpi4py or mpirun."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip('mpi4py is missing (pip install "convlens[mpi]")')
    sys.path.insert(0, str(SRC))
    from convlens.distribution import mpirun_path

    path = mpirun_path()
    if path is None:
        pytest.skip("no mpirun/mpiexec beside this Python or on PATH")
    failure = _cannot_start_two_ranks(path)
    if failure:
        pytest.skip(f"{path} cannot start 2 ranks here: {failure}")
    return path


@functools.cache
def _cannot_start_two_ranks(mpirun: str) -> str:
    """Why a two-rank hello world fails on this machine (a container without shared memory,
    a launcher that refuses to run), or "" when it works: checked once per session."""
    options = ["--oversubscribe"] if is_open_mpi(mpirun) else []
    code = "from mpi4py import MPI; MPI.COMM_WORLD.Barrier()"
    command = [mpirun, "-n", "2", *options, sys.executable, "-c", code]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env=environment()
        )
    except subprocess.TimeoutExpired:
        return "a two-rank hello world did not finish in 120 s"
    return "" if done.returncode == 0 else (done.stderr or done.stdout)[-500:]


def is_open_mpi(mpirun: str) -> bool:
    version = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=30)
    return "Open MPI" in version.stdout + version.stderr or "OpenRTE" in version.stdout


def environment(**extra) -> dict:
    """The tests' environment: this tree's package first; Open MPI may run as root (CI)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra)
    return env


def run_ranks(
    ranks: int, script: str, *args, timeout: int = 180, **env
) -> subprocess.CompletedProcess:
    """``mpirun -n ranks python script args`` (``ranks == 0``: plain python, no launcher);
    ``script`` is a file of this folder, or ``-m`` for a module."""
    target = ["-m"] if script == "-m" else [str(HERE / script)]
    command = [sys.executable, *target, *map(str, args)]
    if ranks:
        mpirun = mpirun_or_skip()
        options = ["--oversubscribe"] if is_open_mpi(mpirun) else []
        command = [mpirun, "-n", str(ranks), *options, *command]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=environment(**env)
    )


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """``result``, or a failure that shows what the ranks printed."""
    if result.returncode != 0:
        pytest.fail(f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result
