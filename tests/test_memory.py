"""convlens keeps freed array memory for reuse from its first model step on, never at import.

The oracle is the kernel's count of minor page faults: a 64 MiB array that is allocated,
written and freed four times costs fresh pages each time under glibc's default thresholds
(above its largest automatic mmap threshold, 32 MiB), and none once the thresholds are raised.
Each case runs in its own process, since the tuning is process-wide and applied only once.
"""

import os
import subprocess
import sys

import pytest

from convlens import backend, memory

SCRIPT = """
import os, resource, sys
import numpy as np
import convlens
from convlens import backend, layers, models

def faults():
    np.ones(1 << 24, np.float32)  # 64 MiB: beyond glibc's largest automatic mmap threshold
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(4):
        np.ones(1 << 24, np.float32)  # allocated, written, freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
model.compile(optimizer="sgd", loss="mse")
x, y = np.ones((8, 4), np.float32), np.ones((8, 2), np.float32)
steps = {
    "fit": lambda: model.fit(x, y, verbose=0),
    "evaluate": lambda: model.evaluate(x, y, verbose=0),
    "predict": lambda: model.predict(x, verbose=0),
    "train_on_batch": lambda: model.train_on_batch(x, y),
    "test_on_batch": lambda: model.test_on_batch(x, y),
    "predict_on_batch": lambda: model.predict_on_batch(x),
}
after_import = faults()
%s
steps[sys.argv[1]]()
print(after_import, faults())
"""

UNTUNED, TUNED = 100, 10  # 4 x 32 faults at the least with transparent huge pages; ~0 tuned


def page_faults(step="train_on_batch", before_step="", tuning=None):
    """Page faults of four large allocations after ``import convlens``, and after ``step``."""
    env = dict(os.environ)
    env.pop("CONVLENS_MALLOC_TUNING", None)
    if tuning is not None:
        env["CONVLENS_MALLOC_TUNING"] = tuning
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT % before_step, step],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    after_import, after_step = map(int, result.stdout.split()[-2:])
    return after_import, after_step


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")


@linux_only
@pytest.mark.parametrize(
    "step",
    ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch"],
)
def test_import_leaves_malloc_alone_and_the_first_step_tunes_it(step):
    after_import, after_step = page_faults(step)
    # Imported only, malloc maps fresh pages for every large array; after one model step of
    # any kind, the same pages come back.
    assert after_import >= UNTUNED and after_step < TUNED, (after_import, after_step)


@linux_only
@pytest.mark.parametrize(
    "tuning, before_step",
    [
        ("0", ""),  # the environment variable
        (None, "backend.set_memory_tuning(False)"),  # the Python switch
        (None, "os.environ['CONVLENS_MALLOC_TUNING'] = '0'"),  # read at the step, not at import
    ],
)
def test_switches_leave_malloc_alone(tuning, before_step):
    after_import, after_step = page_faults(before_step=before_step, tuning=tuning)
    assert after_import >= UNTUNED and after_step >= UNTUNED, (after_import, after_step)


@linux_only
def test_switching_back_on_tunes_at_the_next_step():
    before_step = (
        "backend.set_memory_tuning(False); steps['fit'](); backend.set_memory_tuning(True)"
    )
    after_import, after_step = page_faults(before_step=before_step)
    assert after_import >= UNTUNED and after_step < TUNED, (after_import, after_step)


def test_tuning_is_attempted_once_and_not_while_switched_off(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_applied", None)
    monkeypatch.setattr(memory, "_enabled", True)
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1) or True)
    backend.set_memory_tuning(False)
    assert memory.apply_tuning() is False and calls == []
    backend.set_memory_tuning(True)
    assert [memory.apply_tuning() for _ in range(3)] == [True] * 3 and calls == [1]


def test_environment_variable_turns_the_tuning_off(monkeypatch):
    monkeypatch.setenv("CONVLENS_MALLOC_TUNING", "0")
    assert memory.keep_freed_memory() is False


def test_the_switch_takes_a_bool():
    with pytest.raises(TypeError, match="expects True or False, received 'off'"):
        backend.set_memory_tuning("off")
    assert memory.tuning_enabled() is True
