"""KerasTuner's tuners on Optuna: RandomSearch, GridSearch, Hyperband, BayesianOptimization.

Every worker that runs the same script against the same storage takes the next trial of one
shared study until it holds ``max_trials``; re-running resumes (``overwrite=False``).
"""

from __future__ import annotations

import functools
import math
import os
import warnings

from ..callbacks import Callback
from . import summary
from .hypermodel import Objective, get_hypermodel, get_objective, score_of
from .hyperparameters import HyperParameters
from .oracle import Oracle
from .samplers import make_sampler, require_optuna, trial_seed

_UNSUPPORTED = (
    "hyperparameters",
    "tune_new_entries",
    "allow_new_entries",
    "max_model_size",
    "distribution_strategy",
    "logger",
    "tuner_id",
)


class _Surplus(RuntimeError):
    """A trial asked for in a race after the study reached max_trials; it does not run."""


class _TrialCallback(Callback):
    """Reports the objective after each epoch (``trial.report(value, epochs_done)``), saves
    the model at its best epoch, and stops a trial the pruner prunes."""

    def __init__(self, tuner, trial, record: dict, report: bool):
        super().__init__()
        self.tuner, self.trial, self.record, self.report = tuner, trial, record, report

    def on_epoch_end(self, epoch, logs=None):
        optuna = require_optuna()
        name, objective = self.tuner.oracle.objective.name, self.tuner.oracle.objective
        if name not in (logs or {}):
            return  # e.g. validation every few epochs only
        value, step = float(logs[name]), epoch + 1
        if self.report and step not in self.record["reported"]:
            self.trial.report(value, step)
            self.record["reported"].add(step)
        best = self.record.get("best")
        if best is None or objective.better(value, best):
            self.record["best"] = value
            self.tuner._save_model(self.trial, self.model)
        last = step >= self.params.get("epochs", math.inf)  # pruning then would save nothing
        if self.report and self.tuner._prunes and not last and self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {step}: {name} = {value:.4g}")


