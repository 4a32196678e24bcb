"""Helpers of the ``convlens`` command's tests: run it as a user does (a process) or through
``main([...])`` in the test's process, and check a one-line error."""

import os
import subprocess
import sys

import numpy as np

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared")


def convlens(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "convlens", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
    )


def run_main(capsys, *args):
    """``convlens ARGS`` in this process: (exit code, stdout, stderr)."""
    from convlens.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


def small_data(test_size=50, seed=0):
    """A stand-in for load_dataset: 300 training and ``test_size`` test images, 10 classes."""
    rng = np.random.default_rng(seed)
    x = rng.random((300 + test_size, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 300 + test_size)
    return (x[:300], y[:300]), (x[300:], y[300:])
