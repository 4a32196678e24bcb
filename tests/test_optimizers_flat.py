"""Optimizers: the flat step (one update_flat per dtype) equals the per-variable one.

The flat path is checked against the per-variable path of the same rule (a subclass that
writes ``update_step`` gets the per-variable path), which the other optimizer tests check
against Keras's rules and PyTorch.
"""

import numpy as np
import pytest

import convlens as cl
from convlens.optimizers import SGD, Adam, Optimizer, RMSprop
from optimizer_rules import (
    ALGORITHM_OPTIONS,
    BASE_OPTIONS,
    GRADS,
    LR,
    WEIGHTS,
    _id,
    assert_history_close,
    run,
)
from oracle import host

RNG = np.random.default_rng(1)
# A kernel, a bias and a second kernel, in two dtypes interleaved: two flat groups.
MIXED_WEIGHTS = [(RNG.uniform(-1, 1, (2, 3)), np.float32), (RNG.uniform(-1, 1, 3), np.float64)]
MIXED_WEIGHTS.append((RNG.uniform(-1, 1, (4, 1)), np.float32))
MIXED_GRADS = [[RNG.uniform(-2, 2, w.shape) * s for w, _ in MIXED_WEIGHTS] for s in (1, 1.5, 0.05)]


def per_variable(cls):
    """``cls`` with its own ``update_step``: the base class then steps variable by variable."""

    class PerVariable(cls):
        def update_step(self, gradient, variable, learning_rate):
            super().update_step(gradient, variable, learning_rate)

    return PerVariable


def mixed_run(optimizer, steps=MIXED_GRADS):
    variables = [cl.Tensor(w.astype(dtype), requires_grad=True) for w, dtype in MIXED_WEIGHTS]
    history = []
    for grads in steps:
        optimizer.apply(
            [g.astype(v.dtype) for g, v in zip(grads, variables, strict=True)], variables
        )
        history.append([host(v.data).copy() for v in variables])
    return history, variables


def spy(monkeypatch, optimizer, method):
    """Record the shapes of the gradients that ``optimizer.<method>`` receives."""
    calls, original = [], getattr(optimizer, method)

    def recorded(gradient, *args):
        calls.append(gradient.shape)
        original(gradient, *args)

    monkeypatch.setattr(optimizer, method, recorded)
    return calls


@pytest.mark.parametrize("cls, options", ALGORITHM_OPTIONS, ids=_id)
def test_a_full_step_of_a_built_in_optimizer_is_one_flat_update_per_dtype(
    monkeypatch, cls, options
):
    optimizer = cls(LR, **options)
    flat = spy(monkeypatch, optimizer, "update_flat")
    each = spy(monkeypatch, optimizer, "update_step")
    mixed_run(optimizer)
    assert flat == [(6 + 4,), (3,)] * 3 and each == []  # float32 kernels, then float64 bias


def test_a_step_with_a_none_gradient_runs_the_rule_per_variable(monkeypatch):
    optimizer, reference = Adam(LR), Adam(LR)
    _, variables = run(optimizer, steps=GRADS[:1])
    _, expected = run(reference, steps=GRADS[:1])
    flat = spy(monkeypatch, optimizer, "update_flat")
    with pytest.warns(UserWarning, match="gradients do not exist"):
        optimizer.apply([None, GRADS[1][1]], variables)
    reference.apply(GRADS[1], expected)
    assert flat == [(3,)]  # the bias alone; the kernel and its slots are left alone
    np.testing.assert_array_equal(host(variables[1].data), host(expected[1].data))
    np.testing.assert_array_equal(optimizer.get_state()["m/1"], reference.get_state()["m/1"])
    assert not np.array_equal(optimizer.get_state()["m/0"], reference.get_state()["m/0"])


@pytest.mark.parametrize("base", BASE_OPTIONS, ids=_id)
@pytest.mark.parametrize("cls, options", ALGORITHM_OPTIONS, ids=_id)
def test_flat_steps_over_mixed_dtypes_equal_per_variable_steps(cls, options, base):
    flat, flat_variables = mixed_run(cls(LR, **{**options, **base}))
    each, each_variables = mixed_run(per_variable(cls)(LR, **{**options, **base}))
    if "global_clipnorm" in base:  # float32 sums of squares, flat or per variable: rounded apart
        assert_history_close(flat, each, rtol=1e-6, atol=1e-7)
    else:
        assert_history_close(flat, each, rtol=0, atol=0)
    assert [v.dtype for v in flat_variables] == [np.float32, np.float64, np.float32]
    assert [a.dtype for a in flat[-1]] == [v.dtype for v in each_variables]


