"""Learning-rate schedules: Keras 3's formulas evaluated independently here, step conversions."""

import json
import math

import numpy as np
import pytest

import convlens as cl
from convlens import optimizers
from convlens.optimizers import schedules
from convlens.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

STEPS = [0, 1, 7, 10, 15, 25, 99, 1000]


def assert_values(schedule, formula, steps=STEPS):
    got = [schedule(step) for step in steps]
    np.testing.assert_allclose(got, [formula(step) for step in steps], rtol=1e-12, atol=1e-15)
    assert all(type(value) is float for value in got)


# ----- formulas -----
@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    floor = np.floor if staircase else (lambda x: x)
    assert_values(ExponentialDecay(0.1, 10, 0.5, staircase), lambda s: 0.1 * 0.5 ** floor(s / 10))


def test_exponential_staircase_steps_at_multiples_of_decay_steps():
    schedule = ExponentialDecay(1.0, 10, 0.5, staircase=True)
    assert [schedule(s) for s in (0, 9, 10, 19, 20)] == [1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    floor = np.floor if staircase else (lambda x: x)
    assert_values(
        InverseTimeDecay(0.1, 10, 0.5, staircase), lambda s: 0.1 / (1 + 0.5 * floor(s / 10))
    )


def test_piecewise_constant_uses_keras_less_or_equal():
    schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    steps = [0, 9, 10, 10.5, 11, 20, 21, 1000]
    assert [schedule(s) for s in steps] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.1, 0.1]
    assert PiecewiseConstantDecay([], [0.3])(50) == 0.3


@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
def test_polynomial_decay_without_cycle(power):
    def formula(s):
        s = min(s, 100)
        return (0.1 - 0.001) * (1 - s / 100) ** power + 0.001

    assert_values(PolynomialDecay(0.1, 100, 0.001, power), formula)
    assert PolynomialDecay(0.1, 100)(500) == pytest.approx(0.0001)


def test_polynomial_decay_cycle_restarts_over_longer_periods():
    def formula(s):
        period = 10 * (1 if s == 0 else math.ceil(s / 10))  # first multiple of 10 >= s
        return (1.0 - 0.1) * (1 - s / period) ** 2 + 0.1

    schedule = PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0, cycle=True)
    assert_values(schedule, formula, steps=[0, 3, 10, 11, 15, 20, 21, 37])
    assert schedule(10) == pytest.approx(0.1) and schedule(11) == pytest.approx(
        0.9 * (1 - 11 / 20) ** 2 + 0.1
    )


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay(alpha):
    def formula(s):
        s = min(s, 100)
        return 0.1 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / 100)) + alpha)

    assert_values(CosineDecay(0.1, 100, alpha=alpha), formula)
    assert CosineDecay(0.1, 100, alpha=alpha)(100) == pytest.approx(0.1 * alpha)


def test_cosine_decay_with_linear_warmup():
    schedule = CosineDecay(0.0, 100, alpha=0.1, warmup_target=1.0, warmup_steps=20)

    def formula(s):
        s = min(s, 120)
        if s < 20:
            return 0.0 + (1.0 - 0.0) * s / 20
        return 1.0 * (0.9 * 0.5 * (1 + math.cos(math.pi * (s - 20) / 100)) + 0.1)

    assert_values(schedule, formula, steps=[0, 5, 19, 20, 21, 70, 120, 500])
    assert schedule(10) == pytest.approx(0.5) and schedule(20) == 1.0
    assert schedule(120) == pytest.approx(0.1)


def sgdr_formula(step, first, t_mul, m_mul, alpha, initial=1.0):
    """SGDR by walking the periods one by one (no closed form)."""
    start, length, i = 0.0, float(first), 0
    while step >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    fraction = (step - start) / length
    return initial * ((1 - alpha) * 0.5 * m_mul**i * (1 + math.cos(math.pi * fraction)) + alpha)


