"""Dropout and batch normalisation against formulas, central differences and PyTorch."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from convlens import ops
from oracle import assert_gradients, check_op, host, torch_or_skip

# ----- dropout -----


def test_dropout_is_inverted_and_reproducible_from_a_seed():
    x = np.random.default_rng(0).uniform(1, 2, (64, 50)).astype(np.float32)
    y = ops.dropout(x, 0.25, seed=7).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-6)  # scaled by 1 / (1 - rate)
    assert abs(1 - kept.mean() - 0.25) < 0.02  # 3200 draws: about a quarter dropped
    np.testing.assert_array_equal(ops.dropout(x, 0.25, seed=7).numpy(), y)
    assert not np.array_equal(ops.dropout(x, 0.25, seed=8).numpy(), y)


def test_dropout_keeps_the_expected_value():
    x = np.ones((200_000,))
    assert ops.dropout(x, 0.6, seed=0).numpy().mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_draws_a_new_mask_per_call_from_one_generator_stream():
    x = np.ones((4, 8))
    first = np.random.default_rng(3)
    masks = [ops.dropout(x, 0.5, rng=first).numpy() for _ in range(2)]
    assert not np.array_equal(*masks)
    again = np.random.default_rng(3)
    np.testing.assert_array_equal(ops.dropout(x, 0.5, rng=again).numpy(), masks[0])


def test_dropout_gradient_is_the_same_mask():
    x = cl.Tensor(np.random.default_rng(0).uniform(1, 2, (5, 6)), requires_grad=True)
    y = ops.dropout(x, 0.5, seed=1)
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(host(x.grad), y.numpy() / x.numpy())
    assert_gradients(lambda t: ops.dropout(t, 0.3, seed=2), x.numpy())


def test_dropout_is_the_identity_at_inference_and_at_rate_zero():
    x = cl.Tensor(np.arange(6.0))
    assert ops.dropout(x, 0.5, seed=0, training=False) is x
    np.testing.assert_array_equal(ops.dropout(x.numpy(), 0.0).numpy(), x.numpy())


def test_dropout_noise_shape_drops_whole_feature_maps():
    x = np.ones((3, 4, 4, 8))
    y = ops.dropout(x, 0.5, seed=0, noise_shape=(3, 1, 1, 8)).numpy()
    per_map = y.reshape(3, 16, 8)
    assert (per_map == per_map[:, :1]).all()  # one decision per (sample, channel)
    assert set(np.unique(y)) <= {0.0, 2.0}
    y_none = ops.dropout(x, 0.5, seed=0, noise_shape=(None, 1, 1, None)).numpy()
    np.testing.assert_array_equal(y_none, y)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"rate": 1.0}, ValueError, r"dropout: rate must be a number in \[0, 1\), received 1.0"),
        ({"rate": -0.1}, ValueError, r"rate must be a number in \[0, 1\)"),
        ({"rate": "0.5"}, ValueError, r"rate must be a number in \[0, 1\), received '0.5'"),
        ({"rate": True}, ValueError, r"rate must be a number"),
        (
            {"rate": 0.5, "seed": 1, "rng": np.random.default_rng()},
            ValueError,
            "either seed or rng",
        ),
        ({"rate": 0.5, "rng": 3}, TypeError, "rng must be a numpy.random.Generator"),
        (
            {"rate": 0.5, "noise_shape": (2, 3)},
            ValueError,
            r"noise_shape \(2, 3\) does not broadcast to the input shape \(2, 3, 4\)",
        ),
        ({"rate": 0.5, "noise_shape": (2, 2, 4)}, ValueError, r"noise_shape \(2, 2, 4\)"),
    ],
)
def test_dropout_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        ops.dropout(np.ones((2, 3, 4)), **kwargs)


# ----- batch normalisation -----


def channel_shape(ndim, axis, channels):
    shape = [1] * ndim
    shape[axis] = channels
    return shape


def normalise(x, mean, variance, gamma, beta, epsilon, axis):
    """The definition (Ioffe & Szegedy 2015, Algorithm 1) with given statistics."""
    s = channel_shape(x.ndim, axis, x.shape[axis])
    return (x - mean.reshape(s)) / np.sqrt(variance.reshape(s) + epsilon) * gamma.reshape(s) + (
        beta.reshape(s)
    )


def batch_stats(x, axis):
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return x.mean(axis=axes), x.var(axis=axes)


def random_params(rng, channels):
    return (
        rng.standard_normal(channels),
        rng.uniform(0.5, 2, channels),
        rng.uniform(0.5, 2, channels),
        rng.standard_normal(channels),
    )


@given(
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    axis_choice=st.sampled_from([-1, 1]),
)
def test_batch_norm_inference_matches_its_definition(shape, axis_choice):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    params = random_params(rng, shape[axis_choice])

    def ours(x_, mean, variance, gamma, beta):
        return ops.batch_norm(x_, mean, variance, gamma, beta, epsilon=1e-3, axis=axis_choice)

    check_op(ours, lambda *a: normalise(*a, 1e-3, axis_choice), x, *params, rtol=1e-10)


def test_batch_norm_without_gamma_and_beta():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    mean, variance = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    expected = normalise(x, mean, variance, np.ones(3), np.zeros(3), 1e-3, -1)
    np.testing.assert_allclose(ops.batch_norm(x, mean, variance).numpy(), expected, rtol=1e-12)
    x32 = ops.batch_norm(x.astype(np.float32), mean.astype(np.float32), variance)
    assert x32.dtype == np.float32


@given(
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    axis_choice=st.sampled_from([-1, 1]),
)
def test_batch_norm_train_matches_its_definition_and_central_differences(shape, axis_choice):
    rng = np.random.default_rng(sum(shape) + 1)
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = rng.uniform(0.5, 2, shape[axis_choice]), rng.standard_normal(shape[axis_choice])

    def ours(x_, gamma_, beta_):
        return ops.batch_norm_train(x_, gamma_, beta_, epsilon=1e-3, axis=axis_choice)[0]

    def oracle(x_, gamma_, beta_):
        return normalise(x_, *batch_stats(x_, axis_choice), gamma_, beta_, 1e-3, axis_choice)

    check_op(ours, oracle, x, gamma, beta, rtol=1e-10, atol=1e-10)
    _, mean, variance = ops.batch_norm_train(x, gamma, beta, axis=axis_choice)
    expected_mean, expected_variance = batch_stats(x, axis_choice)  # biased variance, as Keras
    np.testing.assert_allclose(host(mean), expected_mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(variance), expected_variance, rtol=1e-12, atol=1e-12)
    assert not isinstance(mean, cl.Tensor) and not isinstance(variance, cl.Tensor)


def test_batch_norm_train_against_pytorch_nchw():
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5, 6)) * 2 + 0.5
    gamma, beta = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    upstream = rng.standard_normal(x.shape)
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    y, mean, variance = ops.batch_norm_train(*tensors, epsilon=1e-3, axis=1)
    y.backward(upstream)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    running_mean, running_var = (
        torch.zeros(3, dtype=torch.float64),
        torch.ones(3, dtype=torch.float64),
    )
    expected = torch.nn.functional.batch_norm(
        theirs[0],
        running_mean,
        running_var,
        theirs[1],
        theirs[2],
        training=True,
        momentum=1.0,
        eps=1e-3,
    )
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours_t, theirs_t in zip(tensors, theirs, strict=True):
        np.testing.assert_allclose(host(ours_t.grad), theirs_t.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(
        host(mean), running_mean.numpy(), rtol=1e-12
    )  # momentum 1: the batch's
    n = x.size // 3  # PyTorch's running variance is unbiased; ours (Keras's) is biased
    np.testing.assert_allclose(host(variance) * n / (n - 1), running_var.numpy(), rtol=1e-12)


def test_batch_norm_inference_against_pytorch():
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 5, 6))
    mean, variance, gamma, beta = random_params(rng, 3)
    y = ops.batch_norm(x, mean, variance, gamma, beta, epsilon=1e-3, axis=1).numpy()
    expected = torch.nn.functional.batch_norm(
        *(torch.tensor(a) for a in (x, mean, variance, gamma, beta)), training=False, eps=1e-3
    )
    np.testing.assert_allclose(y, expected.numpy(), rtol=1e-12, atol=1e-12)


def test_batch_norm_train_float32_and_no_gamma_or_beta():
    x = np.random.default_rng(2).standard_normal((8, 4)).astype(np.float32) * 5 + 3
    y, mean, variance = ops.batch_norm_train(x, epsilon=0.0)
    assert y.dtype == mean.dtype == variance.dtype == np.float32
    np.testing.assert_allclose(y.numpy().mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(y.numpy().std(axis=0), 1, rtol=1e-5)


def test_parameter_gradients_keep_the_parameters_dtype():
    x = cl.Tensor(np.random.default_rng(3).standard_normal((4, 3)), requires_grad=True)  # float64
    gamma = cl.Tensor(np.ones(3, np.float32), requires_grad=True)
    beta = cl.Tensor(np.zeros(3, np.float32), requires_grad=True)
    y, _, _ = ops.batch_norm_train(x, gamma, beta)
    y.backward(np.ones((4, 3)))
    assert gamma.grad.dtype == beta.grad.dtype == np.float32 and x.grad.dtype == np.float64
    mean = cl.Tensor(np.zeros(3, np.float32), requires_grad=True)
    ops.batch_norm(x, mean, np.ones(3), gamma).backward(np.ones((4, 3)))
    assert mean.grad.dtype == np.float32


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ops.batch_norm(np.ones((2, 3)), np.zeros(2), np.ones(3)),
            r"batch_norm: expected mean of shape \(3,\), one value per channel, "
            r"received shape \(2,\)",
        ),
        (
            lambda: ops.batch_norm(np.ones((2, 3)), np.zeros(3), np.ones(3), gamma=np.ones((3, 1))),
            r"expected gamma of shape \(3,\)",
        ),
        (
            lambda: ops.batch_norm_train(np.ones((2, 3)), np.ones(3), np.zeros(4)),
            r"batch_norm_train: expected beta of shape \(3,\)",
        ),
        (
            lambda: ops.batch_norm_train(np.ones((2, 3)), axis=2),
            r"batch_norm_train: axis must be in \[-2, 1\] for a tensor of rank 2, received 2",
        ),
        (lambda: ops.batch_norm_train(np.ones((2, 3)), axis=(0, 1)), r"axis must be an int"),
    ],
)
def test_batch_norm_bad_input(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
