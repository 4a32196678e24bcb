"""Nadam, Adamax, Adadelta, Lion and Ftrl (issue 12, item 7) against the real Keras 3 on JAX:
the weights after each of several steps on a fixed quadratic, in float32, from Keras's defaults
and from other arguments; their names, defaults, configs and argument errors."""

from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest

import convlens as cl
from convlens import optimizers
from keras_oracle import real_keras

RNG = np.random.default_rng(7)
START = [RNG.uniform(-1, 1, (3, 2)).astype(np.float32), RNG.uniform(-1, 1, (2,)).astype(np.float32)]
TARGET = [RNG.uniform(-1, 1, w.shape).astype(np.float32) for w in START]
SCALE = [np.float32(3.0), np.float32(0.5)]  # loss = Σ scale·(w − target)²: different curvatures
STEPS = 6

CASES = [
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-3}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.03, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.1}),
    ("Ftrl", {}),
    (
        "Ftrl",
        {
            "learning_rate": 0.2,
            "learning_rate_power": -0.7,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.02,
            "beta": 0.3,
        },
    ),
    ("Nadam", {"learning_rate": 0.05, "clipnorm": 0.5, "weight_decay": 0.01}),
]


def gradients(weights):
    """The gradient of the quadratic at ``weights``, in float32: 2·scale·(w − target)."""
    return [
        (2 * s * (np.asarray(w) - t)).astype(np.float32) for w, t, s in zip(weights, TARGET, SCALE)
    ]


def keras_trajectory(keras, name, kwargs):
    optimizer = getattr(keras.optimizers, name)(**kwargs)
    variables = [keras.Variable(w.copy()) for w in START]
    trajectory = []
    for _ in range(STEPS):
        grads = gradients([v.numpy() for v in variables])
        optimizer.apply(grads, variables)
        trajectory.append([v.numpy().copy() for v in variables])
    return trajectory


def our_trajectory(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    variables = [cl.Tensor(w.copy(), requires_grad=True) for w in START]
    trajectory = []
    for _ in range(STEPS):
        optimizer.apply(gradients([v.data for v in variables]), variables)
        trajectory.append([v.data.copy() for v in variables])
    return trajectory


@pytest.mark.parametrize("name, kwargs", CASES)
def test_trajectory_equals_keras(name, kwargs):
    keras = real_keras()
    expected, got = keras_trajectory(keras, name, kwargs), our_trajectory(name, kwargs)
    for step, (theirs, ours) in enumerate(zip(expected, got, strict=True)):
        for w_theirs, w_ours in zip(theirs, ours, strict=True):
            assert w_ours.dtype == np.float32
            np.testing.assert_allclose(
                w_ours, w_theirs, rtol=1e-5, atol=1e-6, err_msg=f"{name} step {step + 1}"
            )


def test_nadam_after_set_state_continues_like_an_uninterrupted_run():
    whole = our_trajectory("Nadam", {"learning_rate": 0.05})
    first = optimizers.Nadam(learning_rate=0.05)
    variables = [cl.Tensor(w.copy(), requires_grad=True) for w in START]
    for _ in range(3):
        first.apply(gradients([v.data for v in variables]), variables)
    resumed = optimizers.Nadam(learning_rate=0.05)
    copies = [cl.Tensor(v.data.copy(), requires_grad=True) for v in variables]
    resumed.build(copies)
    resumed.set_state(first.get_state())  # the momentum product follows from iterations
    for step in range(3, STEPS):
        resumed.apply(gradients([v.data for v in copies]), copies)
        for w, expected in zip(copies, whole[step], strict=True):
            np.testing.assert_allclose(w.data, expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["Nadam", "Adamax", "Adadelta", "Lion", "Ftrl"])
def test_defaults_names_and_config_match_keras(name):
    keras = real_keras()
    theirs = getattr(keras.optimizers, name)()
    ours = optimizers.get(name.lower())
    assert type(ours) is getattr(optimizers, name) and ours.name == re.sub(
        r"_\d+$", "", theirs.name
    )
    their_config, our_config = theirs.get_config(), ours.get_config()
    their_config["name"] = re.sub(r"_\d+$", "", their_config["name"])  # Keras numbers names
    for key, value in our_config.items():
        assert key in their_config, f"{name}: {key} is not a Keras argument"
        if isinstance(value, float):
            assert value == pytest.approx(float(their_config[key]), rel=1e-6), key
        else:
            assert value == their_config[key], key
    signature = inspect.signature(getattr(optimizers, name))
    for parameter in inspect.signature(getattr(keras.optimizers, name)).parameters.values():
        if parameter.name in signature.parameters:
            ours_default = signature.parameters[parameter.name].default
            assert ours_default == parameter.default or parameter.name == "name", parameter.name
    rebuilt = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(ours))))
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == our_config
    # A Keras 3 config is read too.
    keras_config = keras.optimizers.serialize(theirs)
    from_keras = optimizers.deserialize(json.loads(json.dumps(keras_config))).get_config()
    assert set(from_keras) == set(our_config)
    for key, value in our_config.items():
        if key != "name":
            assert from_keras[key] == (pytest.approx(value, rel=1e-6) if value else value), key


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: optimizers.Nadam(beta_1=1.0),
            r"Nadam: beta_1 must be a finite number in \[0.0, 1.0\)",
        ),
        (lambda: optimizers.Adamax(epsilon=0.0), r"Adamax: epsilon must be a finite number > 0"),
        (lambda: optimizers.Adadelta(rho=-0.1), r"Adadelta: rho must be a finite number in"),
        (lambda: optimizers.Lion(beta_1=0.0), r"Lion: beta_1 must be a finite number in \(0, 1\]"),
        (lambda: optimizers.Lion(beta_2=1.5), r"Lion: beta_2 must be a finite number in"),
        (lambda: optimizers.Ftrl(learning_rate_power=0.5), r"learning_rate_power must be <= 0"),
        (
            lambda: optimizers.Ftrl(l1_regularization_strength=-1.0),
            r"l1_regularization_strength must be a finite number >= 0",
        ),
        (lambda: optimizers.get("nadamw"), r"Unknown optimizer 'nadamw'.*Did you mean 'nadam'"),
    ],
)
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_new_optimizers_train_a_model():
    x = RNG.normal(size=(32, 3)).astype(np.float32)
    y = x @ RNG.normal(size=(3, 1)).astype(np.float32)
    for name in ["nadam", "adamax", "adadelta", "lion", "ftrl"]:
        model = cl.models.Sequential([cl.layers.Input((3,)), cl.layers.Dense(1)])
        model.compile(optimizer=name, loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
        assert np.all(np.isfinite(history.history["loss"])), name
