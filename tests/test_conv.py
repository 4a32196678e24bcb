"""conv2d against the lecture's definition (loops), scipy, PyTorch and central differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.signal import correlate2d

import convlens as cl
from conv_oracle import naive_conv2d
from convlens import kernels, ops
from convlens.kernels import conv_routes, parallel
from convlens.kernels.geometry import resolve_padding
from oracle import assert_gradients, check_op, torch_or_skip

MODES = ("zeros", "reflect", "replicate", "circular")


def fits(n, f, d, pair, mode):
    """Whether a kernel fits the padded axis and the mode can pad that much (PyTorch's rules)."""
    if d * (f - 1) + 1 > n + sum(pair):
        return False
    return {"reflect": max(pair) < n, "circular": max(pair) <= n}.get(mode, True)


@st.composite
def conv_cases(draw):
    """A small conv2d problem with every option drawn; infeasible options are repaired, not
    rejected (zeros mode, dilation 1, a smaller kernel), so hypothesis never runs dry."""
    groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
    c_per_group = draw(st.integers(1, max(1, 4 // groups)))
    depthwise = groups > 1 and draw(st.booleans())
    if depthwise:
        c_per_group = 1
    filters = groups * draw(st.integers(1, 2))
    N, H, W = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kernel = [draw(st.integers(1, 4)), draw(st.integers(1, 4))]
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same"]),
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.tuples(
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
            ),
        )
    )
    mode = draw(st.sampled_from(MODES))
    for axis, n in enumerate((H, W)):
        amounts = resolve_padding(padding, (H, W), kernel, strides, dilation)[axis]
        if not fits(n, kernel[axis], dilation[axis], amounts, mode):
            mode = "zeros"
        if not fits(n, kernel[axis], dilation[axis], amounts, mode):
            dilation[axis] = 1
            kernel[axis] = min(kernel[axis], n + sum(amounts))
            amounts = resolve_padding(padding, (H, W), kernel, strides, dilation)[axis]
            kernel[axis] = min(kernel[axis], n + sum(amounts))
    options = dict(
        strides=strides,
        padding=padding,
        dilation_rate=tuple(dilation),
        groups=groups,
        padding_mode=mode,
    )
    return (N, H, W, groups * c_per_group), (*kernel, c_per_group, filters), options


def arrays_for(x_shape, kernel_shape, dtype=np.float64):
    rng = np.random.default_rng(abs(hash((x_shape, kernel_shape))) % 2**32)
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(kernel_shape).astype(dtype)
    return x, kernel, rng.standard_normal(kernel_shape[-1]).astype(dtype)


def naive_with(options, x_shape, kernel_shape):
    """The loop oracle for ``options`` (resolving the padding argument itself)."""
    amounts = resolve_padding(
        options["padding"],
        x_shape[1:3],
        kernel_shape[:2],
        options["strides"],
        options["dilation_rate"],
    )
    return lambda x, k, b: naive_conv2d(
        x,
        k,
        b,
        options["strides"],
        amounts,
        options["dilation_rate"],
        options["groups"],
        options["padding_mode"],
    )


@given(case=conv_cases(), with_bias=st.booleans())
def test_conv2d_matches_the_loop_definition_and_central_differences(case, with_bias):
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    oracle = naive_with(options, x_shape, kernel_shape)
    if with_bias:
        check_op(lambda x, k, b: ops.conv2d(x, k, b, **options), oracle, x, kernel, bias)
    else:
        check_op(
            lambda x, k: ops.conv2d(x, k, **options), lambda x, k: oracle(x, k, None), x, kernel
        )


@given(case=conv_cases())
def test_conv2d_channels_first_matches_channels_last(case):
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    oracle = naive_with(options, x_shape, kernel_shape)
    check_op(
        lambda x, k, b: ops.conv2d(x, k, b, data_format="channels_first", **options),
        lambda x, k, b: oracle(x.transpose(0, 2, 3, 1), k, b).transpose(0, 3, 1, 2),
        x.transpose(0, 3, 1, 2),
        kernel,
        bias,
    )


@given(case=conv_cases())
def test_conv2d_matches_torch_forward_and_backward(case):
    torch = torch_or_skip()
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    amounts = resolve_padding(
        options["padding"],
        x_shape[1:3],
        kernel_shape[:2],
        options["strides"],
        options["dilation_rate"],
    )
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    expected = torch_conv2d_autograd(torch, *tensors, amounts, options)
    upstream = np.random.default_rng(0).standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(upstream))
    ours = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = ops.conv2d(*ours, **options)
    y.backward(upstream)
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, theirs in zip(ours, tensors, strict=True):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def torch_conv2d_autograd(torch, x, kernel, bias, amounts, options):
    """F.pad + F.conv2d on NHWC torch tensors, differentiable (the helper in conv_oracle is not)."""
    F = torch.nn.functional
    (top, bottom), (left, right) = amounts
    mode = {"zeros": "constant"}.get(options["padding_mode"], options["padding_mode"])
    t = F.pad(x.permute(0, 3, 1, 2).contiguous(), (left, right, top, bottom), mode=mode)
    y = F.conv2d(
        t,
        kernel.permute(3, 2, 0, 1).contiguous(),
        bias,
        stride=options["strides"],
        dilation=options["dilation_rate"],
        groups=options["groups"],
    )
    return y.permute(0, 2, 3, 1)


@given(case=conv_cases())
def test_conv2d_float32_stays_float32_and_agrees_with_float64(case):
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape, np.float32)
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    y = ops.conv2d(*tensors, **options)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == np.float32 and all(t.grad.dtype == np.float32 for t in tensors)
    expected = naive_with(options, x_shape, kernel_shape)(
        *(a.astype(np.float64) for a in (x, kernel, bias))
    )
    # float32 has 24 bits (eps 1.2e-7); each output sums at most 64 products of O(1) values
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_single_channel_matches_scipy_correlate2d(mode):
    rng = np.random.default_rng(1)
    image, kernel = rng.standard_normal((7, 9)), rng.standard_normal((3, 4))
    padding = 0 if mode == "valid" else ((2, 2), (3, 3))  # "full": F - 1 zeros on every side
    ours = ops.conv2d(image[None, :, :, None], kernel[:, :, None, None], padding=padding)
    np.testing.assert_allclose(ours.numpy()[0, :, :, 0], correlate2d(image, kernel, mode=mode))


