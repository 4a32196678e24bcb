"""Optimizers: three steps against Keras 3's rules written out in NumPy, and against PyTorch.

The references below are Keras 3's ``update_step`` methods (keras/src/optimizers/*.py) and
``BaseOptimizer.apply`` (clip, then decoupled weight decay, then the update, then
``iterations += 1``), transcribed line by line into plain float64 NumPy.
"""

import json
import warnings

import numpy as np
import pytest

import convnet as cn
from convnet import optimizers
from convnet.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, schedules

RNG = np.random.default_rng(0)
WEIGHTS = [RNG.uniform(-1, 1, (2, 3)), RNG.uniform(-1, 1, (3,))]  # a kernel and a bias
# Three steps of gradients; the last is small, so that Adam's v shrinks somewhere (AMSGrad acts).
GRADS = [[RNG.uniform(-2, 2, w.shape) * scale for w in WEIGHTS] for scale in (1.0, 1.5, 0.05)]
LR = 0.1


# ----- Keras 3's rules, one step of one variable: (w, g, lr, t, slots) -> new w -----
def sgd_rule(momentum=0.0, nesterov=False):
    def step(w, g, lr, t, s):
        if momentum == 0:
            return w - lr * g
        s["m"] = momentum * s.get("m", 0.0) - lr * g  # m = m*momentum - g*lr
        if nesterov:
            return w + momentum * s["m"] - lr * g
        return w + s["m"]

    return step


def adagrad_rule(initial_accumulator_value=0.1, epsilon=1e-7):
    def step(w, g, lr, t, s):
        s["acc"] = s.get("acc", initial_accumulator_value) + g**2
        return w - lr * g / np.sqrt(s["acc"] + epsilon)  # epsilon inside the root

    return step


