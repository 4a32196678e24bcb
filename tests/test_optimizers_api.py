"""Optimizers: dtypes, in-place updates, None gradients, config and state, registry, errors."""

import json
import warnings

import numpy as np
import pytest

import convlens as cl
from convlens import optimizers
from convlens.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, schedules
from optimizer_rules import (
    ALGORITHM_OPTIONS,
    GRADS,
    LR,
    WEIGHTS,
    _id,
    adam_rule,
    assert_history_close,
    reference,
    run,
)
from oracle import host


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
    w = cl.Tensor(WEIGHTS[0].copy(), requires_grad=True)
    data, grad = w.data, GRADS[0][0].copy()
    Adam(LR, clipvalue=0.1).apply([grad], [w])
    assert w.data is data
    np.testing.assert_array_equal(grad, GRADS[0][0])


def test_apply_gradients_and_tensor_gradients_equal_apply():
    a, b = run(RMSprop(LR, momentum=0.5))[1], run(RMSprop(LR, momentum=0.5))[1]
    optimizer_a, optimizer_b = RMSprop(LR), RMSprop(LR)
    optimizer_a.apply([cl.Tensor(g) for g in GRADS[0]], a)
    optimizer_b.apply_gradients(zip(GRADS[0], b, strict=True))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(host(x.data), host(y.data))


def test_none_gradient_skips_its_variable_and_its_decay():
    variables = [
        cl.Tensor(w.copy(), requires_grad=True, name=n) for w, n in zip(WEIGHTS, "ab", strict=True)
    ]
    optimizer = Adam(LR, weight_decay=0.5)
    with pytest.warns(UserWarning, match=r"gradients do not exist for variables \['b'\]"):
        optimizer.apply([GRADS[0][0], None], variables)
    np.testing.assert_array_equal(host(variables[1].data), WEIGHTS[1])
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
    w = cl.Tensor(WEIGHTS[0].copy(), requires_grad=True)
    optimizer = SGD(LR, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[w])
    optimizer.apply([GRADS[0][0]], [w])
    np.testing.assert_allclose(host(w.data), WEIGHTS[0] - LR * GRADS[0][0], rtol=1e-12)


def test_learning_rate_property_and_setter():
    optimizer = SGD(0.5)
    optimizer.learning_rate = 0.25
    assert optimizer.learning_rate == 0.25 and optimizer.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0.0"):
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
    resumed = [cl.Tensor(v.data.copy(), requires_grad=True) for v in variables]
    optimizer.build(resumed)
    optimizer.set_state(state)
    optimizer.apply(GRADS[2], resumed)
    for got, want in zip(resumed, uninterrupted[2], strict=True):
        np.testing.assert_array_equal(host(got.data), want)


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
        match="Unknown optimizer 'adamm'.*adagrad, adam, adamax, adamw, ftrl, lion, nadam, "
        "rmsprop, sgd.*Did you mean 'adam'",
    ):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Unknown optimizer 'Muon'"):
        optimizers.deserialize({"class_name": "Muon", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier 3"):
        optimizers.get(3)


# ----- bad input -----
@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: SGD(-0.1),
            ValueError,
            "SGD: learning_rate must be a finite number >= 0.0, received -0.1",
        ),
        (lambda: SGD("fast"), TypeError, "learning_rate must be a float or a LearningRateSchedule"),
        (
            lambda: SGD(momentum=1.5),
            ValueError,
            r"SGD: momentum must be a finite number in \[0.0, 1.0\]",
        ),
        (lambda: SGD(momentum=-0.1), ValueError, "momentum must be a finite number in"),
        (
            lambda: RMSprop(rho=1.0),
            ValueError,
            r"RMSprop: rho must be a finite number in \[0.0, 1.0\)",
        ),
        (lambda: RMSprop(epsilon=0), ValueError, "RMSprop: epsilon must be a finite number > 0"),
        (
            lambda: Adagrad(epsilon=-1e-7),
            ValueError,
            "Adagrad: epsilon must be a finite number > 0",
        ),
        (lambda: Adagrad(initial_accumulator_value=-1), ValueError, "initial_accumulator_value"),
        (
            lambda: Adam(beta_1=1.0),
            ValueError,
            r"Adam: beta_1 must be a finite number in \[0.0, 1.0\)",
        ),
        (lambda: Adam(beta_2=float("nan")), ValueError, "beta_2 must be a finite number"),
        (lambda: AdamW(weight_decay=None), ValueError, "AdamW: weight_decay must be a float"),
        (
            lambda: Adam(weight_decay=-0.1),
            ValueError,
            "weight_decay must be a finite number >= 0.0",
        ),
        (lambda: Adam(clipnorm=0), ValueError, "clipnorm must be a finite number > 0"),
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
    w = cl.Tensor(WEIGHTS[0].copy(), requires_grad=True, name="dense/kernel")
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
        optimizer.apply([GRADS[0][0]], [cl.Tensor(WEIGHTS[0], requires_grad=True, name="other")])
    with pytest.raises(ValueError, match="pass the variables on the first call"):
        SGD().apply([GRADS[0][0]])
    with pytest.raises(TypeError, match="can only optimize floating Tensors"):
        SGD().build([np.zeros(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.apply([GRADS[0][0]])  # built: the variables may be omitted
