"""convlens.distribution on one process: nothing MPI is imported or paid for, the launcher is
read from the environment, and the split of a batch over ranks is checked before any work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

from convlens import distribution
from convlens.distribution import launch, sharding

SRC = Path(__file__).resolve().parents[1] / "src"
LAUNCHER_VARIABLES = launch.SIZE_VARIABLES + launch.RANK_VARIABLES


def run_python(code: str, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARIABLES}
    env.update(PYTHONPATH=str(SRC), **extra)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_single_process_imports_no_mpi_even_when_it_trains():
    code = (
        "import sys, numpy, convlens\n"
        "from convlens import layers, models\n"
        "m = models.Sequential([layers.Input((3,)), layers.Dense(2)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(numpy.ones((8, 3)), numpy.ones((8, 2)), batch_size=4, epochs=1, verbose=0)\n"
        "print(sorted(n for n in sys.modules if n.startswith('mpi4py')))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "variables, size, rank",
    [
        ({}, 1, 0),
        ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2"}, 4, 2),
        ({"PMI_SIZE": "3", "PMI_RANK": "1"}, 3, 1),
        ({"SLURM_STEP_NUM_TASKS": "8", "SLURM_PROCID": "5"}, 8, 5),
        ({"SLURM_NTASKS": "8"}, 1, 0),  # an sbatch script is one process until srun
    ],
)
def test_the_launcher_is_read_from_the_environment(monkeypatch, variables, size, rank):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert launch.launched_world_size() == size
    assert launch.launched_rank() == rank


def test_alone_fit_gets_hooks_that_do_nothing(monkeypatch):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(distribution, "_current", distribution._UNSET)
    train = object()
    hooks, batches = distribution.for_fit(train, 32)
    assert isinstance(hooks, distribution.SingleProcess) and batches is train
    assert distribution.distribution() is None
    assert hooks.begin(None, train, 3) == 3 and hooks.any(True) and not hooks.any(False)


def test_set_distribution_takes_a_data_parallel_or_none(monkeypatch):
    monkeypatch.setattr(distribution, "_current", distribution._UNSET)
    with pytest.raises(TypeError, match="takes a convlens.distribution.DataParallel"):
        distribution.set_distribution("mpi")
    distribution.set_distribution(None)
    assert distribution.distribution() is None


def test_missing_mpi4py_says_how_to_install_it():
    code = (
        "import sys; sys.modules['mpi4py'] = None\n"
        "from convlens import distribution\n"
        "try:\n"
        "    distribution.DataParallel()\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = run_python(code)
    assert 'pip install "convlens[mpi]"' in result.stdout, result.stderr


def test_under_a_launcher_without_mpi4py_fit_fails_clearly():
    code = (
        "import sys, numpy; sys.modules['mpi4py'] = None\n"
        "from convlens import layers, models\n"
        "m = models.Sequential([layers.Input((3,)), layers.Dense(2)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(numpy.ones((8, 3)), numpy.ones((8, 2)), batch_size=4, verbose=0)\n"
    )
    result = run_python(code, OMPI_COMM_WORLD_SIZE="2", OMPI_COMM_WORLD_RANK="0")
    assert result.returncode != 0
    assert 'pip install "convlens[mpi]"' in result.stderr


@pytest.mark.parametrize("count, size", [(16, 2), (15, 2), (10, 3), (7, 7), (100, 6)])
def test_the_shards_cut_a_batch_into_consecutive_parts_of_almost_equal_size(count, size):
    bounds = [sharding.shard_bounds(count, rank, size) for rank in range(size)]
    covered = numpy.concatenate([numpy.arange(start, stop) for start, stop in bounds])
    numpy.testing.assert_array_equal(covered, numpy.arange(count))
    sizes = [stop - start for start, stop in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


def test_a_split_that_leaves_a_rank_without_samples_is_refused_before_training():
    with pytest.raises(ValueError, match="batch_size=3 is the GLOBAL batch, split over 4"):
        sharding.check_split(3, 100, 4)
    with pytest.raises(ValueError, match="the last batch holds 1 of the 33 samples"):
        sharding.check_split(16, 33, 2)
    sharding.check_split(16, 34, 2)  # a last batch of 2: one sample each
    sharding.check_split(15, 45, 2)  # 7 and 8: weighted by their sizes


def test_mpirun_is_found_beside_this_python_or_on_path():
    path = launch.mpirun_path()
    if path is None:
        pytest.skip("no MPI installed here")
    assert os.access(path, os.X_OK) and Path(path).name in ("mpirun", "mpiexec")


def test_ranks_other_than_0_drop_the_callbacks_that_print_or_write(tmp_path):
    from convlens import callbacks
    from convlens.callbacks.callback import CallbackList
    from convlens.callbacks.progress import ProgressBar
    from convlens.distribution.data_parallel import DataParallel

    class Printer(callbacks.Callback):
        chief_only = True

    writers = [
        ProgressBar(verbose=1),
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
        callbacks.TensorBoard(str(tmp_path / "tb")),
        callbacks.CSVLogger(str(tmp_path / "log.csv")),
        callbacks.BackupAndRestore(str(tmp_path / "backup")),
        callbacks.TerminateOnNaN(),  # prints; rank 0's stop_training stops every rank
        Printer(),
    ]
    everywhere = [callbacks.EarlyStopping(), callbacks.History(), callbacks.ReduceLROnPlateau()]
    for rank, kept in ((0, writers + everywhere), (1, everywhere)):
        parallel = DataParallel.__new__(DataParallel)  # no communicator needed to filter
        parallel.rank = rank
        chosen = parallel.callbacks(CallbackList(writers + everywhere)).callbacks
        assert chosen == kept