def rmsprop_rule(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def step(w, g, lr, t, s):
        s["vel"] = rho * s.get("vel", 0.0) + (1 - rho) * g**2
        if centered:
            s["avg"] = rho * s.get("avg", 0.0) + (1 - rho) * g
            denominator = s["vel"] - s["avg"] ** 2 + epsilon
        else:
            denominator = s["vel"] + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            s["mom"] = momentum * s.get("mom", 0.0) + increment
            return w - s["mom"]
        return w - increment

    return step


def adam_rule(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def step(w, g, lr, t, s):
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["v"] = s.get("v", 0.0) + (g**2 - s.get("v", 0.0)) * (1 - beta_2)
        v = s["v"]
        if amsgrad:
            s["v_hat"] = v = np.maximum(s.get("v_hat", 0.0), s["v"])
        return w - s["m"] * alpha / (np.sqrt(v) + epsilon)

    return step


RULES = {
    SGD: sgd_rule,
    Adagrad: adagrad_rule,
    RMSprop: rmsprop_rule,
    Adam: adam_rule,
    AdamW: adam_rule,
}


def keras_clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    if clipnorm:
        return [g * clipnorm / max(np.sqrt((g**2).sum()), clipnorm) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum((g**2).sum() for g in grads))
        return [g * global_clipnorm * min(1 / norm, 1 / global_clipnorm) for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def reference(rule, steps, learning_rate=LR, weight_decay=None, **clipping):
    """Keras's apply(), three times: clip, w -= w*wd*lr, update_step, iterations += 1."""
    weights, slots, history = [w.copy() for w in WEIGHTS], [{} for _ in WEIGHTS], []
    for iterations, grads in enumerate(steps):
        lr = learning_rate(iterations) if callable(learning_rate) else learning_rate
        grads = keras_clip(grads, **clipping)
        if weight_decay is not None:
            weights = [w - w * weight_decay * lr for w in weights]
        weights = [
            rule(w, g, lr, iterations + 1, s) for w, g, s in zip(weights, grads, slots, strict=True)
        ]
        history.append(weights)
    return history


def run(optimizer, steps=GRADS, dtype=np.float64):
    variables = [
        cn.Tensor(w.astype(dtype), requires_grad=True, name=f"dense/{name}")
        for w, name in zip(WEIGHTS, ("kernel", "bias"), strict=True)
    ]
    history = []
    for grads in steps:
        optimizer.apply([g.astype(dtype) for g in grads], variables)
        history.append([v.data.copy() for v in variables])
    return history, variables


def assert_history_close(ours, expected, rtol=1e-12, atol=1e-15):
    for step, (got, want) in enumerate(zip(ours, expected, strict=True)):
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"step {step}, var {i}")


ALGORITHM_OPTIONS = [
    (SGD, {}),
    (SGD, {"momentum": 0.9}),
    (SGD, {"momentum": 0.9, "nesterov": True}),
    (Adagrad, {}),
    (Adagrad, {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    (RMSprop, {}),
    (RMSprop, {"momentum": 0.5}),
    (RMSprop, {"centered": True}),
    (RMSprop, {"centered": True, "momentum": 0.5, "rho": 0.8, "epsilon": 1e-3}),
    (Adam, {}),
    (Adam, {"beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-3}),
    (Adam, {"amsgrad": True, "beta_2": 0.5}),
    (AdamW, {}),
    (AdamW, {"amsgrad": True, "beta_2": 0.5, "weight_decay": 0.3}),
]
BASE_OPTIONS = [
    {},
    {"weight_decay": 0.1},
    {"clipnorm": 0.5},
    {"clipvalue": 0.3},
    {"global_clipnorm": 0.7},
]


def _id(value):
    return value.__name__ if isinstance(value, type) else ",".join(map(str, value.items())) or "-"


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


# ----- dtypes, in place, None gradients -----
@pytest.mark.parametrize(
    "cls, options",
    [
        (SGD, {"momentum": 0.9, "nesterov": True}),
        (Adagrad, {}),
        (RMSprop, {"centered": True, "momentum": 0.5}),
        (Adam, {"amsgrad": True}),
        (AdamW, {}),
    ],
)
def test_float32_variables_and_slots_stay_float32(cls, options):
    optimizer = cls(LR, clipnorm=1.0, **options)
    ours, variables = run(optimizer, dtype=np.float32)
    assert all(v.data.dtype == np.float32 for v in variables)
    assert all(a.dtype == np.float32 for a in optimizer.get_state().values() if a.ndim)
    assert_history_close(ours, run(cls(LR, clipnorm=1.0, **options))[0], rtol=2e-5, atol=1e-6)


def test_variables_are_updated_in_place_and_gradients_left_alone():
    w = cn.Tensor(WEIGHTS[0].copy(), requires_grad=True)
    data, grad = w.data, GRADS[0][0].copy()
    Adam(LR, clipvalue=0.1).apply([grad], [w])
    assert w.data is data
    np.testing.assert_array_equal(grad, GRADS[0][0])


def test_apply_gradients_and_tensor_gradients_equal_apply():
    a, b = run(RMSprop(LR, momentum=0.5))[1], run(RMSprop(LR, momentum=0.5))[1]
    optimizer_a, optimizer_b = RMSprop(LR), RMSprop(LR)
    optimizer_a.apply([cn.Tensor(g) for g in GRADS[0]], a)
    optimizer_b.apply_gradients(zip(GRADS[0], b, strict=True))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.data, y.data)


def test_none_gradient_skips_its_variable_and_its_decay():
    variables = [
        cn.Tensor(w.copy(), requires_grad=True, name=n) for w, n in zip(WEIGHTS, "ab", strict=True)
    ]
    optimizer = Adam(LR, weight_decay=0.5)
    with pytest.warns(UserWarning, match=r"gradients do not exist for variables \['b'\]"):
        optimizer.apply([GRADS[0][0], None], variables)
    np.testing.assert_array_equal(variables[1].data, WEIGHTS[1])
    assert optimizer.iterations == 1 and not optimizer.get_state()["m/1"].any()
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        optimizer.apply([None, None], variables)
    optimizer.apply([], [])  # nothing to do, as Keras
    assert optimizer.iterations == 1


def test_exclude_from_weight_decay_by_name_and_object():
    optimizer = AdamW(LR, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    expected = reference(adam_rule(), GRADS)  # no decay at all ...
    decayed = reference(adam_rule(), GRADS, weight_decay=0.5)
    ours = run(optimizer)[0]
    np.testing.assert_allclose(ours[-1][1], expected[-1][1], rtol=1e-12)  # ... for the bias
    np.testing.assert_allclose(ours[-1][0], decayed[-1][0], rtol=1e-12)
    with pytest.raises(ValueError, match="before the first step"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])
    w = cn.Tensor(WEIGHTS[0].copy(), requires_grad=True)
    optimizer = SGD(LR, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[w])
    optimizer.apply([GRADS[0][0]], [w])
    np.testing.assert_allclose(w.data, WEIGHTS[0] - LR * GRADS[0][0], rtol=1e-12)


def test_learning_rate_property_and_setter():
    optimizer = SGD(0.5)
    optimizer.learning_rate = 0.25
    assert optimizer.learning_rate == 0.25 and optimizer.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="learning_rate must be >= 0.0"):
        optimizer.learning_rate = -1.0
    scheduled = SGD(schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable to a float"):
        scheduled.learning_rate = 0.1
    scheduled.learning_rate = schedules.CosineDecay(0.2, 10)
    assert scheduled.learning_rate == 0.2


# ----- config and state -----
@pytest.mark.parametrize("cls, options", ALGORITHM_OPTIONS, ids=_id)
def test_config_round_trip_gives_identical_updates(cls, options):
    optimizer = cls(learning_rate=schedules.InverseTimeDecay(0.1, 1, 0.5), clipnorm=2.0, **options)
    config = json.loads(json.dumps(optimizers.serialize(optimizer)))
    assert config["config"]["learning_rate"]["class_name"] == "InverseTimeDecay"
    rebuilt = optimizers.deserialize(config)
    assert type(rebuilt) is cls and rebuilt.get_config() == optimizer.get_config()
    assert_history_close(run(rebuilt)[0], run(optimizer)[0], rtol=0, atol=0)


@pytest.mark.parametrize("cls, options", ALGORITHM_OPTIONS, ids=_id)
def test_state_round_trip_continues_like_an_uninterrupted_run(cls, options):
    uninterrupted = run(cls(LR, **options))[0]
    original = cls(LR, **options)
    _, variables = run(original, steps=GRADS[:2])
    state = original.get_state()
    assert state["iterations"] == 2 and all(isinstance(a, np.ndarray) for a in state.values())
    optimizer = cls.from_config(original.get_config())
    resumed = [cn.Tensor(v.data.copy(), requires_grad=True) for v in variables]
    optimizer.build(resumed)
    optimizer.set_state(state)
    optimizer.apply(GRADS[2], resumed)
    for got, want in zip(resumed, uninterrupted[2], strict=True):
        np.testing.assert_array_equal(got.data, want)


def test_state_names_are_stable():
    optimizer = Adam(LR, amsgrad=True)
    run(optimizer)
    assert (
        list(optimizer.get_state())
        == "iterations learning_rate m/0 m/1 v/0 v/1 v_max/0 v_max/1".split()
    )
    optimizer = RMSprop(schedules.CosineDecay(0.1, 5), momentum=0.1, centered=True)
    assert list(optimizer.get_state()) == ["iterations"]  # not built; a schedule is config
    run(optimizer)
    names = "iterations mean_square/0 mean_square/1 momentum/0 momentum/1 mean_gradient/0"
    assert list(optimizer.get_state()) == [*names.split(), "mean_gradient/1"]


def test_set_state_rejects_what_does_not_fit():
    optimizer = Adam(LR)
    with pytest.raises(ValueError, match=r"call build\(variables\) before set_state"):
        optimizer.set_state({})
    run(optimizer)
    state = optimizer.get_state()
    bad = {**state, "m/0": np.zeros((3, 2))}
    with pytest.raises(ValueError, match=r"slot 'm/0' has shape \(3, 2\).*shape \(2, 3\)"):
        optimizer.set_state(bad)
    np.testing.assert_array_equal(optimizer.get_state()["v/0"], state["v/0"])  # unchanged
    missing = {k: v for k, v in state.items() if k != "v/1"}
    with pytest.raises(ValueError, match=r"missing slots \['v/1'\], unexpected slots \[\]"):
        optimizer.set_state(missing)
    with pytest.raises(ValueError, match=r"unexpected slots \['momentum/0'\]"):
        optimizer.set_state({**state, "momentum/0": np.zeros((2, 3))})


# What Keras 3 writes for Adam(learning_rate=ExponentialDecay(0.01, 100, 0.9)).get_config().
KERAS_ADAM = """{"module": "keras.optimizers", "class_name": "Adam", "registered_name": null,
 "config": {"name": "adam", "learning_rate": {"module": "keras.optimizers.schedules",
   "class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.01,
   "decay_steps": 100, "decay_rate": 0.9, "staircase": false, "name": "ExponentialDecay"},
   "registered_name": null}, "weight_decay": null, "clipnorm": null, "global_clipnorm": null,
  "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
  "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9,
  "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}}"""


def test_reads_a_keras_3_config():
    keras_config = json.loads(KERAS_ADAM)
    optimizer = optimizers.deserialize(keras_config)
    assert isinstance(optimizer, Adam) and optimizer.learning_rate == 0.01
    keras_config["config"]["use_ema"] = True
    with pytest.raises(ValueError, match="'use_ema' is not supported"):
        optimizers.deserialize(keras_config)


# ----- the registry -----
@pytest.mark.parametrize(
    "name, cls",
    [("adam", Adam), ("SGD", SGD), ("RMSprop", RMSprop), ("adagrad", Adagrad), ("AdamW", AdamW)],
)
def test_get_by_name_any_case(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_accepts_instances_classes_and_dicts():
    adam = Adam(0.5)
    assert optimizers.get(adam) is adam
    assert type(optimizers.get(SGD)) is SGD
    rebuilt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3}})
    assert rebuilt.learning_rate == 0.3


def test_unknown_names_list_the_accepted_ones():
    with pytest.raises(
        ValueError,
        match="Unknown optimizer 'adamm'.*adagrad, adam, adamw, rmsprop, sgd.*Did you mean 'adam'",
    ):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Unknown optimizer 'Nadam'"):
        optimizers.deserialize({"class_name": "Nadam", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier 3"):
        optimizers.get(3)


# ----- bad input -----
@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: SGD(-0.1),
            ValueError,
            "SGD: learning_rate must be >= 0.0, received learning_rate=-0.1",
        ),
        (lambda: SGD("fast"), TypeError, "learning_rate must be a float or a LearningRateSchedule"),
        (lambda: SGD(momentum=1.5), ValueError, r"SGD: momentum must be in \[0.0, 1.0\]"),
        (lambda: SGD(momentum=-0.1), ValueError, "momentum must be in"),
        (lambda: RMSprop(rho=1.0), ValueError, r"RMSprop: rho must be in \[0.0, 1.0\)"),
        (lambda: RMSprop(epsilon=0), ValueError, "RMSprop: epsilon must be > 0"),
        (lambda: Adagrad(epsilon=-1e-7), ValueError, "Adagrad: epsilon must be > 0"),
        (lambda: Adagrad(initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
        (lambda: Adam(beta_1=1.0), ValueError, r"Adam: beta_1 must be in \[0.0, 1.0\)"),
        (lambda: Adam(beta_2=float("nan")), ValueError, "beta_2 must be a number"),
        (lambda: AdamW(weight_decay=None), ValueError, "AdamW: weight_decay must be a float"),
        (lambda: Adam(weight_decay=-0.1), ValueError, "weight_decay must be >= 0.0"),
        (lambda: Adam(clipnorm=0), ValueError, "clipnorm must be > 0"),
        (
            lambda: Adam(clipnorm=1.0, clipvalue=1.0),
            ValueError,
            "set only one of clipnorm, clipvalue and global_clipnorm",
        ),
    ],
)
def test_bad_hyperparameters_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_gradients_and_variables_raise():
    w = cn.Tensor(WEIGHTS[0].copy(), requires_grad=True, name="dense/kernel")
    optimizer = SGD()
    with pytest.raises(
        ValueError,
        match=r"gradient of shape \(3, 2\) does not match variable "
        r"'dense/kernel' of shape \(2, 3\)",
    ):
        optimizer.apply([np.zeros((3, 2))], [w])
    with pytest.raises(ValueError, match="received 2 gradients for 1 variables"):
        optimizer.apply([GRADS[0][0], GRADS[0][0]], [w])
    with pytest.raises(ValueError, match="unknown variable 'other'"):
        optimizer.apply([GRADS[0][0]], [cn.Tensor(WEIGHTS[0], requires_grad=True, name="other")])
    with pytest.raises(ValueError, match="pass the variables on the first call"):
        SGD().apply([GRADS[0][0]])
    with pytest.raises(TypeError, match="can only optimize floating Tensors"):
        SGD().build([np.zeros(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.apply([GRADS[0][0]])  # built: the variables may be omitted
