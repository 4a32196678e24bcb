"""Many workers, one study: processes running the same script against one storage share the
trials (none twice, exactly max_trials), and a worker killed mid-trial leaves a study that the
next run completes."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

optuna = pytest.importorskip("optuna")

from convlens import tuner  # noqa: E402

WORKER = textwrap.dedent('''
    """One tuning worker: python worker.py STORAGE MAX_TRIALS FOLDER [--hang-at K]."""
    import glob, os, sys, time

    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from convlens import tuner

    storage, max_trials, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    hang_at = int(sys.argv[5]) if len(sys.argv) > 5 else None

    class Slow(tuner.HyperModel):
        calls = 0

        def build(self, hp):
            hp.Float("x", 0.0, 1.0)
            hp.Int("n", 1, 10**6)

        def fit(self, hp, model, *args, **kwargs):
            Slow.calls += 1
            with open(os.path.join(folder, f"runs-{os.getpid()}.txt"), "a") as log:
                log.write(f"{hp['x']!r} {hp['n']}\\n")
            if Slow.calls == hang_at:
                open(os.path.join(folder, "hanging"), "w").close()
                time.sleep(600)  # killed here, mid-trial
            time.sleep(0.15)
            return hp["x"]

    # a barrier, so that the workers really run side by side
    open(os.path.join(folder, f"ready-{os.getpid()}"), "w").close()
    while hang_at is None and len(glob.glob(os.path.join(folder, "ready-*"))) < 2:
        time.sleep(0.02)
    search = tuner.RandomSearch(Slow(), objective=tuner.Objective("x", "min"),
                                max_trials=max_trials, seed=0, storage=storage,
                                directory=folder, project_name="shared",
                                heartbeat_interval=0.2,
                                grace_period=float(os.environ.get("GRACE", "1.0")))
    search.search()
''')


def start_worker(folder, storage, max_trials, *extra, grace=1.0):
    script = folder / "worker.py"
    script.write_text(WORKER)
    return subprocess.Popen(
        [sys.executable, str(script), storage, str(max_trials), str(folder), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GRACE": str(grace)},
    )


def finish(process, timeout=120):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]


def open_study(storage, folder):
    oracle = tuner.Oracle.load(str(folder), "shared", storage=storage)
    return oracle.trials


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_workers_share_one_study_without_repeats(tmp_path, kind):
    storage = (
        f"sqlite:///{tmp_path}/study.db" if kind == "sqlite" else f"journal://{tmp_path}/study.log"
    )
    max_trials = 14
    workers = [start_worker(tmp_path, storage, max_trials) for _ in range(2)]
    for worker in workers:
        finish(worker)
    trials = open_study(storage, tmp_path)
    assert [t.number for t in trials] == list(range(max_trials))
    assert [t.state for t in trials] == ["COMPLETE"] * max_trials
    params = [(t.hyperparameters["x"], t.hyperparameters["n"]) for t in trials]
    assert len(set(params)) == max_trials  # same seed in both workers, yet no repeats
    runs = [
        line.split() for log in tmp_path.glob("runs-*.txt") for line in log.read_text().splitlines()
    ]
    assert len(runs) == max_trials and len({tuple(r) for r in runs}) == max_trials
    per_worker = [len(log.read_text().splitlines()) for log in tmp_path.glob("runs-*.txt")]
    assert len(per_worker) == 2 and min(per_worker) >= 2  # both took trials


def test_a_worker_killed_mid_trial_leaves_a_study_a_rerun_completes(tmp_path):
    storage = f"sqlite:///{tmp_path}/study.db"
    max_trials = 6
    doomed = start_worker(tmp_path, storage, max_trials, "--hang-at", "3")
    deadline = time.time() + 60
    while not (tmp_path / "hanging").exists():
        assert doomed.poll() is None and time.time() < deadline, doomed.stderr.read()[-3000:]
        time.sleep(0.05)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait()
    running = open_study(storage, tmp_path)
    assert [t.state for t in running] == ["COMPLETE", "COMPLETE", "RUNNING"]

    # Re-run at once, well within a long grace period: the dead process id tells.
    finish(start_worker(tmp_path, storage, max_trials, "--hang-at", "0", grace=120.0))
    trials = open_study(storage, tmp_path)
    assert [t.state for t in trials] == ["COMPLETE"] * max_trials  # exactly max_trials complete
    assert [t.number for t in trials] == [0, 1, 3, 4, 5, 6]
    oracle = tuner.Oracle.load(str(tmp_path), "shared", storage=storage)
    assert "Lost with a dead worker and run again: trial 2" in tuner.summary.results_lines(oracle)
    [lost] = oracle.lost_trials()
    assert lost.number == 2 and lost.state.name == "FAIL"
    assert lost.user_attrs["error"] == f"worker stopped: process {doomed.pid} on " + (
        f"{lost.user_attrs['host']} is gone"
    )


def test_a_silent_worker_on_another_host_is_lost_after_the_grace_period(tmp_path):
    """Elsewhere only the heartbeat tells: a RUNNING trial of another host stays in the budget
    until its heartbeat is older than grace_period."""
    storage = f"sqlite:///{tmp_path}/study.db"
    oracle = tuner.Oracle(
        tuner.Objective("x", "min"), max_trials=2, storage=storage, directory=str(tmp_path),
        project_name="shared", heartbeat_interval=0.2, grace_period=1.0,
    )  # fmt: skip
    trial = oracle.study.ask()
    trial.set_user_attr("host", "another-host")
    trial.set_user_attr("pid", 1)
    trial.set_user_attr("heartbeat", time.time())
    assert oracle.fail_stale_trials() == [] and oracle.remaining() == 1
    trial.set_user_attr("heartbeat", time.time() - 5)
    assert oracle.fail_stale_trials() == [trial.number] and oracle.remaining() == 2


def test_search_says_why_it_returns_short(tmp_path):
    class Failing(tuner.HyperModel):
        def build(self, hp):
            hp.Float("x", 0.0, 1.0)

        def fit(self, hp, model, *args, **kwargs):
            if hp["x"] > 0.5:
                raise ValueError("too large")
            return hp["x"]

    search = tuner.RandomSearch(
        Failing(), objective=tuner.Objective("x", "min"), max_trials=6, seed=1,
        directory=str(tmp_path), project_name="short", max_consecutive_failed_trials=10,
    )  # fmt: skip
    with pytest.warns(UserWarning, match=r"search: \d of max_trials=6 trials complete \(\d fail\)"):
        search.search()
    assert "ValueError: too large" in str(search.oracle.trials)
