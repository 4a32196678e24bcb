"""Optimizers: three steps against Keras 3's rules written out in NumPy, and against PyTorch."""

import numpy as np
import pytest

from convlens.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, schedules
from optimizer_rules import (
    ALGORITHM_OPTIONS,
    BASE_OPTIONS,
    GRADS,
    LR,
    RULES,
    WEIGHTS,
    _id,
    adam_rule,
    assert_history_close,
    reference,
    run,
    sgd_rule,
)


@pytest.mark.parametrize("base", BASE_OPTIONS, ids=_id)
@pytest.mark.parametrize("cls, options", ALGORITHM_OPTIONS, ids=_id)
def test_three_steps_equal_keras_rule_by_hand(cls, options, base):
    merged = {**options, **base}
    rule_options = {k: v for k, v in options.items() if k != "weight_decay"}
    weight_decay = merged.get("weight_decay", 0.004 if cls is AdamW else None)
    clipping = {k: v for k, v in base.items() if k != "weight_decay"}
    expected = reference(RULES[cls](**rule_options), GRADS, weight_decay=weight_decay, **clipping)
    ours, _ = run(cls(learning_rate=LR, **merged))
    assert_history_close(ours, expected)


def test_clipping_actually_clips_in_these_tests():
    norms = [np.sqrt((g**2).sum()) for g in GRADS[0]]
    assert min(norms) > 0.7 and np.abs(GRADS[0][0]).max() > 0.3


KERAS_DEFAULTS = {
    SGD: {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "weight_decay": None},
    Adagrad: {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    RMSprop: {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
    Adam: {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    AdamW: {"learning_rate": 0.001, "weight_decay": 0.004, "beta_2": 0.999, "amsgrad": False},
}


@pytest.mark.parametrize("cls", list(KERAS_DEFAULTS), ids=_id)
def test_defaults_are_keras_3s(cls):
    config = cls().get_config()
    assert {key: config[key] for key in KERAS_DEFAULTS[cls]} == KERAS_DEFAULTS[cls]
    assert cls().clipnorm is cls().clipvalue is cls().global_clipnorm is None


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, AdamW])
def test_default_hyperparameters_follow_the_rule(cls):
    expected = reference(
        RULES[cls](),
        GRADS,
        learning_rate=cls().learning_rate,
        weight_decay=0.004 if cls is AdamW else None,
    )
    assert_history_close(run(cls())[0], expected)


def test_schedule_is_evaluated_at_iterations_before_each_step():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = Adam(learning_rate=schedule, weight_decay=0.2)
    expected = reference(adam_rule(), GRADS, learning_rate=lambda t: 0.1 * 0.5**t, weight_decay=0.2)
    assert_history_close(run(optimizer)[0], expected)
    assert optimizer.iterations == 3 and optimizer.learning_rate == pytest.approx(0.1 * 0.5**3)


def test_sgd_momentum_with_a_schedule_keeps_keras_velocity_in_weight_units():
    # Keras stores m = μ·m − η_t·g, so earlier rates stay in the velocity (torch's buffer
    # holds gradients and multiplies by the current rate: the two differ once η changes).
    schedule = schedules.PiecewiseConstantDecay([0], [0.1, 0.01])
    expected = reference(sgd_rule(0.9), GRADS, learning_rate=lambda t: 0.1 if t <= 0 else 0.01)
    assert_history_close(run(SGD(schedule, momentum=0.9))[0], expected)


# ----- PyTorch, where its rule coincides with Keras's -----
def torch_history(make_optimizer, steps=GRADS, before_step=None, clip=None):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(w.copy(), requires_grad=True) for w in WEIGHTS]
    optimizer, history = make_optimizer(torch, params), []
    for t, grads in enumerate(steps, start=1):
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g.copy())
        if clip is not None:
            clip(torch, params)
        if before_step is not None:
            before_step(optimizer, t)
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def adam_epsilon_hat(epsilon, beta_2=0.999):
    """Torch adds ε to √v_hat = √v/√(1 − β₂ᵗ); Keras adds ε̂ to √v. Setting torch's ε to
    ε̂/√(1 − β₂ᵗ) before step t makes the two denominators proportional: the same update."""

    def hook(optimizer, t):
        optimizer.param_groups[0]["eps"] = epsilon / np.sqrt(1 - beta_2**t)

    return hook


