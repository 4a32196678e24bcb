"""Winograd F(2×2, 3×3) against the loop definition, PyTorch and central differences."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d, padding_specs
from convlens import kernels, ops
from convlens.kernels import conv_plan, im2col, winograd
from convlens.kernels.geometry import resolve_padding
from oracle import check_op, numpy_only, spies, torch_or_skip, without_numba

MODES = ("zeros", "reflect", "replicate", "circular")
pytestmark = [
    numpy_only,
    pytest.mark.skipif(  # without numba, test_conv.py covers the im2col path
        importlib.util.find_spec("numba") is None, reason="the Winograd kernels need numba"
    ),
]


@st.composite
def winograd_cases(draw):
    """A 3×3 stride-1 problem: odd and even sizes, a batch of one, few or many channels, every
    padding form (a mode other than zeros only where it can pad that much)."""
    N, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    C, C_out = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding = draw(padding_specs())
    amounts = resolve_padding(padding, (H, W), (3, 3), (1, 1), (1, 1))
    if any(n + sum(pair) < 3 for n, pair in zip((H, W), amounts, strict=True)):
        padding, amounts = 1, ((1, 1), (1, 1))  # the kernel must fit the padded input
    mode = draw(st.sampled_from(MODES))
    if any(max(pair) >= n for n, pair in zip((H, W), amounts, strict=True)):
        mode = "zeros"  # reflect needs fewer pixels of padding than the axis has
    return (N, H, W, C), (3, 3, C, C_out), dict(padding=padding, padding_mode=mode), amounts


def arrays_for(x_shape, kernel_shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(kernel_shape).astype(dtype)
    return x, kernel, rng.standard_normal(kernel_shape[-1]).astype(dtype)


def torch_padded_conv(torch, x_padded, kernel, upstream):
    """PyTorch's output and gradients (padded input, kernel) for a valid 3×3 conv, NHWC."""
    t = torch.tensor(np.ascontiguousarray(x_padded.transpose(0, 3, 1, 2)), requires_grad=True)
    w = torch.tensor(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)), requires_grad=True)
    y = torch.nn.functional.conv2d(t, w)
    y.backward(torch.tensor(np.ascontiguousarray(upstream.transpose(0, 3, 1, 2))))
    nhwc = (0, 2, 3, 1)
    return (
        y.detach().numpy().transpose(nhwc),
        t.grad.numpy().transpose(nhwc),
        w.grad.numpy().transpose(2, 3, 1, 0),  # (C_out, C, KH, KW) -> (KH, KW, C, C_out)
    )


@given(
    N=st.integers(1, 3),
    H=st.integers(3, 11),
    W=st.integers(3, 11),
    C=st.integers(1, 6),
    C_out=st.integers(1, 6),
)
def test_kernels_match_the_loop_definition_and_torch_in_float64(N, H, W, C, C_out):
    torch = torch_or_skip()
    x, kernel, _ = arrays_for((N, H, W, C), (3, 3, C, C_out))
    upstream = np.random.default_rng(1).standard_normal((N, H - 2, W - 2, C_out))
    y = winograd.winograd_forward(x, kernel)
    dx, dw, _ = winograd.winograd_grads(upstream, kernel, x.shape, x)
    expected_y, expected_dx, expected_dw = torch_padded_conv(torch, x, kernel, upstream)
    np.testing.assert_allclose(y, naive_conv2d(x, kernel), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y, expected_y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw, expected_dw, rtol=1e-10, atol=1e-12)
    dx_only, no_dw, _ = winograd.winograd_grads(upstream, kernel, x.shape)
    assert no_dw is None
    np.testing.assert_array_equal(dx_only, dx)


def test_chunks_with_a_short_last_one_give_the_same_answer(monkeypatch):
    torch = torch_or_skip()
    x, kernel, _ = arrays_for((5, 7, 6, 3), (3, 3, 3, 4))
    upstream = np.random.default_rng(2).standard_normal((5, 5, 4, 4))
    per_image = 16 * 3 * 2 * (3 + 4) * 8  # 16 planes of 3×2 tiles, C + C_out channels, float64
    monkeypatch.setattr(winograd, "TILE_CHUNK_BYTES", 2 * per_image)  # 2 images
    assert len(winograd._Buffers(5, (3, 2), 3, 4, np.dtype(np.float64)).chunks) == 3
    y = winograd.winograd_forward(x, kernel)
    dx, dw, _ = winograd.winograd_grads(upstream, kernel, x.shape, x)
    for ours, theirs in zip((y, dx, dw), torch_padded_conv(torch, x, kernel, upstream)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@given(case=winograd_cases(), with_bias=st.booleans())
def test_conv2d_through_winograd_matches_the_loops_and_central_differences(case, with_bias):
    x_shape, kernel_shape, options, amounts = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    ours = lambda x, k, b=None: ops.conv2d(x, k, b, **options)  # noqa: E731
    oracle = lambda x, k, b=None: naive_conv2d(  # noqa: E731
        x, k, b, amounts=amounts, mode=options["padding_mode"]
    )
    arrays = (x, kernel, bias) if with_bias else (x, kernel)
    with spies(winograd, "forward", "gradients") as calls, kernels.force("winograd"):
        check_op(ours, oracle, *arrays)  # even one channel, through Winograd
    assert {"forward", "gradients"} <= set(calls)


@given(case=winograd_cases())
def test_float32_winograd_agrees_with_float64_at_test_conv_tolerances(case):
    x_shape, kernel_shape, options, amounts = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape, np.float32)
    upstream = np.random.default_rng(3).standard_normal(
        (x_shape[0], *ops_output_hw(x_shape, amounts), kernel_shape[-1])
    )
    with kernels.force("winograd"):
        got = gradients_of(x, kernel, bias, upstream.astype(np.float32), options)
        expected = gradients_of(
            *(a.astype(np.float64) for a in (x, kernel, bias, upstream)), options
        )
    assert all(g.dtype == np.float32 for g in got)
    for ours, reference in zip(got, expected, strict=True):  # test_conv.py's float32 tolerance
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)


