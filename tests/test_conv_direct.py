"""The direct kernels for few input channels (kernels/direct.py) against the loop definition,
PyTorch and central differences; which layers take them; the NumPy fallback without Numba."""

import contextlib
import importlib.util

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d, padding_specs
from convlens import kernels, ops
from convlens.kernels import conv_plan, direct, im2col
from convlens.kernels.geometry import resolve_padding
from oracle import check_op, spies, torch_or_skip, without_numba
from test_conv import fits

MODES = ("zeros", "reflect", "replicate", "circular")
pytestmark = pytest.mark.skipif(  # without numba, test_conv.py covers the NumPy paths
    importlib.util.find_spec("numba") is None, reason="the direct kernels need numba"
)


@st.composite
def direct_cases(draw):
    """A stride-1 problem for the direct kernels: a batch of one to two blocks of images (the
    last one partial), any kernel size, every padding form and mode (repaired, not rejected)."""
    N, H, W = draw(st.integers(1, 20)), draw(st.integers(1, 8)), draw(st.integers(1, 8))
    C, C_out = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    kernel = [draw(st.integers(1, 5)), draw(st.integers(1, 5))]
    padding = draw(padding_specs())
    mode = draw(st.sampled_from(MODES))
    for axis, n in enumerate((H, W)):
        amounts = resolve_padding(padding, (H, W), kernel, (1, 1), (1, 1))[axis]
        if not fits(n, kernel[axis], 1, amounts, mode):
            mode = "zeros"
        kernel[axis] = min(kernel[axis], n + sum(amounts))
    amounts = resolve_padding(padding, (H, W), kernel, (1, 1), (1, 1))
    options = dict(
        padding=padding, padding_mode=mode, activation=draw(st.sampled_from([None, "relu"]))
    )
    return (N, H, W, C), (*kernel, C, C_out), options, amounts


def arrays_for(x_shape, kernel_shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(kernel_shape).astype(dtype)
    return x, kernel, rng.standard_normal(kernel_shape[-1]).astype(dtype)


@contextlib.contextmanager
def routed_to_direct():
    """Every convolution in the block forced through the direct route (any kernel size and
    batch: the table's thresholds are about speed); yields the list of the direct route's entry
    points each call ran, and im2col's, which must not run."""
    with spies(direct, "forward", "gradients") as calls, spies(im2col, "forward") as im2col_calls:
        with kernels.force("direct"):
            yield calls
    assert not im2col_calls


def oracle_for(amounts, mode, activation):
    def oracle(x, k, b=None):
        y = naive_conv2d(x, k, b, amounts=amounts, mode=mode)
        return np.maximum(y, 0) if activation == "relu" else y

    return oracle


@given(case=direct_cases(), with_bias=st.booleans())
def test_direct_kernels_match_the_loops_and_central_differences(case, with_bias):
    x_shape, kernel_shape, options, amounts = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    arrays = (x, kernel, bias) if with_bias else (x, kernel)
    ours = lambda x, k, b=None: ops.conv2d(x, k, b, **options)  # noqa: E731
    oracle = oracle_for(amounts, options["padding_mode"], options["activation"])
    if options["activation"] == "relu":  # central differences are wrong across the ReLU's kink
        before_relu = oracle_for(amounts, options["padding_mode"], None)(*arrays)
        assume(np.abs(before_relu).min() > 1e-4)
    with routed_to_direct() as calls:
        check_op(ours, oracle, *arrays)
    assert "forward" in calls and "gradients" in calls


@given(case=direct_cases())
def test_float32_direct_agrees_with_float64_at_test_conv_tolerances(case):
    x_shape, kernel_shape, options, _ = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape, np.float32)
    with routed_to_direct() as calls:
        y_shape = ops.conv2d(x, kernel, **options).shape
        upstream = np.random.default_rng(3).standard_normal(y_shape)
        got = gradients_of(x, kernel, bias, upstream.astype(np.float32), options)
        expected = gradients_of(
            *(a.astype(np.float64) for a in (x, kernel, bias, upstream)), options
        )
    assert calls.count("gradients") == 2
    assert all(g.dtype == np.float32 for g in got)
    for ours, reference in zip(got, expected, strict=True):  # test_conv.py's float32 tolerance
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)


def gradients_of(x, kernel, bias, upstream, options):
    """conv2d's output and the gradients of x, kernel and bias for ``upstream``."""
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = ops.conv2d(*tensors, **options)
    y.backward(upstream)
    return [y.numpy(), *(t.grad for t in tensors)]


@pytest.mark.parametrize("threads", ["1", "2"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lenet_layers_take_the_direct_kernels_and_match_torch(monkeypatch, threads, dtype):
    """LeNet-5's two convolutions (28×28×1 -> 6 "same", 14×14×6 -> 16), bias and ReLU fused,
    against PyTorch in float64, 37 images (three blocks, the last partial) on one or two
    threads; the first layer computes no input gradient."""
    torch = torch_or_skip()
    monkeypatch.setenv("CONVLENS_NUM_THREADS", threads)
    calls = []
    grads = direct.direct_grads
    monkeypatch.setattr(direct, "direct_grads", lambda *a: calls.append(a) or grads(*a))
    for x_shape, kernel_shape, padding, first in (
        ((37, 28, 28, 1), (5, 5, 1, 6), "same", True),
        ((37, 14, 14, 6), (5, 5, 6, 16), "valid", False),
    ):
        x, kernel, bias = arrays_for(x_shape, kernel_shape, dtype, seed=len(calls))
        tensors = [
            cl.Tensor(a, requires_grad=not (first and i == 0))
            for i, a in enumerate((x, kernel, bias))
        ]
        y = ops.conv2d(*tensors, padding=padding, activation="relu")
        upstream = np.random.default_rng(9).standard_normal(y.shape).astype(dtype)
        y.backward(upstream)
        assert y._ctx.plan.short() == "direct / direct / direct"
        assert calls[-1][-1] == (not first)  # dX only for the second layer
        t = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, kernel, bias)]
        expected = torch.nn.functional.conv2d(
            t[0].permute(0, 3, 1, 2), t[1].permute(3, 2, 0, 1), t[2], padding=padding
        ).relu()
        expected.backward(torch.tensor(upstream.transpose(0, 3, 1, 2).astype(np.float64)))
        tolerance = (
            dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
        )
        pairs = [(y.numpy(), expected.permute(0, 2, 3, 1))] + [
            (ours.grad, theirs.grad) for ours, theirs in zip(tensors, t) if ours.requires_grad
        ]
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours, theirs.detach().numpy(), **tolerance)
        assert tensors[0].grad is None if first else tensors[0].grad.dtype == dtype


