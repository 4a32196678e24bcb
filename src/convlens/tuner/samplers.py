"""The Optuna samplers behind the tuners, and the grid a GridSearch walks.

Optuna is imported inside functions: ``import convlens.tuner`` works without it.
"""

from __future__ import annotations

import math
import warnings

import numpy

from .hyperparameters import HyperParameters


def require_optuna():
    """The ``optuna`` module, or an ImportError that says how to install it."""
    try:
        import optuna
    except ImportError as error:
        raise ImportError(
            "convlens.tuner runs on Optuna, which is not installed: pip install convlens[tune]"
        ) from error
    return optuna


def trial_seed(seed: int, *keys: int) -> int:
    """A seed for one trial (and execution) derived from the tuner's seed, so that trial k gets
    the same draws whichever worker runs it, and two workers never share a stream."""
    return int(numpy.random.SeedSequence([seed, *keys]).generate_state(1)[0])


class TrialSeededSampler:
    """An Optuna sampler made afresh for each trial from ``make(seed)`` with
    ``trial_seed(seed, trial.number)``.

    Two workers started with the same ``seed`` would otherwise draw the same random stream and
    run the same hyperparameters; trial numbers are unique in a study, so these streams are not.
    Every other method is the wrapped sampler's.
    """

    def __init__(self, make, seed: int):
        self._make, self._seed = make, seed
        self._sampler = make(seed)

    def before_trial(self, study, trial) -> None:
        self._sampler = self._make(trial_seed(self._seed, trial.number))
        self._sampler.before_trial(study, trial)

    def __getattr__(self, name):
        return getattr(self.__dict__["_sampler"], name)


class ConfigGridSampler:
    """A grid given as a list of configurations (dicts of the *active* hyperparameters), for
    search spaces that are not a product (conditional scopes, parameters declared in loops).

    Trial number k runs configuration k: numbers are unique in a study, so workers sharing it
    never run a configuration twice (the tuner stops at ``len(configs)`` trials).
    """

    def __init__(self, configs: list[dict]):
        self.configs = configs

    def before_trial(self, study, trial) -> None:
        pass

    def after_trial(self, study, trial, state, values) -> None:
        pass

    def reseed_rng(self) -> None:
        pass

    def infer_relative_search_space(self, study, trial) -> dict:
        return {}

    def sample_relative(self, study, trial, search_space) -> dict:
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        if trial.number >= len(self.configs):
            raise RuntimeError(
                f"The grid has {len(self.configs)} points; trial {trial.number} has none left."
            )
        config = self.configs[trial.number]
        if param_name not in config:
            raise RuntimeError(
                f'Grid point {trial.number} has no value for "{param_name}": the '
                f"search space changed since the grid was enumerated."
            )
        return config[param_name]


def enumerate_grid(build) -> tuple[list[dict], list]:
    """Every distinct configuration of the search space ``build(hp)`` declares, exactly once.

    A depth-first walk, define-by-run: run ``build`` with the values fixed so far; the
    parameters it meets for the first time branch into the product of their grid values; a run
    that meets nothing new is a configuration (its active values). Configurations that differ
    only in inactive parameters collapse into one.

    Returns:
        ``(configs, space)``: the configurations in order, and every parameter met.
    """
    configs, seen, space, stack = [], set(), {}, [{}]
    while stack:
        prefix = stack.pop()
        new = []

        def choose(parameter, prefix=prefix, new=new):
            if parameter.name in prefix:
                return prefix[parameter.name]
            new.append(parameter)
            return parameter.grid_values()[0]

        hp = HyperParameters()
        hp._choose = choose
        build(hp)
        for parameter in hp.space:
            space.setdefault(parameter.name, parameter)
        if new:
            children = [prefix]
            for parameter in new:
                children = [
                    {**c, parameter.name: v} for c in children for v in parameter.grid_values()
                ]
            stack.extend(reversed(children))
            continue
        key = tuple(sorted(hp.values.items(), key=lambda item: item[0]))
        if key not in seen:
            seen.add(key)
            configs.append(dict(hp.values))
    return configs, list(space.values())


def is_product(configs: list[dict], space: list) -> bool:
    """Whether the configurations are the full product of every parameter's grid."""
    size = math.prod(len(parameter.grid_values()) for parameter in space)
    return len(configs) == size and all(len(c) == len(space) for c in configs)


def grid_sampler(configs: list[dict], space: list, seed: int | None):
    """Optuna's GridSampler when the space is a product (it maps trial number k to grid point k,
    so workers never repeat one); a ConfigGridSampler for conditional spaces."""
    optuna = require_optuna()
    if is_product(configs, space):
        grid = {parameter.name: parameter.grid_values() for parameter in space}
        return optuna.samplers.GridSampler(grid, seed=seed)
    return ConfigGridSampler(configs)


def make_sampler(algorithm: str, seed: int | None, num_initial_points: int | None = None):
    """The sampler of a tuner: ``"random"``, ``"tpe"`` or ``"gp"``, seeded per trial."""
    optuna = require_optuna()

    def make(trial_seed_value):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if algorithm == "random":
                return optuna.samplers.RandomSampler(seed=trial_seed_value)
            startup = 10 if num_initial_points is None else num_initial_points
            if algorithm == "gp":
                return optuna.samplers.GPSampler(seed=trial_seed_value, n_startup_trials=startup)
            # multivariate + group: TPE models the parameters that occur together jointly, so
            # conditional branches are sampled from the trials where they were active.
            return optuna.samplers.TPESampler(
                seed=trial_seed_value,
                n_startup_trials=startup,
                multivariate=True,
                group=True,
                constant_liar=True,
            )

    if algorithm not in ("random", "tpe", "gp"):
        raise ValueError(f'sampler must be "tpe" or "gp", received {algorithm!r}.')
    return make(None) if seed is None else TrialSeededSampler(make, seed)
