"""Regularizers (values and gradients through autograd) and constraints (Keras's formulas)."""

import json

import numpy as np
import pytest

import convlens as cl
from convlens import constraints, regularizers
from oracle import assert_gradients, host

W = np.random.default_rng(0).standard_normal((5, 4))  # no exact zeros: sign(w) is defined
KERNEL = np.random.default_rng(1).standard_normal((3, 3, 2, 4)).astype(np.float32)


# ----- regularizers -----
@pytest.mark.parametrize(
    "regularizer, l1, l2",
    [
        (regularizers.L1(), 0.01, 0.0),
        (regularizers.L2(), 0.0, 0.01),
        (regularizers.L1(0.3), 0.3, 0.0),
        (regularizers.L2(0.2), 0.0, 0.2),
        (regularizers.L1L2(l1=0.1, l2=0.05), 0.1, 0.05),
        (regularizers.L1L2(), 0.0, 0.0),
    ],
)
def test_penalty_value_and_gradient_match_the_formula(regularizer, l1, l2):
    w = cl.Tensor(W, requires_grad=True)
    penalty = regularizer(w)
    assert penalty.shape == ()
    assert penalty.item() == pytest.approx(l1 * np.abs(W).sum() + l2 * (W**2).sum(), rel=1e-12)
    if l1 or l2:
        penalty.backward()
        np.testing.assert_allclose(host(w.grad), l1 * np.sign(W) + 2 * l2 * W, rtol=1e-12)


@pytest.mark.parametrize(
    "regularizer",
    [
        regularizers.L1L2(0.1, 0.2),
        regularizers.OrthogonalRegularizer(0.5, "rows"),
        regularizers.OrthogonalRegularizer(0.5, "columns"),
    ],
    ids=repr,
)
def test_penalty_gradient_matches_central_differences(regularizer):
    assert_gradients(regularizer, W)


def test_penalty_keeps_dtype_and_accepts_arrays():
    assert regularizers.L2()(W.astype(np.float32)).dtype == np.float32
    assert regularizers.L1L2()(W).dtype == np.float64


def orthogonal_penalty(w, factor, mode):
    """Keras 3's OrthogonalRegularizer, transcribed with NumPy."""
    u = w if mode == "rows" else w.T
    u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-7)
    product = u @ u.T
    n = u.shape[0]
    return factor * 0.5 * np.abs(product * (1 - np.eye(n))).sum() / (n * (n - 1) / 2)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_keras(mode):
    penalty = regularizers.OrthogonalRegularizer(0.3, mode)(W).item()
    assert penalty == pytest.approx(orthogonal_penalty(W, 0.3, mode), rel=1e-12)
    q = np.linalg.qr(W)[0]  # (5, 4), orthonormal columns: no penalty on columns
    assert regularizers.OrthogonalRegularizer(1.0, "columns")(q).item() == pytest.approx(
        0, abs=1e-12
    )


def test_regularizer_bad_arguments_raise():
    with pytest.raises(
        ValueError,
        match=r"Invalid value for argument l2: expected a non-negative "
        r"float, received l2=-0\.1",
    ):
        regularizers.L2(-0.1)
    with pytest.raises(ValueError, match="argument l1"):
        regularizers.L1(float("nan"))
    with pytest.raises(ValueError, match="mode must be 'rows' or 'columns'"):
        regularizers.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ValueError, match=r"needs a 2D weight, received shape \(3, 3, 2, 4\)"):
        regularizers.OrthogonalRegularizer()(KERNEL)


# ----- constraints -----
def apply(constraint, w):
    """``constraint(w)`` on the active backend's copy of ``w``, read back to the host."""
    return host(constraint(cl.backend.xp.asarray(w)))


def norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("w, axis", [(W, 0), (W, 1), (KERNEL, (0, 1, 2)), (KERNEL, [0, 1, 2])])
def test_max_norm(w, axis):
    out = apply(constraints.MaxNorm(max_value=1.5, axis=axis), w)
    n = norms(w, tuple(axis) if isinstance(axis, list) else axis)
    expected = w * (np.clip(n, 0, 1.5) / (1e-7 + n))  # Keras's formula
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == w.dtype and out.shape == w.shape
    after = norms(out, tuple(axis) if isinstance(axis, list) else axis)
    assert (after <= 1.5 + 1e-6).all()
    small = n < 1.5  # slices already inside are (almost) untouched
    np.testing.assert_allclose(
        np.broadcast_to(small, w.shape) * out, np.broadcast_to(small, w.shape) * w, rtol=1e-6
    )


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_min_max_norm(rate):
    out = apply(constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=rate, axis=0), W)
    n = norms(W, 0)
    desired = rate * np.clip(n, 1.0, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(out, W * desired / (1e-7 + n), rtol=1e-12)
    if rate == 1.0:
        assert ((norms(out, 0) >= 1.0 - 1e-6) & (norms(out, 0) <= 2.0 + 1e-6)).all()


def test_unit_norm_and_non_neg():
    out = apply(constraints.UnitNorm(axis=1), W)
    np.testing.assert_allclose(out, W / (1e-7 + norms(W, 1)), rtol=1e-12)
    np.testing.assert_allclose(norms(out, 1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(apply(constraints.NonNeg(), W), np.maximum(W, 0))
    zero = np.zeros((3, 2), np.float32)  # epsilon: a zero column stays zero, no NaN
    np.testing.assert_array_equal(apply(constraints.UnitNorm(), zero), zero)
    assert apply(constraints.NonNeg(), KERNEL).dtype == np.float32


def test_constraint_keras_defaults():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.NonNeg().get_config() == {}
    with pytest.raises(ValueError, match="min_value"):
        constraints.MinMaxNorm(min_value=2.0, max_value=1.0)


# ----- registries -----
@pytest.mark.parametrize(
    "module, name, cls",
    [
        (regularizers, "l1", regularizers.L1),
        (regularizers, "l2", regularizers.L2),
        (regularizers, "l1_l2", regularizers.L1L2),
        (regularizers, "L1L2", regularizers.L1L2),
        (regularizers, "orthogonal_regularizer", regularizers.OrthogonalRegularizer),
        (constraints, "max_norm", constraints.MaxNorm),
        (constraints, "MaxNorm", constraints.MaxNorm),
        (constraints, "min_max_norm", constraints.MinMaxNorm),
        (constraints, "non_neg", constraints.NonNeg),
        (constraints, "unit_norm", constraints.UnitNorm),
    ],
)
def test_names(module, name, cls):
    assert type(module.get(name)) is cls


def test_get_passes_through_none_objects_and_callables():
    for module, obj in [(regularizers, regularizers.L2(0.5)), (constraints, constraints.NonNeg())]:
        assert module.get(None) is None
        assert module.get(obj) is obj
        assert module.get(abs) is abs


@pytest.mark.parametrize(
    "module, kind, name, listing",
    [
        (regularizers, "regularizer", "l3", "l1, l1_l2, l2, orthogonal_regularizer"),
        (constraints, "constraint", "nonneg", "max_norm, min_max_norm, non_neg, unit_norm"),
    ],
)
def test_unknown_name_lists_the_accepted_ones(module, kind, name, listing):
    with pytest.raises(ValueError, match=f"Unknown {kind} '{name}'. Accepted names: {listing}."):
        module.get(name)


@pytest.mark.parametrize(
    "obj",
    [
        regularizers.L1(0.2),
        regularizers.L2(0.3),
        regularizers.L1L2(0.1, 0.4),
        regularizers.OrthogonalRegularizer(0.2, "columns"),
        constraints.MaxNorm(3.0, axis=[0, 1, 2]),
        constraints.MinMaxNorm(0.5, 1.5, 0.8, axis=1),
        constraints.NonNeg(),
        constraints.UnitNorm(-1),
    ],
    ids=repr,
)
def test_config_and_json_round_trips(obj):
    module = regularizers if isinstance(obj, regularizers.Regularizer) else constraints
    assert type(obj).from_config(obj.get_config()).get_config() == obj.get_config()
    loaded = module.deserialize(json.loads(json.dumps(module.serialize(obj))))
    assert type(loaded) is type(obj) and loaded.get_config() == obj.get_config()
    assert type(module.get(module.serialize(obj))) is type(obj)
    w = W if module is regularizers else KERNEL
    if module is regularizers:
        np.testing.assert_array_equal(cl.Tensor(loaded(w)).numpy(), cl.Tensor(obj(w)).numpy())
    else:
        np.testing.assert_array_equal(apply(loaded, w), apply(obj, w))
