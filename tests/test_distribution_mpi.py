"""Data-parallel fit under ``mpirun -n 2`` (localhost), against one process.

Each test starts tests/mpi_scripts/train_shards.py on two ranks (and, for the oracle, alone)
and compares the weights that rank 0 and rank 1 saved. Skipped without mpi4py or mpirun.
"""

from __future__ import annotations

import json

import numpy
import pytest

from convlens import config, losses, optimizers
from convlens.models.data import ArrayBatches
from convlens.tensor import Tensor
from mpi_scripts import train_shards
from mpi_scripts.runner import check, mpirun_or_skip, run_ranks


@pytest.fixture(autouse=True)
def _mpi():
    mpirun_or_skip()


def weights(path) -> list:
    with numpy.load(path) as arrays:
        return [arrays[f"w{i}"] for i in range(len(arrays.files))]


def record(path) -> dict:
    with open(f"{path}.json") as stream:
        return json.load(stream)


def assert_same(ours, expected, rtol, atol=0.0):
    assert len(ours) == len(expected)
    for a, b in zip(ours, expected, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_two_ranks_train_lenet5_as_one_process_float32(tmp_path):
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    check(run_ranks(0, "train_shards.py", one))
    csv = tmp_path / "log{rank}.csv"
    result = check(run_ranks(2, "train_shards.py", two, "--csv", csv, "--verbose", 2))
    assert_same(weights(two), weights(one), rtol=1e-5, atol=1e-7)
    assert_same(weights(f"{two}.rank1.npz"), weights(two), rtol=0)  # the same update everywhere
    # The logs are those of the whole batch and epoch, on both ranks.
    for path in (two, f"{two}.rank1.npz"):
        numpy.testing.assert_allclose(
            record(path)["history"]["loss"], record(one)["history"]["loss"], rtol=1e-5
        )
        assert record(path)["history"]["accuracy"] == record(one)["history"]["accuracy"]
    # Only rank 0 writes its log and prints progress.
    assert (tmp_path / "log0.csv").exists() and not (tmp_path / "log1.csv").exists()
    assert result.stdout.count("Epoch 1/2") == 1 and result.stdout.count("Epoch 2/2") == 1


def test_uneven_shards_match_one_process_float64(tmp_path):
    # 48 samples in batches of 15: shards of 7 and 8, and a last batch of 3 (1 and 2).
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    options = ("--dtype", "float64", "--batch", 15, "--optimizer", "sgd")
    check(run_ranks(0, "train_shards.py", one, *options))
    check(run_ranks(2, "train_shards.py", two, *options))
    assert_same(weights(two), weights(one), rtol=1e-12, atol=1e-15)


def per_rank_batchnorm_oracle(ranks, samples, batch, epochs):
    """The same training on one process, written out: ``ranks`` replicas of the model, each
    normalising its shard by its own statistics; the gradient is the shard-size-weighted
    mean of theirs; the moving statistics are the replicas' mean at each epoch end."""
    replicas = [train_shards.build("bn", "float64", seed=3) for _ in range(ranks)]
    loss = losses.get("sparse_categorical_crossentropy")
    optimizer = optimizers.get("adam")
    x, y = train_shards.data("bn", samples, "float64")
    for epoch in range(epochs):
        for bx, by, _ in ArrayBatches(x, y, None, batch, True, 11).epoch(epoch):
            count, total = len(bx), None
            for r, replica in enumerate(replicas):
                lo, hi = r * count // ranks, (r + 1) * count // ranks
                for variable in replica.trainable_weights:
                    variable.grad = None
                loss(by[lo:hi], replica(Tensor(bx[lo:hi]), training=True)).backward()
                grads = [(hi - lo) / count * numpy.asarray(getattr(v.grad, "data", v.grad))
                         for v in replica.trainable_weights]  # fmt: skip
                total = grads if total is None else [a + b for a, b in zip(total, grads)]
            optimizer.apply(total, replicas[0].trainable_weights)
            for replica in replicas[1:]:
                for mine, chief in zip(replica.trainable_weights, replicas[0].trainable_weights):
                    mine.data[...] = chief.data
        for group in zip(*(replica.non_trainable_weights for replica in replicas)):
            mean = sum(v.data for v in group) / ranks
            for variable in group:
                variable.data[...] = mean
    return [w.numpy() for w in replicas[0].weights]


def test_batchnorm_statistics_are_per_rank_and_moving_ones_averaged(tmp_path):
    two = tmp_path / "two.npz"
    options = ("--kind", "bn", "--dtype", "float64", "--samples", 40, "--batch", 8)
    check(run_ranks(2, "train_shards.py", two, *options, "--epochs", 2))
    try:
        expected = per_rank_batchnorm_oracle(ranks=2, samples=40, batch=8, epochs=2)
    finally:
        config.set_floatx("float32")
    assert_same(weights(two), expected, rtol=1e-10, atol=1e-13)
    assert_same(weights(f"{two}.rank1.npz"), weights(two), rtol=0)  # moving stats included


def test_early_stopping_stops_every_rank_together(tmp_path):
    two = tmp_path / "two.npz"
    check(run_ranks(2, "train_shards.py", two, "--epochs", 6, "--patience", 1))
    assert record(two)["epochs"] == [0, 1]
    assert record(f"{two}.rank1.npz")["epochs"] == [0, 1]


@pytest.mark.parametrize(
    "options, message",
    [
        (("--other-data",), "ranks \\[1\\] received other training data than rank 0"),
        (("--batch", 1), "batch_size=1 is the GLOBAL batch, split over 2 MPI ranks"),
        (("--samples", 49), "the last batch holds 1 of the 49 samples"),
    ],
)
def test_clear_errors_end_the_job(tmp_path, options, message):
    result = run_ranks(2, "train_shards.py", tmp_path / "x.npz", *options)
    assert result.returncode != 0
    assert pytest.importorskip("re").search(message, result.stderr), result.stderr[-2000:]


def test_a_killed_rank_ends_the_job_and_a_relaunch_resumes_from_rank_0s_backup(tmp_path):
    # With Dropout: each rank's masks come from its own stream, the same after the resume.
    straight, resumed = tmp_path / "straight.npz", tmp_path / "resumed.npz"
    options = ("--kind", "dropout", "--epochs", 3, "--backup", tmp_path / "backup")
    check(run_ranks(2, "train_shards.py", straight, "--kind", "dropout", "--epochs", 3))
    [noise0], [noise1] = record(straight)["noise"], record(f"{straight}.rank1.npz")["noise"]
    assert noise0 != noise1  # independent masks on the two shards
    killed = run_ranks(2, "train_shards.py", resumed, *options, "--kill", "1,1,1")
    assert killed.returncode != 0 and not resumed.exists()
    assert (tmp_path / "backup" / "latest.convlens").exists()  # epoch 0's, by rank 0
    check(run_ranks(2, "train_shards.py", resumed, *options))
    assert record(resumed)["epochs"] == [1, 2]  # epoch 1, lost with rank 1, is trained again
    assert_same(weights(resumed), weights(straight), rtol=1e-6, atol=1e-9)
    assert_same(weights(f"{resumed}.rank1.npz"), weights(resumed), rtol=0)
    assert not (tmp_path / "backup").exists()  # deleted by rank 0 at the end


@pytest.mark.slow
def test_the_cli_trains_on_two_ranks_and_only_rank_0_keeps_the_run(tmp_path):
    runs = tmp_path / "runs"
    options = ("--limit", 96, "--epochs", 1, "--batch-size", 32, "--runs-dir", runs)
    result = check(run_ranks(2, "-m", "convlens", "train", *options, "--verbose", 0))
    assert result.stdout.count("run kept in") == 1 and result.stdout.count("test accuracy") == 1
    [run] = list(runs.iterdir())  # one run folder: rank 1 trained in a scratch folder
    assert (run / "log.csv").exists()


@pytest.mark.slow
def test_tune_under_mpirun_runs_independent_workers_of_one_study(tmp_path):
    options = ("--trials", 2, "--epochs", 1, "--limit", 64, "--directory", tmp_path)
    storage = f"journal:///{tmp_path / 'study.log'}"
    result = check(run_ranks(2, "-m", "convlens", "tune", *options, "--storage", storage))
    # Two workers, each its own fit; a worker that starts after the other has run both trials
    # finds the study complete and says so (under load the first can be that quick).
    searched, complete = result.stdout.count("search:"), result.stdout.count("is complete")
    assert searched >= 1 and searched + complete == 2, result.stdout[-2000:]


def test_a_list_of_batches_and_a_model_built_by_its_first_batch(tmp_path):
    # Rank 1 draws other initial weights (seed + rank): they must come from rank 0 when the
    # first batch has built the model.
    one, two = tmp_path / "one.npz", tmp_path / "two.npz"
    options = ("--kind", "unbuilt", "--iterable", "--dtype", "float64", "--batch", 12)
    check(run_ranks(0, "train_shards.py", one, *options))
    check(run_ranks(2, "train_shards.py", two, *options))
    assert_same(weights(two), weights(one), rtol=1e-12, atol=1e-15)
    assert_same(weights(f"{two}.rank1.npz"), weights(two), rtol=0)


def test_stop_training_on_one_rank_stops_every_rank_after_the_same_batch(tmp_path):
    two = tmp_path / "two.npz"
    check(run_ranks(2, "train_shards.py", two, "--epochs", 3, "--stop", "1,1,0"))
    assert record(two)["epochs"] == record(f"{two}.rank1.npz")["epochs"] == [0, 1]
    assert_same(weights(f"{two}.rank1.npz"), weights(two), rtol=0)


@pytest.mark.parametrize("given", [None, "3"])
def test_ranks_on_one_machine_share_its_cores(given):
    """Two ranks on two cores each ran BLAS on both (four spinning threads): 3,010 images/s on
    LeNet-5 against 15,684 for one process; with cores // ranks threads each, 14,132-15,714
    (benchmarks/mpi_scaling.py). A CONVLENS_NUM_THREADS the user gave is kept."""
    import os

    extra = {} if given is None else {"CONVLENS_NUM_THREADS": given}
    result = check(run_ranks(2, "threads.py", **extra))
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert sorted(row["rank"] for row in rows) == [0, 1]
    share = str(max(1, (os.cpu_count() or 1) // 2))
    for row in rows:
        assert row["threads"] == (given or share)
        if given is None:
            assert row["blas"] and all(n == int(share) for n in row["blas"])