@pytest.mark.parametrize(
    "t_mul, m_mul, alpha", [(2.0, 1.0, 0.0), (1.0, 0.5, 0.1), (3.0, 0.8, 0.0), (1.5, 0.9, 0.05)]
)
def test_cosine_decay_restarts_matches_the_period_walk(t_mul, m_mul, alpha):
    schedule = CosineDecayRestarts(1.0, 10, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    steps = list(range(0, 200, 3)) + [10, 30, 40, 70, 130, 150, 400]
    assert_values(schedule, lambda s: sgdr_formula(s, 10, t_mul, m_mul, alpha), steps)


@pytest.mark.parametrize(
    "t_mul, restarts",
    [
        (2.0, [0, 10, 30, 70, 150]),
        (3.0, [0, 10, 40, 130, 400, 1210]),  # 1210: float log is off by one
        (1.0, [0, 10, 20, 30, 40]),
    ],
)
def test_cosine_decay_restarts_period_lengths(t_mul, restarts):
    schedule = CosineDecayRestarts(1.0, 10, t_mul=t_mul, m_mul=0.5)
    for i, step in enumerate(restarts):
        assert schedule(step) == pytest.approx(0.5**i)  # each period starts at its peak
        if step:
            assert schedule(step - 1) < 0.05 * 0.5 ** (i - 1)  # the last is near the bottom


# ----- steps and epochs -----
def test_preview_is_consistent_with_the_schedule_and_the_optimizer():
    schedule = ExponentialDecay(0.1, 3, 0.5, staircase=True)
    preview = schedule.preview(steps_per_epoch=4, epochs=3)
    assert len(preview.per_step) == 12 and len(preview.per_epoch) == 3
    assert preview.per_step == [schedule(k) for k in range(12)]
    assert preview.per_epoch == [schedule(0), schedule(4), schedule(8)] == [0.1, 0.05, 0.025]
    assert "epoch" in str(preview) and "first step" in str(preview)
    # The optimizer uses per_step[k] for its k-th update.
    optimizer, w, used = optimizers.SGD(schedule), cl.Tensor([1.0], requires_grad=True), []
    for _ in range(12):
        used.append(optimizer.learning_rate)
        optimizer.apply([[0.0]], [w])
    assert used == preview.per_step


def test_epoch_helpers():
    assert schedules.epochs_to_steps(3, steps_per_epoch=100) == 300
    assert schedules.epochs_to_steps(0.5, steps_per_epoch=10) == 5
    with pytest.raises(ValueError, match="steps_per_epoch must be an integer >= 1"):
        schedules.epochs_to_steps(3, steps_per_epoch=0)
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        schedules.epochs_to_steps(-1, steps_per_epoch=10)


@pytest.mark.parametrize(
    "from_epochs, from_steps",
    [
        (
            lambda: ExponentialDecay.from_epochs(0.1, 2, 0.5, steps_per_epoch=50, staircase=True),
            ExponentialDecay(0.1, 100, 0.5, staircase=True),
        ),
        (
            lambda: InverseTimeDecay.from_epochs(0.1, 3, 0.5, steps_per_epoch=10),
            InverseTimeDecay(0.1, 30, 0.5),
        ),
        (
            lambda: PolynomialDecay.from_epochs(0.1, 4, steps_per_epoch=25, power=2.0),
            PolynomialDecay(0.1, 100, power=2.0),
        ),
        (
            lambda: CosineDecay.from_epochs(
                0.0, 10, steps_per_epoch=20, warmup_target=0.1, warmup_epochs=1
            ),
            CosineDecay(0.0, 200, warmup_target=0.1, warmup_steps=20),
        ),
        (
            lambda: CosineDecayRestarts.from_epochs(0.1, 5, steps_per_epoch=10, t_mul=1.5),
            CosineDecayRestarts(0.1, 50, t_mul=1.5),
        ),
        (
            lambda: PiecewiseConstantDecay.from_epochs(
                [2, 5], [0.1, 0.01, 0.001], steps_per_epoch=10
            ),
            PiecewiseConstantDecay([19, 49], [0.1, 0.01, 0.001]),
        ),
    ],
)
def test_from_epochs_converts_to_steps(from_epochs, from_steps):
    assert from_epochs().get_config() == from_steps.get_config()


def test_piecewise_from_epochs_switches_at_the_first_batch_of_the_epoch():
    schedule = PiecewiseConstantDecay.from_epochs([2], [1.0, 0.1], steps_per_epoch=100)
    assert schedule(199) == 1.0 and schedule(200) == 0.1
    assert schedule.preview(steps_per_epoch=100, epochs=4).per_epoch == [1.0, 1.0, 0.1, 0.1]


def test_describe_and_repr_speak_in_steps_and_epochs():
    schedule = ExponentialDecay(0.1, 1000, 0.96, staircase=True)
    assert repr(schedule) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, "
        "decay_rate=0.96, staircase=True)"
    )
    text = schedule.describe(steps_per_epoch=100, epochs=3)
    assert "lr(step) = ``initial_learning_rate * decay_rate ** (step / decay_steps)``." in text
    assert "not epochs" in text and "decay_steps=1000 steps = 10.0 epochs of 100 steps." in text
    assert text.endswith(str(schedule.preview(100, 3)))
    assert "boundaries=[9, 19] steps = [0.9, 1.9] epochs" in PiecewiseConstantDecay(
        [9, 19], [1.0, 0.5, 0.1]
    ).describe(steps_per_epoch=10)