class Tuner:
    """The search loop shared by the tuners; subclasses choose the sampler.

    Args:
        hypermodel: a ``HyperModel`` or a function ``build(hp)`` returning a compiled model.
        objective: a metric name (``"val_accuracy"``: maximised; ``"val_loss"``: minimised)
            or ``Objective(name, direction)``. Default ``"val_loss"``.
        max_trials: trials in the study, all workers together (COMPLETE, PRUNED and FAIL
            count).
        executions_per_trial: models trained per trial; the score is their mean.
        seed: the sampler, each model's weights and shuffling derive from it per trial.
        directory, project_name: trial models go to ``directory/project_name/trial_NNNN/``;
            the study is named ``project_name``.
        overwrite: delete the study and its models first; else an existing one resumes.
        max_retries_per_trial: runs of a failing trial repeated with the same values.
        max_consecutive_failed_trials: this many failures in a row stop the search.
        storage: None (SQLite ``directory/project_name/study.db``), an Optuna storage URL,
            ``"journal:///path/file.log"`` or an Optuna storage object.
        pruner: None, ``"median"`` or an ``optuna.pruners`` object, fed after every epoch.
        heartbeat_interval, grace_period: seconds between a trial's heartbeats, and the
            silence after which another worker marks it FAIL (default 4 intervals).
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials: int = 10,
        executions_per_trial: int = 1,
        seed: int | None = None,
        directory: str = ".",
        project_name: str = "untitled_project",
        overwrite: bool = False,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        storage=None,
        pruner=None,
        heartbeat_interval: float = 30.0,
        grace_period: float | None = None,
        **kwargs,
    ):
        unknown = ", ".join(kwargs)
        if unknown:
            hint = (
                " (KerasTuner arguments convlens does not support)"
                if set(kwargs) & set(_UNSUPPORTED)
                else ""
            )
            raise TypeError(f"{type(self).__name__}: unexpected arguments {unknown}{hint}.")
        if hypermodel is None:
            raise ValueError(
                f"{type(self).__name__} needs a hypermodel: a HyperModel or a function build(hp)."
            )
        for name, value, low in (
            ("max_trials", max_trials, 1),
            ("executions_per_trial", executions_per_trial, 1),
            ("max_retries_per_trial", max_retries_per_trial, 0),
            ("max_consecutive_failed_trials", max_consecutive_failed_trials, 1),
        ):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, received {value!r}.")
        self.hypermodel = get_hypermodel(hypermodel)
        self.executions_per_trial, self.seed = executions_per_trial, seed
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self.directory, self.project_name = directory, project_name
        self._space: dict = {}
        pruner = self._pruner(pruner)
        self._prunes = pruner is not None
        self.oracle = Oracle(
            get_objective(objective or Objective("val_loss", "min")),
            max_trials,
            directory,
            project_name,
            storage=storage,
            sampler=self._sampler(),
            pruner=pruner,
            overwrite=overwrite,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
        )

    # ----- what subclasses choose -----
    def _sampler(self):
        return make_sampler("random", self.seed)

    @staticmethod
    def _pruner(pruner):
        if pruner is None:
            return None
        optuna = require_optuna()
        if pruner == "median":
            return optuna.pruners.MedianPruner()
        if isinstance(pruner, optuna.pruners.BasePruner):
            return pruner
        raise ValueError(f'pruner must be None, "median" or an optuna pruner, received {pruner!r}.')

    def _prepare_search(self, fit_kwargs: dict) -> None:
        """Called once at the start of ``search`` (Hyperband sets ``epochs`` to max_epochs)."""

    # ----- the search -----
    def search(self, *fit_args, **fit_kwargs) -> None:
        """Run trials until the study holds ``max_trials``; arguments go to ``fit`` (``x``,
        ``y``, ``epochs``, ``validation_data``/``validation_split``, ``callbacks``...).

        Raises:
            RuntimeError: after ``max_consecutive_failed_trials`` failures in a row.
        """
        self._prepare_search(fit_kwargs)
        failures = 0
        while True:
            self.oracle.fail_stale_trials()
            if self.oracle.remaining() == 0:
                return self._warn_if_short()
            outcome = {}
            objective = functools.partial(
                self._objective, outcome=outcome, fit_args=fit_args, fit_kwargs=fit_kwargs
            )
            self.oracle.study.optimize(objective, n_trials=1, catch=(Exception,))
            if outcome.get("surplus"):
                return self._warn_if_short()
            trial = self.oracle.storage.get_trial(self.oracle.trial_id(outcome["number"]))
            failures = failures + 1 if trial.state.name == "FAIL" else 0
            if failures >= self.max_consecutive_failed_trials:
                raise RuntimeError(
                    f"{failures} consecutive trials failed; the last one "
                    f"(trial {trial.number}): "
                    f"{trial.user_attrs.get('error', 'no error recorded')}"
                )

    def _warn_if_short(self) -> None:
        """search() ends when the budget is spent; say so when it did not yield ``max_trials``
        finished trials (some failed, or still run on other workers). Pruning is by design."""
        states = [t.state for t in self.oracle.trials]
        complete = states.count("COMPLETE")
        if complete + states.count("PRUNED") >= self.oracle.max_trials:
            return
        counts = ", ".join(
            f"{states.count(state)} {state.lower()}"
            for state in ("FAIL", "PRUNED", "RUNNING")
            if state in states
        )
        errors = [f"trial {t.number}: {t.error}" for t in self.oracle.trials if t.error][:3]
        warnings.warn(
            f"search: {complete} of max_trials={self.oracle.max_trials} trials complete "
            f"({counts}). " + "; ".join(errors),
            stacklevel=3,
        )

    def _objective(self, trial, outcome: dict, fit_args, fit_kwargs) -> float:
        optuna = require_optuna()
        outcome["number"] = trial.number
        if not self.oracle.in_budget(trial.number):
            outcome["surplus"] = True
            trial.set_user_attr("surplus", True)
            raise _Surplus(f"trial {trial.number}: the study already has max_trials trials.")
        with self.oracle.heartbeat(trial):
            for attempt in range(self.max_retries_per_trial + 1):
                try:
                    return self.run_trial(trial, *fit_args, **fit_kwargs)
                except optuna.TrialPruned:
                    raise
                except BaseException as error:  # recorded, then retried or raised
                    trial.set_user_attr("error", f"{type(error).__name__}: {error}".rstrip(": "))
                    trial.set_user_attr("attempts", attempt + 1)
                    if not isinstance(error, Exception) or attempt == self.max_retries_per_trial:
                        raise

    def run_trial(self, trial, *fit_args, **fit_kwargs) -> float:
        """Build and train ``executions_per_trial`` models with the trial's hyperparameters;
        return the mean of their scores (each its best epoch's objective)."""
        hp = HyperParameters.from_trial(trial)
        record = {"reported": set(), "best": None}
        scores = []
        for execution in range(self.executions_per_trial):
            model = self.hypermodel.build(hp)
            self._space.update({p.name: p for p in hp.space})
            kwargs = dict(fit_kwargs)
            callback = _TrialCallback(self, trial, record, report=execution == 0)
            kwargs["callbacks"] = [*(fit_kwargs.get("callbacks") or []), callback]
            if self.seed is not None:
                seed = trial_seed(self.seed, trial.number, execution)
                kwargs.setdefault("seed", seed)
                if hasattr(model, "reset_weights"):
                    model.reset_weights(seed)
            result = self.hypermodel.fit(hp, model, *fit_args, **kwargs)
            scores.append(score_of(result, self.oracle.objective))
            if record["best"] is None:  # fit reported no epochs: keep the model it ends with
                self._save_model(trial, model)
        return sum(scores) / len(scores)

    def _save_model(self, trial, model) -> None:
        if not hasattr(model, "save"):
            return  # a hypermodel may "train" something that is not a model
        relative = os.path.join(f"trial_{trial.number:04d}", "model.keras")
        model.save(os.path.join(self.oracle.project_dir, relative))
        trial.set_user_attr("model_path", relative)

    # ----- results -----
    def search_space_summary(self, print_fn=None) -> str:
        """The hyperparameters declared so far (a first ``build`` with defaults if none)."""
        if not self._space:
            hp = HyperParameters()
            self.hypermodel.build(hp)
            self._space.update({p.name: p for p in hp.space})
        return summary.emit(summary.search_space_lines(list(self._space.values())), print_fn)

    def results_summary(self, num_trials: int = 10, print_fn=None) -> str:
        """Counts by state, the ``num_trials`` best trials, and the failures' errors."""
        return summary.emit(summary.results_lines(self.oracle, num_trials), print_fn)

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def get_best_models(self, num_models: int = 1) -> list:
        """The best trials' models, loaded from their files (``convlens.models.load_model``)."""
        from ..models import load_model

        models = []
        for trial in self.oracle.get_best_trials(num_models):
            if trial.model_path is None or not os.path.exists(trial.model_path):
                raise FileNotFoundError(
                    f"Trial {trial.trial_id} has no model file at {trial.model_path}; it was "
                    f"saved on host {trial.host} (share the directory between workers)."
                )
            models.append(load_model(trial.model_path))
        return models


class RandomSearch(Tuner):
    """Hyperparameters drawn at random (Optuna's RandomSampler, seeded per trial)."""


class BayesianOptimization(Tuner):
    """Sequential model-based search: Optuna's TPE (multivariate, grouped: conditional spaces
    are modelled per branch) or, with ``sampler="gp"``, its Gaussian-process sampler.

    ``num_initial_points`` random trials come first (default 10); KerasTuner's ``alpha`` and
    ``beta`` (GP noise and exploration) are accepted and not used.
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials: int = 10,
        num_initial_points: int | None = None,
        alpha: float = 1e-4,
        beta: float = 2.6,
        seed: int | None = None,
        sampler: str = "tpe",
        **kwargs,
    ):
        self._algorithm, self._num_initial_points = sampler, num_initial_points
        super().__init__(hypermodel, objective, max_trials, seed=seed, **kwargs)

    def _sampler(self):
        return make_sampler(self._algorithm, self.seed, self._num_initial_points)