def test_a_channels_first_input_gives_the_channels_last_answers():
    """A channels-first input reaches the kernels as a transposed view."""
    x, kernel, bias = arrays_for((9, 12, 11, 2), (5, 5, 2, 4))
    upstream = np.random.default_rng(6).standard_normal((9, 12, 11, 4))
    options = dict(padding="same", activation="relu")
    last = gradients_of(x, kernel, bias, upstream, options)
    to_first = (0, 3, 1, 2)
    first = gradients_of(
        x.transpose(to_first), kernel, bias, upstream.transpose(to_first),
        dict(options, data_format="channels_first"),
    )  # fmt: skip
    for ours, theirs in zip(first, [last[0].transpose(to_first), last[1].transpose(to_first)]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for ours, theirs in zip(first[2:], last[2:], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert ops.conv2d(cl.Tensor(x, requires_grad=True), kernel, **options)._ctx.plan.forward == (
        "direct"
    )


def test_inference_keeps_no_blocks():
    x, kernel, _ = arrays_for((8, 12, 12, 1), (5, 5, 1, 6), np.float32)
    with cl.no_grad():
        assert ops.conv2d(x, cl.Tensor(kernel, requires_grad=True), padding="same")._ctx is None
    y = ops.conv2d(cl.Tensor(x, requires_grad=True), kernel, padding="same")
    assert y._ctx.plan.forward == "direct" and y._ctx.saved is None  # dX needs only the kernel


def test_the_dispatch_rule(monkeypatch):
    """The table's ``direct_*`` thresholds, each on both sides; then what the route cannot do."""

    def route(x_shape, kernel_shape, **options):
        return ops.conv2d_plan(x_shape, kernel_shape, **options).forward

    assert route((8, 28, 28, 1), (5, 5, 1, 6)) == "direct"
    assert route((8, 14, 14, 8), (5, 5, 8, 16)) == "direct"  # C_in 8 <= 8, C_out 16 <= 16
    assert route((8, 14, 14, 9), (5, 5, 9, 16)) != "direct"  # many channels
    assert route((8, 14, 14, 6), (5, 5, 6, 17)) != "direct"  # many filters
    assert route((8, 14, 14, 6), (5, 4, 6, 16)) != "direct"  # a narrow kernel
    assert route((8, 32, 32, 3), (3, 3, 3, 16)) != "direct"  # a 3×3 kernel
    assert route((7, 28, 28, 1), (5, 5, 1, 6)) != "direct"  # vector lanes left empty
    assert route((8, 28, 28, 1), (5, 5, 1, 6), strides=2) != "direct"
    assert route((8, 28, 28, 1), (5, 5, 1, 6), dilation_rate=2) != "direct"
    assert route((8, 28, 28, 2), (5, 5, 1, 6), groups=2) != "direct"
    assert route((8, 28, 28, 1), (5, 5, 1, 6), dtype="float16") != "direct"
    with pytest.raises(ValueError, match="direct route cannot compute.*stride \\(2, 2\\)"):
        with kernels.force("direct"):
            ops.conv2d(np.ones((8, 9, 9, 1)), np.ones((5, 5, 1, 2)), strides=2)
    monkeypatch.setattr(conv_plan.backend, "xp", object())  # CuPy: im2col and cuBLAS
    assert route((8, 28, 28, 1), (5, 5, 1, 6)) != "direct"


def test_without_numba_the_numpy_paths_give_the_same_answers(monkeypatch):
    """With numba not importable the dispatch says no and LeNet-5's layers take the banded
    and im2col paths, with the same answers."""
    rng = np.random.default_rng(4)
    problems = []
    for x_shape, kernel_shape, padding in (
        ((9, 28, 28, 1), (5, 5, 1, 6), "same"),
        ((9, 14, 14, 6), (5, 5, 6, 16), "valid"),
    ):
        x, kernel, bias = arrays_for(x_shape, kernel_shape)
        options = dict(padding=padding, activation="relu")
        upstream = rng.standard_normal(ops.conv2d(x, kernel, **options).shape)
        problem = (x, kernel, bias, upstream, options)
        problems.append((problem, gradients_of(*problem)))
    assert ops.conv2d_plan(x.shape, kernel.shape, padding=padding).forward == "direct"
    without_numba(monkeypatch, "direct")
    assert direct.compiled() is None
    plan = ops.conv2d(cl.Tensor(x, requires_grad=True), kernel, **options)._ctx.plan
    assert plan.forward == "im2col" and "no Numba" in plan.why
    for problem, with_numba in problems:
        for ours, theirs in zip(gradients_of(*problem), with_numba, strict=True):
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