def ops_output_hw(x_shape, amounts):
    return tuple(n + sum(pair) - 2 for n, pair in zip(x_shape[1:3], amounts, strict=True))


def gradients_of(x, kernel, bias, upstream, options):
    """conv2d's output and the gradients of x, kernel and bias for ``upstream``."""
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = ops.conv2d(*tensors, **options)
    y.backward(upstream)
    return [y.numpy(), *(t.grad for t in tensors)]


def test_a_cifar_layer_takes_the_winograd_path():
    """(N, 16, 16, 32) -> 64 "same" must run the Winograd route, forward and backward, and no
    im2col; the first layer (3 channels) and a stride-2 layer must not."""
    x, kernel, bias = arrays_for((2, 16, 16, 32), (3, 3, 32, 64), np.float32)
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    with spies(winograd, "forward", "gradients") as calls, spies(im2col, "forward") as others:
        ops.conv2d(*tensors, padding="same").sum().backward()
    assert calls == ["forward", "gradients"] and not others
    with spies(winograd, "forward") as calls, spies(im2col, "forward") as others:
        ops.conv2d(x[..., :3], kernel[:, :, :3], padding="same")
        ops.conv2d(x, kernel, strides=2, padding="same")
    assert others == ["forward", "forward"] and not calls
    np.testing.assert_allclose(
        ops.conv2d(x, kernel, padding="same").numpy(),
        naive_conv2d(x.astype(float), kernel.astype(float), amounts=((1, 1), (1, 1))),
        rtol=1e-4,
        atol=1e-4,
    )


def test_the_dispatch_rule(monkeypatch):
    """The table's ``winograd_min_channels`` on both sides; then what the route cannot do."""

    def route(kernel_shape, dtype="float64", **options):
        x_shape = (2, 16, 16, kernel_shape[2] * options.get("groups", 1))
        return ops.conv2d_plan(x_shape, kernel_shape, dtype=dtype, **options).forward

    assert route((3, 3, 16, 16)) == "winograd"
    assert route((3, 3, 15, 32)) == "im2col"  # too few input channels (an RGB input: 3)
    assert route((3, 3, 32, 15)) != "winograd"  # too few filters
    assert route((3, 3, 32, 32), strides=2) == "im2col"
    assert route((3, 3, 32, 32), dilation_rate=2) == "im2col"
    assert route((3, 3, 16, 32), groups=2) == "im2col"
    assert route((5, 5, 32, 32)) == "im2col"
    assert route((3, 3, 32, 32), dtype="float32") == "winograd"
    assert route((3, 3, 32, 32), dtype="float16") == "im2col"
    with pytest.raises(ValueError, match="winograd route cannot compute.*kernel 5×5"):
        with kernels.force(forward="winograd"):
            ops.conv2d(np.ones((1, 6, 6, 1)), np.ones((5, 5, 1, 1)))
    monkeypatch.setattr(conv_plan.backend, "xp", object())  # CuPy: im2col and cuBLAS
    assert route((3, 3, 32, 32)) == "im2col"


def test_without_numba_im2col_gives_the_same_answers(monkeypatch):
    """With numba not importable the dispatch says no and conv2d still matches the loops."""
    x, kernel, bias = arrays_for((2, 6, 5, 16), (3, 3, 16, 16))
    upstream = np.random.default_rng(4).standard_normal((2, 6, 5, 16))
    with_numba = gradients_of(x, kernel, bias, upstream, dict(padding="same"))
    without_numba(monkeypatch, "winograd")
    assert winograd.compiled() is None
    plan = ops.conv2d_plan((2, 6, 5, 16), (3, 3, 16, 16), padding="same")
    assert plan.forward == "im2col" and "no Numba" in plan.why
    without = gradients_of(x, kernel, bias, upstream, dict(padding="same"))
    for ours, theirs in zip(without, with_numba, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    amounts = ((1, 1), (1, 1))
    np.testing.assert_allclose(
        without[0], naive_conv2d(x, kernel, bias, amounts=amounts), rtol=1e-10, atol=1e-12
    )


def test_inference_through_winograd_keeps_nothing():
    x, kernel, _ = arrays_for((1, 8, 8, 16), (3, 3, 16, 16), np.float32)
    with cl.no_grad():
        assert ops.conv2d(x, cl.Tensor(kernel, requires_grad=True), padding="same")._ctx is None
    y = ops.conv2d(cl.Tensor(x, requires_grad=True), kernel, padding="same")
    assert y._ctx.plan.forward == "winograd" and y._ctx.saved is None  # dX needs the kernel
