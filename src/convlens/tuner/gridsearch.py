"""GridSearch: every configuration of the search space, exactly once."""

from __future__ import annotations

from .samplers import enumerate_grid, grid_sampler
from .tuners import Tuner


class GridSearch(Tuner):
    """Every combination of the hyperparameters' values, each run once across all workers.

    The grid is enumerated at construction by running ``build(hp)`` define-by-run
    (``samplers.enumerate_grid``): Int and Choice take all their values, Boolean both, a Float
    its steps (10 points over its range when it has no step). A product space runs on Optuna's
    GridSampler; a conditional one (scopes, layers declared in a loop) on a sampler that visits
    each distinct active configuration once. Hyperparameters must be declared in ``build``
    (``fit`` may read them with ``hp.get``).

    Args:
        max_trials: at most this many grid points (default: the whole grid).
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials: int | None = None,
        seed: int | None = None,
        **kwargs,
    ):
        self.grid: list[dict] = []
        super().__init__(
            hypermodel, objective, 1 if max_trials is None else max_trials, seed=seed, **kwargs
        )
        self.oracle.max_trials = (
            len(self.grid) if max_trials is None else min(max_trials, len(self.grid))
        )

    def _sampler(self):
        self.grid, space = enumerate_grid(self.hypermodel.build)
        self._space.update({parameter.name: parameter for parameter in space})
        return grid_sampler(self.grid, space, self.seed)
