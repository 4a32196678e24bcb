"""Elementwise, reduction, shape and matmul ops against NumPy and central differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, broadcastable_shapes

import convlens as cl
from convlens import ops
from oracle import assert_gradients, check_op, host


def rng_for(shape):
    """A generator seeded by the shape, so each hypothesis example reproduces exactly."""
    return np.random.default_rng(abs(hash(tuple(shape))) % 2**32)


def positive(shape):
    return rng_for(shape).uniform(0.5, 2.0, shape)


def signed(shape):
    # bounded away from 0, so |x|, max and clip are differentiable at every sample
    rng = rng_for(shape)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


@st.composite
def two_broadcastable(draw):
    shape = draw(array_shapes(min_dims=0, max_dims=3, max_side=4))
    other = draw(broadcastable_shapes(shape, min_dims=0, max_dims=3, max_side=4))
    return (shape, other) if draw(st.booleans()) else (other, shape)


BINARY = {
    "add": (ops.add, np.add, signed),
    "subtract": (ops.subtract, np.subtract, signed),
    "multiply": (ops.multiply, np.multiply, signed),
    "divide": (ops.divide, np.divide, positive),
    "power": (ops.power, np.power, positive),
    "maximum": (ops.maximum, np.maximum, signed),
    "minimum": (ops.minimum, np.minimum, signed),
}


@pytest.mark.parametrize("name", BINARY)
@given(shapes=two_broadcastable())
def test_binary_ops_broadcast_like_numpy(name, shapes):
    ours, oracle, sample = BINARY[name]
    check_op(ours, oracle, sample(shapes[0]), sample(shapes[1]))


UNARY = {
    "negative": (ops.negative, np.negative, signed),
    "exp": (ops.exp, np.exp, signed),
    "log": (ops.log, np.log, positive),
    "sqrt": (ops.sqrt, np.sqrt, positive),
    "abs": (ops.abs, np.abs, signed),
}


@pytest.mark.parametrize("name", UNARY)
@given(shape=array_shapes(min_dims=0, max_dims=4, max_side=4))
def test_unary_ops_match_numpy(name, shape):
    ours, oracle, sample = UNARY[name]
    check_op(ours, oracle, sample(shape))


def test_clip_passes_the_gradient_only_inside():
    x = np.array([-2.0, -0.5, 0.3, 1.7])
    check_op(lambda t: ops.clip(t, -1.0, 1.0), lambda a: np.clip(a, -1, 1), x)
    t = cl.Tensor(x, requires_grad=True)
    ops.clip(t, -1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(host(t.grad), [0, 1, 1, 0])


def test_clip_rejects_an_empty_range():
    with pytest.raises(ValueError, match=r"low \(2.0\) must not exceed high \(1.0\)"):
        ops.clip(np.ones(2), 2.0, 1.0)


def test_where_routes_each_gradient_to_its_branch():
    cond = np.array([True, False, True])
    check_op(
        lambda a, b: ops.where(cond, a, b),
        lambda a, b: np.where(cond, a, b),
        signed((3,)),
        signed((1,)),
    )


def test_maximum_splits_a_tie_in_half():
    a, b = cl.Tensor([1.0, 2.0], requires_grad=True), cl.Tensor([1.0, 1.0], requires_grad=True)
    ops.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(host(a.grad), [0.5, 1.0])
    np.testing.assert_array_equal(host(b.grad), [0.5, 0.0])


def test_power_differentiates_the_exponent_too():
    check_op(ops.power, np.power, positive((3, 2)), signed((3, 2)))


REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "var": (ops.var, np.var),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(shape=array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_reductions_over_any_axes(name, shape, data):
    ours, oracle = REDUCTIONS[name]
    axis = data.draw(
        st.none()
        | st.lists(
            st.integers(-len(shape), len(shape) - 1),
            min_size=1,
            max_size=len(shape),
            unique_by=lambda a: a % len(shape),
        )
    )
    axis = tuple(axis) if axis is not None else None
    keepdims = data.draw(st.booleans())
    x = (
        rng_for(shape).permutation(np.arange(np.prod(shape), dtype=float)).reshape(shape) / 7
    )  # no ties
    check_op(
        lambda t: ours(t, axis=axis, keepdims=keepdims),
        lambda a: oracle(a, axis=axis, keepdims=keepdims),
        x,
    )


def test_max_shares_the_gradient_between_ties():
    x = cl.Tensor([[3.0, 1.0, 3.0]], requires_grad=True)
    ops.max(x).backward()
    np.testing.assert_array_equal(host(x.grad), [[0.5, 0.0, 0.5]])


def test_reductions_reject_bad_axes():
    bad_axis = r"sum: axis must be in \[-2, 1\] for a tensor of rank 2, received 3"
    with pytest.raises(ValueError, match=bad_axis):
        ops.sum(np.ones((2, 2)), axis=3)
    with pytest.raises(ValueError, match="must not repeat an axis"):
        ops.mean(np.ones((2, 2)), axis=(0, -2))
    with pytest.raises(ValueError, match="max of an empty tensor"):
        ops.max(np.ones((0, 3)))


@given(shape=array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_transpose_and_reshape(shape, data):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    x = signed(shape)
    check_op(lambda t: ops.transpose(t, perm), lambda a: np.transpose(a, perm), x)
    check_op(lambda t: ops.reshape(t, (-1,)), lambda a: a.reshape(-1), x)
    check_op(lambda t: ops.flatten(t, start_axis=0), lambda a: a.reshape(-1), x)


def test_reshape_names_both_shapes_on_mismatch():
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\) into \(4,\)"):
        ops.reshape(np.ones((2, 3)), (4,))


def test_flatten_keeps_the_batch_axis_when_asked():
    assert ops.flatten(np.ones((2, 3, 4, 5)), start_axis=1).shape == (2, 60)


def test_slicing_with_basic_and_advanced_indices():
    x = signed((4, 5))
    check_op(lambda t: t[1:3, ::2], lambda a: a[1:3, ::2], x)
    check_op(lambda t: t[..., None, 2], lambda a: a[..., None, 2], x)
    picks = np.array([0, 2, 2, 3])  # index 2 twice: its gradient must add up
    check_op(lambda t: t[picks], lambda a: a[picks], x)
    check_op(
        lambda t: t[np.arange(4), np.array([0, 1, 1, 4])],
        lambda a: a[np.arange(4), np.array([0, 1, 1, 4])],
        x,
    )


@given(n=st.integers(1, 3), axis=st.integers(-3, 2))
def test_concatenate_and_stack(n, axis):
    parts = [signed((2, 3, 2)) for _ in range(n)]
    check_op(
        lambda *t: ops.concatenate(t, axis=axis), lambda *a: np.concatenate(a, axis=axis), *parts
    )
    check_op(lambda *t: ops.stack(t, axis=axis), lambda *a: np.stack(a, axis=axis), *parts)


def test_concatenate_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 4\) differ off that axis"):
        ops.concatenate([np.ones((2, 3)), np.ones((2, 4))], axis=0)


def test_expand_dims_and_squeeze():
    x = signed((3, 1, 2))
    check_op(lambda t: ops.squeeze(t), lambda a: np.squeeze(a), x)
    check_op(lambda t: ops.expand_dims(t, -1), lambda a: np.expand_dims(a, -1), x)
    with pytest.raises(ValueError, match="axis 0 of shape"):
        ops.squeeze(x, axis=0)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (1, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_follows_numpy_rules(shapes):
    check_op(ops.matmul, np.matmul, signed(shapes[0]), signed(shapes[1]))


def test_matmul_names_both_shapes_on_mismatch():
    with pytest.raises(ValueError, match=r"\(2, 3\) @ \(4, 5\) \(3 != 4\)"):
        ops.matmul(np.ones((2, 3)), np.ones((4, 5)))


def test_float32_stays_float32_through_every_op():
    x = cl.Tensor(positive((2, 3)).astype(np.float32), requires_grad=True)
    y = ops.sqrt(ops.exp(x) * 2 + x**2 / 3).mean(axis=0) @ np.ones((3,), np.float32)
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_gradients_of_a_composite_expression():
    def f(a, b):
        return ops.log(ops.sum(ops.exp(a @ b), axis=1, keepdims=True)) * ops.var(a)

    assert_gradients(f, signed((3, 4)), signed((4, 2)))
