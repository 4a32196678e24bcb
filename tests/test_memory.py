"""convlens keeps freed array memory for reuse: a training step's arrays do not page-fault."""

import os
import subprocess
import sys

import pytest

from convlens import memory

ALLOCATE_AND_FREE = """
import resource, numpy as np, convlens
np.ones(1 << 24, np.float32)  # 64 MiB: beyond glibc's largest automatic mmap threshold
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    np.ones(1 << 24, np.float32)  # allocated, written, freed
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(tuning: str) -> int:
    env = {**os.environ, "CONVLENS_MALLOC_TUNING": tuning}
    result = subprocess.run(
        [sys.executable, "-c", ALLOCATE_AND_FREE], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_freed_large_array_is_reused_without_touching_new_pages():
    untuned, tuned = page_faults("0"), page_faults("1")
    # As it is, malloc maps fresh pages every time (fewer faults with transparent huge pages,
    # 4 x 32 at the least); tuned at import, the same pages come back.
    assert untuned >= 100 and tuned < 10, (untuned, tuned)


def test_tuning_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("CONVLENS_MALLOC_TUNING", "0")
    assert memory.keep_freed_memory() is False
