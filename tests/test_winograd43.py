"""Winograd F(4×4, 3×3) (the inference forward pass) against the loop definition, float64 and
float32, and where the plan sends it."""

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d
from convlens import kernels, ops
from convlens.kernels import winograd, winograd43
from oracle import numpy_only, spies, without_numba

pytestmark = [
    numpy_only,
    pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="the Winograd kernels need numba"
    ),
]


def arrays_for(x_shape, kernel_shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    kernel = rng.standard_normal(kernel_shape).astype(dtype)
    return x, kernel, rng.standard_normal(kernel_shape[-1]).astype(dtype)


@settings(max_examples=40, deadline=None)
@given(
    N=st.integers(1, 3),
    H=st.integers(3, 13),
    W=st.integers(3, 13),
    C=st.integers(1, 5),
    C_out=st.integers(1, 5),
    relu=st.booleans(),
    zeros=st.tuples(*[st.integers(0, 2)] * 4),
)
def test_float64_equals_the_loops_on_every_size(N, H, W, C, C_out, relu, zeros):
    """Outputs not a multiple of 4 (the last tiles cut), one tile, several, zero padding on
    any side (written into the column groups): float64 rounding."""
    x, kernel, bias = arrays_for((N, H, W, C), (3, 3, C, C_out))
    amounts = (zeros[:2], zeros[2:])
    y = winograd43.winograd43_forward(x, kernel, bias, relu, amounts)
    expected = naive_conv2d(x, kernel, bias, amounts=amounts)
    expected = np.maximum(expected, 0) if relu else expected
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-11)


@pytest.mark.parametrize(
    "hw, C, C_out", [((32, 32), 32, 32), ((16, 16), 32, 64), ((16, 16), 64, 64)]
)
def test_float32_error_bound_against_float64_loops(hw, C, C_out):
    """float32 F(4×4): the largest error over the largest output, measured 3e-6 to 9e-6 on the
    CIFAR CNN's layers, where F(2×2) gives 2e-7 to 3e-7 and a float32 direct sum ~5e-7 (G's
    1/6, 1/12, 1/24 and Bᵀ's and Aᵀ's entries up to 8 magnify the rounding); bounded here by
    2e-5, and by 100x F(2×2)'s."""
    x, kernel, bias = arrays_for((2, hw[0] + 2, hw[1] + 2, C), (3, 3, C, C_out), seed=1)
    kernel /= np.sqrt(9 * C)  # Glorot-like scale: outputs of order 1
    expected = naive_conv2d(x, kernel, bias)
    x32, kernel32, bias32 = (a.astype(np.float32) for a in (x, kernel, bias))
    scale = np.abs(expected).max()
    error4 = np.abs(winograd43.winograd43_forward(x32, kernel32, bias32) - expected).max()
    error2 = np.abs(winograd.winograd_forward(x32, kernel32, bias32) - expected).max()
    assert error4 / scale < 2e-5
    assert error4 <= 100 * error2


def test_conv2d_forced_with_padding_modes_and_its_gradients_are_f2x2():
    """Through conv2d: every padding mode; forced for training, dX and dW come from F(2×2)
    (kernels/winograd.py), so they equal the winograd route's gradients."""
    x, kernel, bias = arrays_for((2, 9, 7, 4), (3, 3, 4, 3))
    upstream = np.random.default_rng(2).standard_normal((2, 9, 7, 3))
    for mode in ("zeros", "reflect", "replicate", "circular"):
        results = {}
        for route in ("winograd", "winograd4"):
            tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
            with kernels.force(route):
                y = ops.conv2d(*tensors, padding="same", padding_mode=mode)
                y.backward(upstream)
            results[route] = [y.numpy(), *(t.grad for t in tensors)]
        amounts = ((1, 1), (1, 1))
        expected = naive_conv2d(x, kernel, bias, amounts=amounts, mode=mode)
        np.testing.assert_allclose(results["winograd4"][0], expected, rtol=1e-10, atol=1e-11)
        for ours, theirs in zip(results["winograd4"][1:], results["winograd"][1:], strict=True):
            np.testing.assert_array_equal(ours, theirs)


def test_the_plan_takes_it_at_inference_only():
    """Under no_grad (predict) a 3×3 stride-1 layer with 3 input channels or more and 8
    filters or more takes F(4×4) forward; with gradients on, the training plan (F(2×2) for
    many channels, im2col for an RGB input), which rounds as before."""
    options = dict(padding="same")
    plan = ops.conv2d_plan((8, 32, 32, 32), (3, 3, 32, 32), inference=True, **options)
    assert plan.short() == "winograd4 / winograd / winograd" and "inference" in plan.why
    training = ops.conv2d_plan((8, 32, 32, 32), (3, 3, 32, 32), **options)
    assert training.short() == "winograd / winograd / winograd"
    rgb = ops.conv2d_plan((8, 32, 32, 3), (3, 3, 3, 32), inference=True, **options)
    assert rgb.forward == "winograd4"
    assert ops.conv2d_plan((8, 32, 32, 3), (3, 3, 3, 32), **options).forward == "im2col"
    grey = ops.conv2d_plan((8, 32, 32, 1), (3, 3, 1, 32), inference=True, **options)
    assert grey.forward == "im2col" and "C_in 1 < 3" in grey.why
    strided = ops.conv2d_plan((8, 32, 32, 3), (3, 3, 3, 32), strides=2, inference=True)
    assert strided.forward == "im2col"
    x, kernel, bias = arrays_for((2, 8, 8, 16), (3, 3, 16, 16), np.float32)
    with spies(winograd43, "forward") as calls, cl.no_grad():
        y = ops.conv2d(x, kernel, bias, padding="same")
    assert calls == ["forward"]
    expected = naive_conv2d(x.astype(float), kernel.astype(float), bias, amounts=((1, 1), (1, 1)))
    np.testing.assert_allclose(y.numpy(), expected, rtol=0, atol=2e-5 * np.abs(expected).max())


def test_a_model_predicts_through_it_as_it_computes_in_float64():
    model = cl.models.Sequential(
        [
            cl.layers.Input((12, 12, 16)),
            cl.layers.Conv2D(16, 3, padding="same", activation="relu"),
            cl.layers.Conv2D(4, 3),  # 4 filters: F(2×2)'s threshold says im2col
        ]
    )
    x = np.random.default_rng(3).standard_normal((3, 12, 12, 16)).astype(np.float32)
    assert model.layers[0].conv_plan(3).forward == "winograd"  # summary: the training plan
    with spies(winograd43, "forward") as calls:
        y = model.predict(x, verbose=0)
    assert calls == ["forward"]
    (k1, b1), (k2, b2) = ([w.astype(float) for w in layer.get_weights()] for layer in model.layers)
    hidden = np.maximum(naive_conv2d(x.astype(float), k1, b1, amounts=((1, 1), (1, 1))), 0)
    expected = naive_conv2d(hidden, k2, b2)
    np.testing.assert_allclose(y, expected, rtol=0, atol=2e-5 * np.abs(expected).max())


def test_without_numba_the_plan_does_not_offer_it(monkeypatch):
    without_numba(monkeypatch, "winograd43")
    assert winograd43.compiled() is None
    plan = ops.conv2d_plan((8, 16, 16, 16), (3, 3, 16, 16), padding="same", inference=True)
    assert plan.forward == "winograd"
    with pytest.raises(ValueError, match="winograd4 route cannot compute.*no Numba"):
        with kernels.force(forward="winograd4"):
            ops.conv2d(np.ones((1, 6, 6, 16)), np.ones((3, 3, 16, 16)))
