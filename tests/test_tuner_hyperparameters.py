"""HyperParameters define-by-run on Optuna: ranges, steps, log sampling, conditional scopes, and
the grid GridSearch walks (each configuration exactly once)."""

import itertools
import math

import numpy
import pytest

optuna = pytest.importorskip("optuna")

from convlens import tuner  # noqa: E402
from convlens.tuner import samplers  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def sample(declare, n=300, seed=0):
    """``n`` trials of a random-sampling study: the values ``declare(hp)`` returned."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    values = []
    for _ in range(n):
        trial = study.ask()
        values.append(declare(tuner.HyperParameters.from_trial(trial)))
        study.tell(trial, 0.0)
    return values


def fraction_below(values, threshold):
    return float(numpy.mean(numpy.asarray(values) < threshold))


# ----- each kind inside its range, on its step, with its sampling -----
def test_int_linear_respects_range_and_step():
    values = sample(lambda hp: hp.Int("units", 8, 70, step=4))
    assert min(values) >= 8 and max(values) <= 68  # 70 is between steps: rounds down to 68
    assert all((v - 8) % 4 == 0 and isinstance(v, int) for v in values)
    assert set(values) == set(range(8, 69, 4))  # every grid point is reachable


def test_int_log_is_log_uniform():
    values = sample(lambda hp: hp.Int("units", 1, 1024, sampling="log"))
    assert 1 <= min(values) and max(values) <= 1024
    # log-uniform: half the mass below the geometric mean 32 (a linear draw puts 3% there)
    assert 0.35 < fraction_below(values, 32) < 0.65


def test_int_log_with_step_multiplies_as_keras_tuner():
    values = sample(lambda hp: hp.Int("units", 16, 512, step=2, sampling="log"))
    assert set(values) == {16, 32, 64, 128, 256, 512}


def test_float_linear_log_and_step():
    linear = sample(lambda hp: hp.Float("x", -1.0, 3.0))
    assert -1 <= min(linear) and max(linear) <= 3
    assert 0.15 < fraction_below(linear, 0.0) < 0.35  # a quarter of [-1, 3]
    log = sample(lambda hp: hp.Float("lr", 1e-5, 1e-1, sampling="log"))
    assert 1e-5 <= min(log) and max(log) <= 1e-1
    assert 0.35 < fraction_below(log, 1e-3) < 0.65
    stepped = sample(lambda hp: hp.Float("dropout", 0.0, 0.5, step=0.1))
    assert all(abs(v / 0.1 - round(v / 0.1)) < 1e-9 and 0 <= v <= 0.5 + 1e-12 for v in stepped)
    assert len({round(v, 9) for v in stepped}) == 6


def test_choice_boolean_fixed():
    choices = sample(lambda hp: hp.Choice("optimizer", ["adam", "sgd", "rmsprop"]), n=100)
    assert set(choices) == {"adam", "sgd", "rmsprop"}
    assert set(sample(lambda hp: hp.Boolean("bn"), n=50)) == {False, True}
    assert set(sample(lambda hp: hp.Fixed("classes", 10), n=20)) == {10}


def test_defaults_without_a_trial_and_reuse_of_a_name():
    hp = tuner.HyperParameters()
    assert hp.Int("a", 2, 9) == 2
    assert hp.Int("b", 2, 9, default=5) == 5
    assert hp.Float("c", 0.5, 1.0) == 0.5
    assert hp.Choice("d", [3, 5], default=5) == 5
    assert hp.Boolean("e") is False
    assert hp.Int("a", 0, 100) == 2  # declared again: the first value stands
    assert hp.values == {"a": 2, "b": 5, "c": 0.5, "d": 5, "e": False}
    assert hp["d"] == hp.get("d") == 5 and "e" in hp
    with pytest.raises(KeyError, match='Unknown hyperparameter "zz"'):
        hp.get("zz")


@pytest.mark.parametrize(
    "declare, message",
    [
        (lambda hp: hp.Int("n", 5, 1), "min_value <= max_value"),
        (lambda hp: hp.Int("n", 1.5, 3), "must be integers"),
        (lambda hp: hp.Int("n", 0, 8, sampling="log"), "min_value > 0"),
        (lambda hp: hp.Float("x", 0, 1, sampling="cubic"), "'linear' or 'log'"),
        (lambda hp: hp.Float("x", 0, 1, default=2), "outside"),
        (lambda hp: hp.Choice("c", []), "non-empty"),
        (lambda hp: hp.Choice("c", [1, "a"]), "one type"),
        (lambda hp: hp.Choice("c", [1, 2], default=3), "is not one of"),
    ],
)
def test_bad_declarations_raise_clear_errors(declare, message):
    with pytest.raises(ValueError, match=message):
        declare(tuner.HyperParameters())


# ----- conditional scopes -----
def conditional_space(hp):
    kind = hp.Choice("model_type", ["mlp", "cnn"])
    with hp.conditional_scope("model_type", "cnn"):
        filters = hp.Int("filters", 8, 64)
        with hp.conditional_scope("filters", list(range(8, 33))):
            hp.Boolean("small_filters_bn")
    units = hp.Int("units", 16, 128, parent_name="model_type", parent_values=["mlp"])
    return kind, filters, units


def test_conditional_parameters_appear_only_when_active():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(200):
        trial = study.ask()
        hp = tuner.HyperParameters.from_trial(trial)
        kind, filters, units = conditional_space(hp)
        cnn = kind == "cnn"
        assert ("filters" in trial.params) == cnn and (filters is not None) == cnn
        assert ("units" in trial.params) == (not cnn) and (units is not None) == (not cnn)
        assert ("small_filters_bn" in trial.params) == (cnn and filters <= 32)
        assert set(hp.values) == set(trial.params)  # only active values, all suggested
        assert hp.get("units" if cnn else "filters") is None  # declared, inactive
        study.tell(trial, 0.0)


def test_conditional_scope_needs_a_declared_parent():
    hp = tuner.HyperParameters()
    with pytest.raises(ValueError, match='parent hyperparameter "kind" must be declared'):
        with hp.conditional_scope("kind", "cnn"):
            pass


# ----- the grid -----
def product_space(hp):
    hp.Int("layers", 1, 3)
    hp.Choice("activation", ["relu", "tanh"])
    hp.Boolean("batch_norm")
    hp.Float("dropout", 0.0, 0.5, step=0.25)


class GridToy(tuner.HyperModel):
    def __init__(self, space):
        super().__init__()
        self.space, self.runs = space, []

    def build(self, hp):
        self.space(hp)

    def fit(self, hp, model, *args, **kwargs):
        self.runs.append(tuple(sorted(hp.values.items())))
        return float(len(self.runs))


def test_grid_search_runs_the_product_exactly_once(tmp_path):
    toy = GridToy(product_space)
    search = tuner.GridSearch(
        toy,
        objective=tuner.Objective("score", "min"),
        storage=optuna.storages.InMemoryStorage(),
        directory=tmp_path,
        project_name="grid",
    )
    assert isinstance(search.oracle.study.sampler, optuna.samplers.GridSampler)
    search.search()
    product = set(itertools.product([1, 2, 3], ["relu", "tanh"], [False, True], [0.0, 0.25, 0.5]))
    ran = [
        (
            t.hyperparameters["layers"],
            t.hyperparameters["activation"],
            t.hyperparameters["batch_norm"],
            t.hyperparameters["dropout"],
        )
        for t in search.oracle.trials
    ]
    assert len(ran) == len(product) == 36 and set(ran) == product  # no repeats, none missed
    assert len(toy.runs) == len(set(toy.runs)) == 36
    assert search.oracle.remaining() == 0


def test_grid_of_a_conditional_space_has_each_active_configuration_once(tmp_path):
    def space(hp):
        layers = hp.Int("layers", 1, 3)
        for i in range(layers):  # KerasTuner's loop idiom: units_2 exists only with 3 layers
            hp.Choice(f"units_{i}", [16, 32])
        optimizer = hp.Choice("optimizer", ["adam", "sgd"])
        with hp.conditional_scope("optimizer", "sgd"):
            hp.Choice("momentum", [0.0, 0.9])
        return optimizer

    configs, space_met = samplers.enumerate_grid(space)
    expected = (2 + 4 + 8) * (1 + 2)  # units per layer count × (adam, or sgd with 2 momenta)
    assert len(configs) == expected
    assert len({tuple(sorted(c.items())) for c in configs}) == expected
    assert {p.name for p in space_met} == {
        "layers",
        "units_0",
        "units_1",
        "units_2",
        "optimizer",
        "momentum",
    }
    toy = GridToy(space)
    search = tuner.GridSearch(
        toy,
        objective=tuner.Objective("score", "min"),
        storage=optuna.storages.InMemoryStorage(),
        directory=tmp_path,
        project_name="grid",
        max_trials=100,
    )
    assert search.oracle.max_trials == expected  # capped at the grid
    search.search()
    assert sorted(toy.runs) == sorted(tuple(sorted(c.items())) for c in configs)


def test_float_grid_values():
    assert tuner.Float("x", 0.0, 1.0, step=0.5).grid_values() == [0.0, 0.5, 1.0]
    log = tuner.Float("lr", 1e-4, 1e-2, sampling="log").grid_values()
    assert len(log) == 10 and math.isclose(log[0], 1e-4) and math.isclose(log[-1], 1e-2)
    assert numpy.allclose(numpy.diff(numpy.log(log)), math.log(100) / 9)
    assert tuner.Float("lr", 1e-4, 1e-2, sampling="log", step=10).grid_values() == pytest.approx(
        [1e-4, 1e-3, 1e-2]
    )