def test_each_filter_and_channel_is_a_scipy_correlation():
    # multi-channel conv = Σ over input channels of single-channel correlations, per filter
    rng = np.random.default_rng(2)
    x, kernel = rng.standard_normal((2, 6, 5, 3)), rng.standard_normal((3, 2, 3, 4))
    ours = ops.conv2d(x, kernel, strides=1).numpy()
    for n in range(2):
        for f in range(4):
            expected = sum(
                correlate2d(x[n, :, :, c], kernel[:, :, c, f], mode="valid") for c in range(3)
            )
            np.testing.assert_allclose(ours[n, :, :, f], expected)


def test_a_batch_of_one_and_a_one_by_one_kernel():
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.standard_normal((1, 4, 5, 6)), rng.standard_normal((1, 1, 3, 4)), None
    check_op(
        lambda x, k: ops.conv2d(x, k, groups=2),
        lambda x, k: naive_conv2d(x, k, groups=2),
        x,
        kernel,
    )
    check_op(
        lambda x, k: ops.conv2d(x, k, groups=2, data_format="channels_first"),
        lambda x, k: naive_conv2d(x.transpose(0, 2, 3, 1), k, bias, groups=2).transpose(0, 3, 1, 2),
        x.transpose(0, 3, 1, 2),
        kernel,
    )


def test_chunked_patches_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(4)
    x, kernel = rng.standard_normal((5, 6, 6, 4)), rng.standard_normal((3, 3, 2, 4))
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1000)  # about one image per chunk
    assert len(parallel.chunks(5, 6 * 6 * 9 * 4 * 8)) == 5
    options = dict(strides=2, padding="same", groups=2)
    amounts = resolve_padding("same", (6, 6), (3, 3), (2, 2))
    check_op(
        lambda x, k: ops.conv2d(x, k, **options),
        lambda x, k: naive_conv2d(x, k, None, (2, 2), amounts, groups=2),
        x,
        kernel,
    )


def test_first_layer_skips_the_input_gradient(monkeypatch):
    rng = np.random.default_rng(5)
    x, kernel = rng.standard_normal((2, 5, 5, 1)), rng.standard_normal((3, 3, 1, 2))
    w = cl.Tensor(kernel, requires_grad=True)

    def forbidden(*args, **kwargs):
        raise AssertionError("dX computed for an input that needs no gradient")

    monkeypatch.setattr(conv_routes, "input_grad", forbidden)
    ops.conv2d(x, w, padding="same").sum().backward()
    expected = [
        [[correlate2d(np.pad(x[n, :, :, 0], 1), np.ones((5, 5)), "valid").sum()]] for n in range(2)
    ]
    assert w.grad.shape == (3, 3, 1, 2)
    np.testing.assert_allclose(w.grad[..., 0, 0].sum(), np.sum(expected))


def test_inference_keeps_no_patches():
    x, kernel = np.ones((2, 5, 5, 3)), np.ones((3, 3, 3, 2))
    with cl.no_grad():
        y = ops.conv2d(x, kernel)
    assert y._ctx is None
    w = cl.Tensor(kernel, requires_grad=True)
    assert ops.conv2d(x, w)._ctx.saved is not None
    assert ops.conv2d(cl.Tensor(x, requires_grad=True), kernel)._ctx.saved is None


def test_mixed_precision_follows_numpy_and_returns_each_gradient_in_its_own_dtype():
    x = cl.Tensor(np.ones((1, 3, 3, 1), np.float32), requires_grad=True)
    w = cl.Tensor(np.ones((2, 2, 1, 1)), requires_grad=True)  # float64
    y = ops.conv2d(x, w)
    y.sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float32 and w.grad.dtype == np.float64


def test_integer_images_become_float32():
    y = ops.conv2d(np.ones((1, 3, 3, 1), dtype=np.uint8), np.ones((2, 2, 1, 1), np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), 4 * np.ones((1, 2, 2, 1)))


def test_gradient_of_a_strided_dilated_grouped_conv_with_every_mode():
    rng = np.random.default_rng(6)
    x, kernel = rng.standard_normal((2, 7, 8, 4)), rng.standard_normal((3, 2, 2, 6))
    for mode in MODES:
        assert_gradients(
            lambda x, k, mode=mode: ops.conv2d(
                x,
                k,
                strides=(2, 3),
                padding=((2, 1), (0, 2)),
                dilation_rate=(2, 1),
                groups=2,
                padding_mode=mode,
            ),
            x,
            kernel,
        )


@given(case=conv_cases())
def test_patches_rebuilt_in_backward_give_the_same_gradients(case):
    """Large patch matrices are not kept for backward but rebuilt from the input (the plan's
    ``keep_patches_bytes``); forcing that path must change nothing."""
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    oracle = naive_with(options, x_shape, kernel_shape)
    with kernels.force(keep_patches=False):  # every patch matrix counts as large
        check_op(lambda x, k, b: ops.conv2d(x, k, b, **options), oracle, x, kernel, bias)
