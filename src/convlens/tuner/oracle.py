"""The oracle: one Optuna study in a storage, shared by every worker that runs the same search.

Storage: an SQLite file ``directory/project_name/study.db`` by default; any Optuna storage URL
(``postgresql://...``, ``mysql://...``); ``"journal:///path/to/file.log"``, our shorthand for
``JournalStorage(JournalFileBackend(path))`` (a log file on a shared file system, for many
machines without a database server); or an Optuna storage object.

Trial budget: the study holds ``max_trials`` trials, finished ones (COMPLETE, PRUNED, FAIL)
and those running on live workers. Storages number trials uniquely and atomically, so a trial
is in the budget exactly when fewer than ``max_trials`` budget trials precede it; one that
a worker asked for in a race past the budget is marked FAIL with the user attribute
``surplus`` and left out of everything (``trials``, counts, summaries).

Dead workers: a running trial writes a heartbeat (user attribute ``heartbeat``, seconds since
the epoch) every ``heartbeat_interval`` seconds; a RUNNING trial whose heartbeat is older than
``grace_period`` belonged to a worker that died (killed, machine lost), and the next worker
marks it FAIL with the reason, so the study stays usable and completes. This works on every
storage, journal files included (Optuna's own heartbeat is RDB-only).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time

from .hypermodel import Objective
from .hyperparameters import HyperParameters
from .samplers import require_optuna

JOURNAL_PREFIX = "journal://"


def resolve_storage(storage, directory: str, project_name: str):
    """An Optuna storage object from ``storage`` (None, a URL, ``journal://PATH`` or a storage)."""
    optuna = require_optuna()
    if storage is None:
        path = os.path.abspath(os.path.join(directory, project_name, "study.db"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        storage = f"sqlite:///{path}"
    if not isinstance(storage, str):
        return storage
    if storage.startswith(JOURNAL_PREFIX):
        path = storage[len(JOURNAL_PREFIX) :]
        if not path:
            raise ValueError(f"storage {storage!r} names no file; write journal:///abs/path.log.")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(path)
        return optuna.storages.JournalStorage(backend)
    # Several processes write one SQLite file: wait for the lock rather than fail at once.
    engine = {"connect_args": {"timeout": 60}} if storage.startswith("sqlite") else None
    return optuna.storages.RDBStorage(storage, engine_kwargs=engine)


@dataclasses.dataclass
class Trial:
    """One trial of a study: what ``tuner.oracle.trials`` lists."""

    trial_id: str
    number: int
    hyperparameters: HyperParameters
    state: str  # "COMPLETE", "PRUNED", "FAIL", "RUNNING"
    score: float | None
    error: str | None
    model_path: str | None
    intermediate_values: dict  # epoch -> objective value reported during training
    duration: float | None
    host: str | None

    @property
    def best_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None


class Oracle:
    """The study: creates or resumes it, budgets trials, fails stale ones, lists results."""

    def __init__(
        self,
        objective: Objective,
        max_trials: int,
        directory: str,
        project_name: str,
        storage=None,
        sampler=None,
        pruner=None,
        overwrite: bool = False,
        heartbeat_interval: float = 30.0,
        grace_period: float | None = None,
    ):
        optuna = require_optuna()
        self.objective, self.max_trials = objective, max_trials
        self.project_dir = os.path.join(directory, project_name)
        self.study_name = project_name
        self.heartbeat_interval = float(heartbeat_interval)
        self.grace_period = 4 * self.heartbeat_interval if grace_period is None else grace_period
        if self.grace_period <= self.heartbeat_interval:
            raise ValueError(
                f"grace_period ({self.grace_period} s) must exceed "
                f"heartbeat_interval ({self.heartbeat_interval} s)."
            )
        if overwrite:
            self._delete(storage, directory, project_name)
        for attempt in range(5):
            try:
                self.storage = resolve_storage(storage, directory, project_name)
                self.study = optuna.create_study(
                    storage=self.storage,
                    study_name=project_name,
                    sampler=sampler,
                    pruner=pruner,
                    direction=objective.optuna_direction,
                    load_if_exists=True,
                )
                break
            except Exception as error:
                # Workers started together race to create a new database's tables: the
                # losers see "already exists"/"UNIQUE constraint failed", then find them made.
                if attempt == 4 or not type(error).__module__.startswith("sqlalchemy"):
                    raise
                time.sleep(0.1 * (attempt + 1))
        stored = self.study.user_attrs.get("objective", [objective.name, objective.direction])
        direction = self.study.direction.name.lower()
        if direction != objective.optuna_direction or stored[0] != objective.name:
            raise ValueError(
                f'The study "{project_name}" in this storage optimises {stored[0]} (direction '
                f"{direction}), not {objective}: its scores would not compare. Use another "
                f"project_name, or overwrite=True to start again."
            )
        self.study.set_user_attr("objective", [objective.name, objective.direction])
        self._study_id = self.storage.get_study_id_from_name(project_name)

    @classmethod
    def load(cls, directory: str, project_name: str, storage=None) -> Oracle:
        """The oracle of an existing study (to read its results), without a tuner."""
        optuna = require_optuna()
        path = os.path.join(directory, project_name, "study.db")
        if storage is None and not os.path.exists(path):
            raise FileNotFoundError(
                f"No study in {os.path.join(directory, project_name)}: "
                f"{path} does not exist (give --storage if it is elsewhere)."
            )
        resolved = resolve_storage(storage, directory, project_name)
        try:
            study = optuna.load_study(study_name=project_name, storage=resolved)
        except KeyError:
            names = [s.study_name for s in optuna.get_all_study_summaries(resolved)]
            raise ValueError(
                f'No study "{project_name}" in {storage or path}; it holds: '
                f"{', '.join(names) or 'none'}."
            ) from None
        direction = "min" if study.direction.name == "MINIMIZE" else "max"
        name, direction = study.user_attrs.get("objective", ["objective", direction])
        oracle = cls(Objective(name, direction), 1, directory, project_name, storage=resolved)
        oracle.max_trials = max(len(oracle.budget_trials()), 1)
        return oracle

    def _delete(self, storage, directory, project_name) -> None:
        import shutil

        optuna = require_optuna()
        if storage is not None:
            try:
                optuna.delete_study(
                    study_name=project_name,
                    storage=resolve_storage(storage, directory, project_name),
                )
            except KeyError:
                pass  # nothing to delete
        shutil.rmtree(os.path.join(directory, project_name), ignore_errors=True)

    # ----- the budget -----
    def _frozen(self):
        return self.study.get_trials(deepcopy=False)

    def budget_trials(self, frozen=None) -> list:
        """Trials that count against ``max_trials``: not surplus, not lost with a dead worker."""
        return [
            t
            for t in (frozen or self._frozen())
            if not t.user_attrs.get("surplus") and not t.user_attrs.get("lost")
        ]

    def lost_trials(self) -> list:
        """Trials whose worker died mid-trial (marked by :meth:`fail_stale_trials`)."""
        return [t for t in self._frozen() if t.user_attrs.get("lost")]

    def remaining(self) -> int:
        """How many trials may still start."""
        return max(self.max_trials - len(self.budget_trials()), 0)

    def in_budget(self, number: int) -> bool:
        """Whether trial ``number`` is one of the first ``max_trials`` budget trials."""
        before = [t for t in self.budget_trials() if t.number < number]
        return len(before) < self.max_trials

    def trial_id(self, number: int) -> int:
        return self.storage.get_trial_id_from_study_id_trial_number(self._study_id, number)

    # ----- dead workers -----
    def fail_stale_trials(self) -> list[int]:
        """Mark FAIL (and lost, out of the budget) the RUNNING trials whose worker died: its
        process is gone from this host, or its heartbeat stopped; returns their numbers."""
        optuna = require_optuna()
        failed, now = [], time.time()
        for trial in self._frozen():
            if trial.state != optuna.trial.TrialState.RUNNING:
                continue
            reason = _dead_worker(trial.user_attrs, trial.datetime_start.timestamp(), now, self)
            if reason is None:
                continue
            trial_id = self.trial_id(trial.number)
            try:
                self.storage.set_trial_user_attr(trial_id, "error", f"worker stopped: {reason}")
                self.storage.set_trial_user_attr(trial_id, "lost", True)
                self.storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
                failed.append(trial.number)
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # another worker (or the trial itself) finished it first
        return failed

    def heartbeat(self, trial) -> _Heartbeat:
        """A context manager that beats for ``trial`` (an optuna.Trial) while it runs."""
        return _Heartbeat(self.storage, trial._trial_id, self.heartbeat_interval)

    # ----- results -----
    @property
    def trials(self) -> list[Trial]:
        """Every budget trial of the study, all workers', in order."""
        return [self._record(t) for t in self.budget_trials()]

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        done = [t for t in self.trials if t.state == "COMPLETE" and t.score is not None]
        sign = 1.0 if self.objective.direction == "min" else -1.0
        return sorted(done, key=lambda t: (sign * t.score, t.number))[:num_trials]

    def _record(self, frozen) -> Trial:
        duration = frozen.duration.total_seconds() if frozen.duration is not None else None
        path = frozen.user_attrs.get("model_path")
        return Trial(
            trial_id=f"{frozen.number:04d}",
            number=frozen.number,
            hyperparameters=HyperParameters.from_values(frozen.params),
            state=frozen.state.name,
            score=frozen.value,
            error=frozen.user_attrs.get("error"),
            model_path=os.path.join(self.project_dir, path) if path else None,
            intermediate_values=dict(frozen.intermediate_values),
            duration=duration,
            host=frozen.user_attrs.get("host"),
        )


class _Heartbeat:
    """Writes the trial's heartbeat at once, then every ``interval`` seconds from a thread."""

    def __init__(self, storage, trial_id: int, interval: float):
        self._storage, self._trial_id, self._interval = storage, trial_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tuner-heartbeat")

    def _beat(self) -> None:
        self._storage.set_trial_user_attr(self._trial_id, "heartbeat", time.time())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - a busy storage: beat again next time
                pass

    def __enter__(self):
        self._storage.set_trial_user_attr(self._trial_id, "host", socket.gethostname())
        self._storage.set_trial_user_attr(self._trial_id, "pid", os.getpid())
        self._storage.set_trial_user_attr(self._trial_id, "pid_start", _process_start(os.getpid()))
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def _dead_worker(attrs: dict, started: float, now: float, oracle) -> str | None:
    """Why a RUNNING trial's worker is dead, or None while it may be alive. On this host its
    process id tells at once (a killed run, re-run at once, needs no grace period); elsewhere
    only the heartbeat does, after ``grace_period``."""
    host, pid = attrs.get("host"), attrs.get("pid")
    if host == socket.gethostname() and isinstance(pid, int) and pid != os.getpid():
        if not _alive(pid, attrs.get("pid_start")):
            return f"process {pid} on {host} is gone"
    beat = attrs.get("heartbeat", started)
    if now - beat > oracle.grace_period:
        return f"no heartbeat for {now - beat:.0f} s (host {host or '?'})"
    return None


def _alive(pid: int, start) -> bool:
    """Whether process ``pid`` runs and is the one that started the trial (same start time,
    where the system tells it: a reused process id is another process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return start is None or _process_start(pid) in (None, start)


def _process_start(pid: int):
    """The process's start time in clock ticks since boot (Linux ``/proc``), else None."""
    try:
        with open(f"/proc/{pid}/stat") as stream:
            return int(stream.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None
