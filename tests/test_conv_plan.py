"""The dispatch point (kernels/conv_plan.py): every threshold on both of its sides, the plans of
the lecture's networks, every route forced onto every convolution it can compute and compared
with the loop definition and the im2col route, and clear errors for routes that cannot run."""

import importlib.util

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d
from convlens import kernels, ops
from convlens.kernels import conv_routes
from convlens.kernels.conv_plan import INPUT_GRAD_ROUTES, POOL_ROUTES, ROUTES, THRESHOLDS
from convlens.kernels.pool_plan import pool_plan
from oracle import check_op, numpy_only, spies
from test_conv import arrays_for, conv_cases, naive_with

needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="the direct and Winograd routes need numba"
)


def plan(x_shape, kernel_shape, **options):
    return ops.conv2d_plan(x_shape, kernel_shape, **options)


# Each threshold, as (name, the plan's answer on its side, the answer across it): the two
# problems differ only in the quantity the threshold bounds.
SIDES = {
    "direct_max_channels": (
        plan((8, 14, 14, 8), (5, 5, 8, 16)).forward,
        plan((8, 14, 14, 9), (5, 5, 9, 16)).forward,
    ),
    "direct_max_filters": (
        plan((8, 14, 14, 6), (5, 5, 6, 16)).forward,
        plan((8, 14, 14, 6), (5, 5, 6, 17)).forward,
    ),
    "direct_min_width": (
        plan((8, 14, 14, 6), (5, 5, 6, 16)).forward,
        plan((8, 14, 14, 6), (5, 4, 6, 16)).forward,
    ),
    "direct_min_batch": (
        plan((8, 28, 28, 1), (5, 5, 1, 6), padding="same").forward,
        plan((7, 28, 28, 1), (5, 5, 1, 6), padding="same").forward,
    ),
    "winograd_min_channels": (
        plan((8, 16, 16, 16), (3, 3, 16, 16), padding="same").forward,
        plan((8, 16, 16, 15), (3, 3, 15, 16), padding="same").forward,
    ),
    "winograd4_min_channels": (  # under no_grad only
        plan((8, 16, 16, 3), (3, 3, 3, 16), padding="same", inference=True).forward,
        plan((8, 16, 16, 2), (3, 3, 2, 16), padding="same", inference=True).forward,
    ),
    "winograd4_min_filters": (
        plan((8, 16, 16, 3), (3, 3, 3, 8), padding="same", inference=True).forward,
        plan((8, 16, 16, 3), (3, 3, 3, 7), padding="same", inference=True).forward,
    ),
    "banded_max_filters": (
        plan((4, 28, 28, 1), (5, 5, 1, 15), padding="same").forward,
        plan((4, 28, 28, 1), (5, 5, 1, 16), padding="same").forward,
    ),
    "banded_max_row": (
        plan((4, 28, 28, 3), (5, 5, 3, 6), padding="same").forward,
        plan((4, 28, 28, 4), (5, 5, 4, 6), padding="same").forward,
    ),
    "banded_min_block": (  # OW 28: blocks of 4 pixels; OW 27: blocks of 3
        plan((4, 28, 28, 1), (5, 5, 1, 6), padding="same").forward,
        plan((4, 28, 27, 1), (5, 5, 1, 6), padding="same").forward,
    ),
    "banded_max_input_channels": (
        plan((4, 16, 16, 15), (3, 3, 15, 32), strides=2).input_grad,
        plan((4, 16, 16, 16), (3, 3, 16, 32), strides=2).input_grad,
    ),
    "full_correlation_max_ratio": (  # 20·20·8 <= 16·16·32, but 20·20·21 > 16·16·32
        plan((4, 16, 16, 32), (5, 5, 32, 8), padding="same").input_grad,
        plan((4, 16, 16, 32), (5, 5, 32, 21), padding="same").input_grad,
    ),
    "keep_patches_bytes": (  # 13.5 MiB of float32 patches, 27 MiB of float64
        plan((128, 32, 32, 3), (3, 3, 3, 32), padding="same").keep_patches,
        plan((128, 32, 32, 3), (3, 3, 3, 32), padding="same", dtype="float64").keep_patches,
    ),
}


@numpy_only
@needs_numba
@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_every_threshold_decides_on_its_boundary(name):
    """Moving one quantity across a threshold changes the route: the table drives the plan."""
    inside, across = SIDES[name]
    assert inside != across, f"{name}: both sides gave {inside!r}"


def test_every_threshold_has_a_reason_and_a_benchmark_row():
    assert set(SIDES) == set(THRESHOLDS)  # a new threshold needs its boundary test above
    for name, threshold in THRESHOLDS.items():
        assert isinstance(threshold.value, int) and threshold.value > 0, name
        assert len(threshold.reason) > 40 and len(threshold.evidence) > 20, name


