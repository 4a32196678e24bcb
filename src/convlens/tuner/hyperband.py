"""Hyperband on Optuna's HyperbandPruner, and the schedule it runs.

KerasTuner's ``max_epochs``/``factor`` map to the pruner's ``max_resource``/
``reduction_factor`` with ``min_resource = 1`` epoch; a trial reports its objective after each
epoch with ``step = epochs done``. Optuna runs ``B = floor(log_factor(max_epochs)) + 1``
brackets (``s_max + 1`` in Li et al. 2018, Algorithm 1), each a successive-halving pruner:
bracket ``b`` checks its trials after ``factor**(b + k)`` epochs (k = 0, 1, ... while below
``max_epochs``) and keeps the best ``1/factor`` of those at each rung. Trials are spread over
brackets in proportion to ``ceil(B * factor**s / (s + 1))``, ``s = B - 1 - b``: one Hyperband
iteration is the sum of these, KerasTuner's count of trials per iteration.
"""

from __future__ import annotations

import math

from .samplers import make_sampler, require_optuna
from .tuners import Tuner


def hyperband_brackets(max_epochs: int, factor: int, min_epochs: int = 1) -> list[dict]:
    """Each bracket's trial budget and the epochs at which its trials are checked.

    Example:
        >>> [(b["trials"], b["rungs"]) for b in hyperband_brackets(9, 3)]
        [(9, [1, 3]), (5, [3]), (3, [])]
    """
    # As Optuna computes it (no rounding guard: log(243, 3) < 5 gives 5 brackets, not 6).
    count = math.floor(math.log(max_epochs / min_epochs, factor)) + 1
    brackets = []
    for bracket in range(count):
        s = count - 1 - bracket
        rungs, k = [], 0
        while min_epochs * factor ** (bracket + k) < max_epochs:
            rungs.append(min_epochs * factor ** (bracket + k))
            k += 1
        brackets.append({"trials": math.ceil(count * factor**s / (s + 1)), "rungs": rungs})
    return brackets


class Hyperband(Tuner):
    """Random hyperparameters, trained up to ``max_epochs`` and stopped early by Optuna's
    HyperbandPruner; stopped trials are recorded as PRUNED.

    Args:
        max_epochs: the most epochs a trial trains (``search``'s ``epochs`` is replaced).
        factor: the reduction factor: each rung keeps the best ``1/factor``.
        hyperband_iterations: how many times the bracket budget is run; ``max_trials``
            defaults to ``hyperband_iterations`` × the trials of one iteration.
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_epochs: int = 100,
        factor: int = 3,
        hyperband_iterations: int = 1,
        seed: int | None = None,
        max_trials: int | None = None,
        **kwargs,
    ):
        for name, value, low in (
            ("max_epochs", max_epochs, 1),
            ("factor", factor, 2),
            ("hyperband_iterations", hyperband_iterations, 1),
        ):
            if not isinstance(value, int) or value < low:
                raise ValueError(
                    f"Hyperband: {name} must be an integer >= {low}, received {value!r}."
                )
        if "pruner" in kwargs:
            raise TypeError("Hyperband sets its own pruner; use RandomSearch(pruner=...).")
        self.max_epochs, self.factor = max_epochs, factor
        self.brackets = hyperband_brackets(max_epochs, factor)
        if max_trials is None:
            max_trials = hyperband_iterations * sum(b["trials"] for b in self.brackets)
        pruner = require_optuna().pruners.HyperbandPruner(
            min_resource=1, max_resource=max_epochs, reduction_factor=factor
        )
        super().__init__(hypermodel, objective, max_trials, seed=seed, pruner=pruner, **kwargs)

    def _sampler(self):
        return make_sampler("random", self.seed)

    def _prepare_search(self, fit_kwargs: dict) -> None:
        fit_kwargs["epochs"] = self.max_epochs