def test_gradients_of_another_dtype_are_cast_like_the_per_variable_path():
    grads = [[np.asarray(g, dtype=np.float64) for g in step] for step in GRADS]
    flat = run(Adam(LR), steps=grads, dtype=np.float32)
    each = run(per_variable(Adam)(LR), steps=grads, dtype=np.float32)
    assert_history_close(flat[0], each[0], rtol=0, atol=0)
    assert all(v.data.dtype == np.float32 for v in flat[1])


def test_variables_in_another_order_take_the_per_variable_path():
    optimizer, reference = RMSprop(LR, momentum=0.5), RMSprop(LR, momentum=0.5)
    _, variables = run(optimizer, steps=GRADS[:1])
    _, expected = run(reference)
    optimizer.apply(GRADS[1][::-1], variables[::-1])
    optimizer.apply(GRADS[2], variables)
    for got, want in zip(variables, expected, strict=True):
        np.testing.assert_array_equal(host(got.data), host(want.data))


# ----- subclasses that write only update_step, the documented extension point -----
class SignSGD(Optimizer):
    """w ← w − η·sign(g), with a step count per weight in a slot: a per-variable rule."""

    def __init__(self, learning_rate=0.1, **kwargs):
        super().__init__(learning_rate, **kwargs)

    def build(self, variables):
        super().build(variables)
        self.counts = self.add_slot(variables, "count")

    def update_step(self, gradient, variable, learning_rate):
        self.counts[self.slot_index(variable)] += 1
        variable.data -= learning_rate * np.sign(gradient)


def test_a_subclass_with_only_update_step_steps_per_variable():
    history, variables = run(SignSGD(LR, clipvalue=0.5))
    expected = [w.copy() for w in WEIGHTS]
    for grads in GRADS:
        expected = [w - LR * np.sign(g) for w, g in zip(expected, grads, strict=True)]
    assert_history_close(history[-1:], [expected])
    optimizer = SignSGD(LR)
    run(optimizer, steps=GRADS[:2])
    np.testing.assert_array_equal(optimizer.get_state()["count/1"], [2.0, 2.0, 2.0])


def test_a_subclass_that_overrides_update_step_is_not_bypassed(monkeypatch):
    calls = []

    class LoggedSGD(SGD):
        def update_step(self, gradient, variable, learning_rate):
            calls.append(variable.shape)
            super().update_step(gradient, variable, learning_rate)

    history, _ = run(LoggedSGD(LR, momentum=0.9))
    assert calls == [(2, 3), (3,)] * 3
    assert_history_close(history, run(SGD(LR, momentum=0.9))[0], rtol=0, atol=0)


def test_a_subclass_without_a_rule_says_what_to_implement():
    with pytest.raises(NotImplementedError, match="Bare must implement update_step"):
        run(type("Bare", (Optimizer,), {})(LR))


# ----- state: the slots stay views of the flat arrays -----
def test_set_state_writes_into_the_flat_slots():
    original = Adam(LR, amsgrad=True)
    _, variables = mixed_run(original, steps=MIXED_GRADS[:2])
    optimizer = Adam(LR, amsgrad=True)
    resumed = [cl.Tensor(v.data.copy(), requires_grad=True) for v in variables]
    optimizer.build(resumed)
    slots = [*optimizer.m, *optimizer.v_max]
    optimizer.set_state(original.get_state())
    assert all(a is b for a, b in zip([*optimizer.m, *optimizer.v_max], slots, strict=True))
    for group in optimizer._groups:  # and the flat arrays hold what was loaded
        flat = np.concatenate([host(optimizer.m[i]).ravel() for i in group.positions])
        np.testing.assert_array_equal(host(group.slots["m"]), flat)
    original.apply(MIXED_GRADS[2], variables)
    optimizer.apply(MIXED_GRADS[2], resumed)
    for got, want in zip(resumed, variables, strict=True):
        np.testing.assert_array_equal(host(got.data), host(want.data))