# ----- config -----
ALL = [
    ExponentialDecay(0.1, 10, 0.5, True),
    InverseTimeDecay(0.1, 10, 0.5),
    PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    PolynomialDecay(0.1, 10, 0.01, 2.0, cycle=True),
    CosineDecay(0.0, 10, 0.1, warmup_target=0.2, warmup_steps=5),
    CosineDecayRestarts(0.1, 10, 1.5, 0.9, 0.1),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    rebuilt = schedules.deserialize(config)
    assert type(rebuilt) is type(schedule) and rebuilt.get_config() == schedule.get_config()
    assert [rebuilt(s) for s in range(40)] == [schedule(s) for s in range(40)]
    keras_style = {"module": "keras.optimizers.schedules", "registered_name": None, **config}
    assert schedules.deserialize(keras_style).get_config() == schedule.get_config()


def test_unknown_schedule_lists_the_accepted_names():
    with pytest.raises(
        ValueError,
        match="Unknown learning rate schedule 'Cyclic'.*"
        "CosineDecay, CosineDecayRestarts, ExponentialDecay",
    ):
        schedules.deserialize({"class_name": "Cyclic", "config": {}})


# ----- bad input -----
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ExponentialDecay(0.1, 0, 0.5), "decay_steps must be > 0, received decay_steps=0"),
        (lambda: InverseTimeDecay(0.1, -5, 0.5), "decay_steps must be > 0"),
        (lambda: PolynomialDecay(0.1, 0), "decay_steps must be > 0"),
        (lambda: CosineDecay(0.1, 0), "decay_steps must be > 0"),
        (
            lambda: CosineDecay(0.1, 10, warmup_target=1.0, warmup_steps=-1),
            "warmup_steps must be >= 0",
        ),
        (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps must be > 0"),
        (lambda: CosineDecayRestarts(0.1, 10, t_mul=0), "t_mul must be > 0"),
        (lambda: ExponentialDecay("0.1", 10, 0.5), "initial_learning_rate must be a number"),
        (
            lambda: PiecewiseConstantDecay([10, 10], [1.0, 0.5, 0.1]),
            r"boundaries must be strictly increasing, received \[10, 10\]",
        ),
        (lambda: PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), "strictly increasing"),
        (
            lambda: PiecewiseConstantDecay([10, 20], [1.0, 0.5]),
            r"values must have one more entry than boundaries, received 2 boundaries "
            r"\[10, 20\] and 2 values",
        ),
        (
            lambda: ExponentialDecay(0.1, 10, 0.5).preview(steps_per_epoch=0, epochs=3),
            "steps_per_epoch must be an integer >= 1",
        ),
        (lambda: CosineDecayRestarts(1.0, 10, t_mul=0.5)(25), "past the end of all periods"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()