@numpy_only
@needs_numba
def test_the_plans_of_lenet5_and_the_cifar_cnn():
    """The lecture's two networks at their benchmark batch: what each layer takes, and why."""
    lenet1 = plan((128, 28, 28, 1), (5, 5, 1, 6), padding="same")
    lenet2 = plan((128, 14, 14, 6), (5, 5, 6, 16))
    cifar1 = plan((128, 32, 32, 3), (3, 3, 3, 32), padding="same")
    cifar2 = plan((128, 16, 16, 32), (3, 3, 32, 64), padding="same")
    assert repr(lenet1) == (
        'ConvPlan(forward="direct", input_grad="direct", kernel_grad="direct", '
        'why="C_in 1 <= 8, C_out 6 <= 16, KW 5 >= 5, batch 128 >= 8")'
    )
    assert lenet2.short() == "direct / direct / direct"
    assert cifar1.short() == "im2col / banded / im2col"
    assert "KW 3 < 5" in cifar1.why or "C_out 32 > 16" in cifar1.why
    assert "patches 13.5 MiB <= 16 MiB: kept" in cifar1.why
    assert cifar2.short() == "winograd / winograd / winograd"


def test_a_depthwise_kernel_takes_the_depthwise_route():
    assert (
        plan((2, 9, 9, 6), (3, 3, 1, 12), groups=6).short() == "depthwise / depthwise / depthwise"
    )


@given(case=conv_cases(), with_bias=st.booleans())
def test_the_im2col_route_forced_matches_the_loops_and_central_differences(case, with_bias):
    """The reference the other routes are compared with below, itself against the oracles."""
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    loops = naive_with(options, x_shape, kernel_shape)
    oracle = lambda x, k, b=None: loops(x, k, b)  # noqa: E731
    arrays = (x, kernel, bias) if with_bias else (x, kernel)
    with kernels.force("im2col"), spies(kernels.im2col, "forward", "kernel_grad") as calls:
        check_op(lambda x, k, b=None: ops.conv2d(x, k, b, **options), oracle, *arrays)
    assert {"forward", "kernel_grad"} <= set(calls)


def run(x, kernel, bias, options, upstream, activation=None, **forced):
    """conv2d's output and its three gradients, the passes forced as ``forced`` says."""
    tensors = [cl.Tensor(a, requires_grad=True) for a in (x, kernel, bias)]
    with kernels.force(**forced):
        y = ops.conv2d(*tensors, activation=activation, **options)
        y.backward(upstream)
    return [y.numpy(), *(t.grad for t in tensors)]


