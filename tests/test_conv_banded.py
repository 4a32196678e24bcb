"""The banded route (kernels/banded.py) against the loop definition: taken by the plan for few
channels, forced (``kernels.force``) everywhere it can run, and col2im forced where it would be
taken. With Numba, LeNet-5's layers take the direct route at batch 8 or more
(tests/test_conv_direct.py); these batches are smaller, so the banded route is the table's."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d
from convlens import kernels, ops
from convlens.kernels import banded
from convlens.kernels.geometry import resolve_padding
from oracle import check_op, spies
from test_conv import arrays_for, conv_cases, naive_with


@given(case=conv_cases())
def test_col2im_gives_the_same_gradients_as_the_banded_product(case):
    """Inputs with few channels take dX as one banded GEMM (the plan's
    ``banded_max_input_channels``); forcing the per-tap GEMMs and col2im instead must change
    nothing."""
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    oracle = naive_with(options, x_shape, kernel_shape)
    with kernels.force(input_grad="im2col"):
        check_op(lambda x, k, b: ops.conv2d(x, k, b, **options), oracle, x, kernel, bias)


@pytest.mark.parametrize(
    "x_shape, kernel_shape, strides, dilation",
    [
        ((3, 14, 14, 6), (5, 5, 6, 16), 1, 1),  # LeNet-5's second layer: blocks of 5 pixels
        ((2, 11, 13, 3), (3, 3, 3, 8), 2, 1),  # stride 2, OW = 6: blocks of 3
        ((2, 12, 11, 4), (2, 3, 4, 5), (1, 2), 2),  # dilated, OW = 3: one block per row
    ],
)
def test_narrow_inputs_take_the_banded_input_gradient(
    monkeypatch, x_shape, kernel_shape, strides, dilation
):
    calls = []
    input_grad = banded.input_grad
    monkeypatch.setattr(banded, "input_grad", lambda *a: calls.append(a) or input_grad(*a))
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    options = dict(strides=strides, dilation_rate=dilation)
    assert ops.conv2d_plan(x_shape, kernel_shape, **options).input_grad == "banded"
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    check_op(
        lambda x, k: ops.conv2d(x, k, **options),
        lambda x, k: naive_conv2d(x, k, None, pair(strides), ((0, 0), (0, 0)), pair(dilation)),
        x,
        kernel,
    )
    assert calls, "dX did not take the banded product"
    # float32 against float64: each dX value sums at most KH·KW·C_out = 400 O(1) products
    upstream = np.random.default_rng(7).standard_normal(ops.conv2d(x, kernel, **options).shape)
    grads = {}
    for dtype in (np.float32, np.float64):
        t = cl.Tensor(x.astype(dtype), requires_grad=True)
        ops.conv2d(t, kernel.astype(dtype), **options).backward(upstream.astype(dtype))
        grads[dtype] = t.grad
    assert grads[np.float32].dtype == np.float32
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-4, atol=1e-4)


@given(case=conv_cases(), rebuild=st.booleans(), channels_first=st.booleans())
def test_banded_forward_and_kernel_gradient_match_the_loop_definition(
    case, rebuild, channels_first
):
    """Every groups-1 convolution forced through the banded forward pass and dW (kept patches,
    or rebuilt in backward with ``rebuild``; a strided input with ``channels_first``): they
    must change nothing. Other groups: the banded route refuses them (it has no groups)."""
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    oracle = naive_with(options, x_shape, kernel_shape)
    if channels_first:
        options = dict(options, data_format="channels_first")
        x, loops = x.transpose(0, 3, 1, 2), oracle
        oracle = lambda x, k, b: loops(x.transpose(0, 2, 3, 1), k, b).transpose(0, 3, 1, 2)  # noqa: E731
    ours = lambda x, k, b: ops.conv2d(x, k, b, **options)  # noqa: E731
    if options["groups"] > 1:
        with kernels.force(forward="banded"), pytest.raises(ValueError, match="banded.*groups"):
            ours(x, kernel, bias)
        return
    with spies(banded, "forward", "kernel_grad") as calls:
        with kernels.force(forward="banded", keep_patches=not rebuild):
            check_op(ours, oracle, x, kernel, bias)
    assert {"forward", "kernel_grad"} <= set(calls)


@pytest.mark.parametrize("rebuild", [False, True])
def test_grey_first_layer_takes_the_banded_forward_pass(monkeypatch, rebuild):
    """LeNet-5's first layer (28×28×1 -> 6 5×5 "same": blocks of 4 pixels) takes the banded
    forward pass and dW; against the loops in float64, and float32 against float64."""
    calls = []
    for name in ("forward", "kernel_grad_from_patches", "kernel_grad_from_input"):
        function = getattr(banded, name)
        spy = lambda *a, f=function, name=name: calls.append(name) or f(*a)  # noqa: E731
        monkeypatch.setattr(banded, name, spy)
    x, kernel, bias = arrays_for((2, 28, 28, 1), (5, 5, 1, 6))
    assert (
        ops.conv2d_plan(x.shape, kernel.shape, padding="same").short() == "banded / banded / banded"
    )
    amounts = resolve_padding("same", (28, 28), (5, 5), (1, 1))
    with kernels.force(keep_patches=not rebuild):
        check_op(
            lambda x, k, b: ops.conv2d(x, k, b, padding="same"),
            lambda x, k, b: naive_conv2d(x, k, b, (1, 1), amounts),
            x,
            kernel,
            bias,
            wrt=(1, 2),
        )
    dw_path = "kernel_grad_from_input" if rebuild else "kernel_grad_from_patches"
    assert "forward" in calls and dw_path in calls
    upstream = np.random.default_rng(8).standard_normal((2, 28, 28, 6))
    grads = {}
    for dtype in (np.float32, np.float64):
        w = cl.Tensor(kernel.astype(dtype), requires_grad=True)
        ops.conv2d(x.astype(dtype), w, padding="same").backward(upstream.astype(dtype))
        grads[dtype] = w.grad
    # each dW value sums 2·28·28 = 1568 O(1) products: float32 keeps about 4 digits of them
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-4, atol=1e-3)


def test_banded_forward_reads_a_strided_input(monkeypatch):
    """A channels-first input reaches the kernels as a transposed view (no padding copies it):
    the banded patches must follow its strides."""
    calls = []
    forward = banded.forward
    monkeypatch.setattr(banded, "forward", lambda *a: calls.append(a[0].strides) or forward(*a))
    x, kernel, bias = arrays_for((2, 9, 12, 2), (5, 5, 2, 3))
    check_op(
        lambda x, k, b: ops.conv2d(x, k, b, data_format="channels_first"),
        lambda x, k, b: naive_conv2d(x.transpose(0, 2, 3, 1), k, b).transpose(0, 3, 1, 2),
        x.transpose(0, 3, 1, 2),
        kernel,
        bias,
    )
    assert calls