# name: (ours, torch class, torch arguments, hook before each torch step)
TORCH_CASES = {
    # Same rule: torch's buffer b ← μ·b + g with w ← w − η·b is Keras's m = −η·b at constant η.
    "sgd": (SGD(LR), "SGD", {}, None),
    "sgd momentum": (SGD(LR, momentum=0.9), "SGD", {"momentum": 0.9}, None),
    "sgd nesterov": (SGD(LR, momentum=0.9, nesterov=True), "SGD",
                     {"momentum": 0.9, "nesterov": True}, None),
    # Torch: w ← w − η·g/(√G + ε), ε outside the root; Keras: √(G + ε). With torch's ε = 0 and
    # its accumulator started at Keras's value + ε, torch's √G is Keras's √(G + ε) exactly.
    "adagrad": (Adagrad(LR), "Adagrad", {"initial_accumulator_value": 0.1 + 1e-7, "eps": 0.0},
                None),
    # Torch puts ε outside the root (√E[g²] + ε), Keras inside (√(E[g²] + ε)). No torch setting
    # moves it, so Keras's ε is made negligible (1e-12; ours must be > 0) and torch's is 0.
    "rmsprop": (RMSprop(LR, epsilon=1e-12), "RMSprop", {"alpha": 0.9, "eps": 0.0}, None),
    "rmsprop centered momentum": (
        RMSprop(LR, rho=0.8, momentum=0.5, centered=True, epsilon=1e-12), "RMSprop",
        {"alpha": 0.8, "momentum": 0.5, "centered": True, "eps": 0.0}, None),
    "adam": (Adam(LR), "Adam", {}, adam_epsilon_hat(1e-7)),
    "adam amsgrad": (Adam(LR, beta_2=0.5, amsgrad=True), "Adam",
                     {"betas": (0.9, 0.5), "amsgrad": True}, adam_epsilon_hat(1e-7, 0.5)),
    # Both decay decoupled, w ← w − η·λ·w, before the Adam step (torch: p.mul_(1 − lr·wd)).
    "adamw": (AdamW(LR, weight_decay=0.3), "AdamW", {"weight_decay": 0.3}, adam_epsilon_hat(1e-7)),
    # Keras's Adam(weight_decay=λ) is decoupled too, so it is torch's AdamW, not torch's
    # Adam(weight_decay=λ), which adds λ·w to the gradient (L2 regularization).
    "adam weight_decay": (Adam(LR, weight_decay=0.3), "AdamW", {"weight_decay": 0.3},
                          adam_epsilon_hat(1e-7)),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_three_steps_equal_pytorch(case):
    ours, torch_class, options, hook = TORCH_CASES[case]
    expected = torch_history(
        lambda t, p: getattr(t.optim, torch_class)(p, lr=LR, **options), before_step=hook
    )
    assert_history_close(run(ours)[0], expected, rtol=1e-9)


def test_clipvalue_equals_torch_clip_grad_value():
    expected = torch_history(
        lambda t, p: t.optim.SGD(p, lr=LR, momentum=0.9),
        clip=lambda t, p: t.nn.utils.clip_grad_value_(p, 0.3),
    )
    assert_history_close(run(SGD(LR, momentum=0.9, clipvalue=0.3))[0], expected)


def test_global_clipnorm_is_torch_clip_grad_norm_up_to_its_1e6():
    # torch scales by c/(‖g‖ + 1e-6), Keras by min(c/‖g‖, 1): a relative 1e-6 apart.
    expected = torch_history(
        lambda t, p: t.optim.SGD(p, lr=LR), clip=lambda t, p: t.nn.utils.clip_grad_norm_(p, 0.7)
    )
    assert_history_close(run(SGD(LR, global_clipnorm=0.7))[0], expected, rtol=1e-6)