@given(
    case=conv_cases(),
    forward=st.sampled_from(ROUTES),
    input_grad=st.sampled_from(INPUT_GRAD_ROUTES),
    own_kernel_grad=st.booleans(),
    keep_patches=st.booleans(),
    relu=st.booleans(),
)
def test_every_route_gives_the_im2col_answers_wherever_it_can_run(
    case, forward, input_grad, own_kernel_grad, keep_patches, relu
):
    """Any forward route with any dX route, dW by the forward route or by im2col (from the
    padded input), patches kept or rebuilt, a fused ReLU or not: the same values and
    gradients as the im2col route, to float64 rounding; routes that cannot compute the
    convolution say so."""
    x_shape, kernel_shape, options = case
    x, kernel, bias = arrays_for(x_shape, kernel_shape)
    y = naive_with(options, x_shape, kernel_shape)(x, kernel, bias)
    upstream = np.random.default_rng(1).standard_normal(y.shape)
    activation = "relu" if relu else None
    if relu:  # a kink within rounding of a pre-activation would make the routes disagree
        assume(np.abs(y).min() > 1e-6)
    kernel_grad = forward if own_kernel_grad or forward == "direct" else "im2col"
    routes = dict(forward=forward, input_grad=input_grad, kernel_grad=kernel_grad)
    try:
        ours = run(
            x, kernel, bias, options, upstream, activation, keep_patches=keep_patches, **routes
        )
    except ValueError as error:  # the plan refused: the route cannot compute this convolution
        assert "cannot compute" in str(error)
        return
    reference = run(x, kernel, bias, options, upstream, activation, route="im2col")
    np.testing.assert_allclose(ours[0], np.maximum(y, 0) if relu else y, rtol=1e-10, atol=1e-12)
    for got, expected in zip(ours, reference, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("route", ROUTES)
def test_each_route_is_reached_when_forced(route):
    """A spy on the route's entry points sees the forward pass and a gradient of each."""
    groups = 3 if route == "depthwise" else 1
    x, kernel, bias = arrays_for((2, 7, 8, 3), (3, 3, 3 // groups, 6))
    module = conv_routes.ROUTE_MODULES[route]
    fused = hasattr(module, "gradients")
    names = ["forward", "gradients"] if fused else ["forward", "input_grad", "kernel_grad"]
    x, kernel = cl.Tensor(x, requires_grad=True), cl.Tensor(kernel, requires_grad=True)
    with spies(module, *names) as calls:
        with kernels.force(route):
            y = ops.conv2d(x, kernel, bias, groups=groups)
            y.sum().backward()
    assert y._ctx.plan.short() == f"{route} / {route} / {route}"
    assert calls == names  # dX and dW in one pass (direct, Winograd), or one each


def test_the_full_correlation_is_reached_when_forced():
    x, kernel, bias = arrays_for((2, 7, 8, 3), (3, 3, 3, 6))
    x = cl.Tensor(x, requires_grad=True)
    with kernels.force(input_grad="full_correlation"):
        with spies(conv_routes, "full_correlation") as calls:
            ops.conv2d(x, kernel, bias).sum().backward()
    assert calls == ["full_correlation"]


def test_unknown_routes_and_routes_that_cannot_run_are_refused_by_name():
    with pytest.raises(ValueError, match="unknown forward route 'fft'; expected one of direct"):
        with kernels.force(forward="fft"):
            pass
    with pytest.raises(ValueError, match="unknown pool route"):
        with kernels.force(pool="median"):
            pass
    x, kernel = np.ones((2, 6, 6, 2)), np.ones((3, 3, 1, 2))
    with pytest.raises(ValueError, match="depthwise route cannot compute.*one input channel"):
        with kernels.force("depthwise"):
            ops.conv2d(x, np.ones((3, 3, 2, 2)))
    with pytest.raises(ValueError, match="banded route cannot compute the input_grad.*groups 2"):
        with kernels.force(input_grad="banded"):
            ops.conv2d(x, kernel, groups=2)
    with pytest.raises(ValueError, match="kernel_grad='direct' reads the direct forward pass"):
        with kernels.force(forward="im2col", kernel_grad="direct"):
            ops.conv2d(x, np.ones((5, 5, 2, 2)), padding="same")


def test_force_nests_and_undoes_itself():
    shape, kernel = (128, 14, 14, 6), (5, 5, 6, 16)
    natural = plan(shape, kernel).short()
    with kernels.force(forward="im2col"):
        assert plan(shape, kernel).short().startswith("im2col / ")
        with kernels.force(input_grad="im2col"):
            assert plan(shape, kernel).short() == "im2col / im2col / im2col"
            assert plan(shape, kernel).why == "forced: forward=im2col, input_grad=im2col"
        assert plan(shape, kernel).short().startswith("im2col / ")
    assert plan(shape, kernel).short() == natural
    with kernels.force("im2col", input_grad="banded"):  # a pass named on its own keeps its route
        assert plan(shape, kernel).short() == "im2col / banded / im2col"


@numpy_only
@needs_numba
def test_the_pool_plan():
    def pooled(shape, pool=(2, 2), strides=(2, 2), dtype=np.float32):
        return pool_plan(shape, pool, strides, (1, 2), dtype)

    assert repr(pooled((8, 28, 28, 6))) == (
        'PoolPlan(forward="compiled_2x2", backward="compiled_2x2", '
        'why="2×2 windows tile the input; Numba")'
    )
    assert pooled((8, 28, 28, 6), dtype=np.float16).short() == "passes_2x2 / windows"
    assert pooled((8, 27, 28, 6)).forward == "windows"  # an odd height: no tiling
    assert pooled((8, 28, 28, 6), pool=(3, 3), strides=(2, 2)).forward == "windows"
    for route in POOL_ROUTES:
        with kernels.force(pool=route):
            assert pooled((8, 28, 28, 6)).forward == route
    with kernels.force(pool="compiled_2x2"), pytest.raises(ValueError, match="tile the input"):
        pooled((8, 28, 28, 6), pool=(3, 3))


@pytest.mark.parametrize("route", POOL_ROUTES)
@pytest.mark.parametrize("kind", ["max", "min"])
def test_each_pool_route_matches_the_windows_definition(route, kind):
    if route == "compiled_2x2" and importlib.util.find_spec("numba") is None:
        pytest.skip("the compiled route needs numba")
    x = np.random.default_rng(2).integers(0, 4, (3, 6, 8, 5)).astype(np.float64)  # ties
    pool = {"max": ops.max_pool2d, "min": ops.min_pool2d}[kind]
    upstream = np.random.default_rng(3).standard_normal((3, 3, 4, 5))
    answers = {}
    for forced in (route, "windows"):
        tensor = cl.Tensor(x, requires_grad=True)
        with kernels.force(pool=forced):
            y = pool(tensor, 2)
            y.backward(upstream)
        assert y._ctx.plan.forward == forced
        answers[forced] = (y.numpy(), tensor.grad)
    windows = x.reshape(3, 3, 2, 4, 2, 5).transpose(0, 1, 3, 5, 2, 4).reshape(3, 3, 4, 5, 4)
    expected = windows.max(-1) if kind == "max" else windows.min(-1)
    for got, reference in zip(answers[route], answers["windows"], strict=True):
        np.testing.assert_array_equal(got, reference)
    np.testing.assert_array_equal(answers[route][0], expected)


def test_the_full_correlation_takes_its_own_forward_route():
    """dX as a convolution of dY runs the forward route the table picks for that shape."""
    x, kernel, bias = arrays_for((2, 9, 9, 8), (3, 3, 8, 4))
    assert plan(x.shape, kernel.shape, padding="same").input_grad == "full_correlation"
    oracle = naive_with(
        dict(strides=(1, 1), padding="same", dilation_rate=(1, 1), groups=1, padding_mode="zeros"),
        x.shape,
        kernel.shape,
    )
    check_op(lambda x, k, b: ops.conv2d(x, k, b, padding="same"), oracle, x, kernel, bias)
    np.testing.assert_allclose(
        ops.conv2d(x, kernel, bias, padding="same").numpy(),
        naive_conv2d(x, kernel, bias, amounts=((1, 1), (1, 1))),
        rtol=1e-10,
        atol=1e-12,
    )


def test_the_summary_shows_each_layers_route():
    """``summary(show_routes=...)`` adds a column: the plan of each conv layer and the route of
    each pooling, for the batch size asked; the layers' own plans say why."""
    model = cl.models.Sequential(
        [
            cl.layers.Input((12, 12, 6)),
            cl.layers.Conv2D(4, 3, strides=2, padding="same", name="conv2d"),
            cl.layers.DepthwiseConv2D(3, padding="same", name="depthwise_conv2d"),
            cl.layers.SeparableConv2D(8, 3, name="separable_conv2d"),
            cl.layers.Conv2DTranspose(4, 3, strides=2, name="conv2d_transpose"),
            cl.layers.AveragePooling2D(name="average_pooling2d"),
            cl.layers.Reshape((-1, 4), name="reshape"),
            cl.layers.Conv1D(3, 5, padding="causal", name="conv1d"),
        ]
    )
    lines = []
    model.summary(print_fn=lines.append, show_routes=16)
    assert "Route (forward / dX / dW)" in lines[2]
    rows = {line.split()[0]: line for line in lines[4:11]}
    expected = {
        "conv2d": plan((16, 12, 12, 6), (3, 3, 6, 4), strides=2, padding="same"),
        "depthwise_conv2d": plan((16, 6, 6, 4), (3, 3, 1, 4), padding="same", groups=4),
        "separable_conv2d": plan((16, 6, 6, 4), (3, 3, 1, 4), groups=4),
        "conv2d_transpose": ops.conv2d_transpose_plan((16, 4, 4, 8), (3, 3, 4, 8), strides=2),
        "conv1d": ops.conv1d_plan((16, 20, 4), (5, 4, 3), padding="causal"),
    }
    for name, expected_plan in expected.items():
        layer = model.get_layer(name)
        assert layer.conv_plan(16) == expected_plan, name
        assert rows[name].rstrip().endswith(expected_plan.short()), rows[name]
    assert rows["average_pooling2d"].rstrip().endswith("windows")
    assert "Routes for a batch of 16" in lines[-1]
    plain = []
    model.summary(print_fn=plain.append)
    assert "Route" not in plain[2]


def test_layers_without_a_route_show_none():
    model = cl.models.Sequential(
        [
            cl.layers.Input((8, 8, 3)),
            cl.layers.MaxPooling2D(padding="same", name="max_pooling2d"),
            cl.layers.GlobalAveragePooling2D(name="global"),
            cl.layers.Dense(2, name="dense"),
        ]
    )
    lines = []
    model.summary(print_fn=lines.append, show_routes=True)
    rows = {line.split()[0]: line.split("│")[-1].strip() for line in lines[4:7]}
    expected_pool = model.get_layer("max_pooling2d").pool_plan(32).short()
    assert rows == {"max_pooling2d": expected_pool, "global": "", "dense": ""}
