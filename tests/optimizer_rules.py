"""Keras 3's optimizer rules written out in NumPy, the oracle of the optimizer tests.

The references are Keras 3's ``update_step`` methods (keras/src/optimizers/*.py) and
``BaseOptimizer.apply`` (clip, then decoupled weight decay, then the update, then
``iterations += 1``), transcribed line by line into plain float64 NumPy. Never imported by
the package.
"""

import numpy as np

import convlens as cl
from convlens.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

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
        cl.Tensor(w.astype(dtype), requires_grad=True, name=f"dense/{name}")
        for w, name in zip(WEIGHTS, ("kernel", "bias"), strict=True)
    ]
    history = []
    for grads in steps:
        optimizer.apply([g.astype(dtype) for g in grads], variables)
        history.append([np.array(cl.backend.to_numpy(v.data)) for v in variables])
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
