"""conv1d, depthwise and separable convolutions against the loop oracle, PyTorch and central
differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import naive_conv2d, torch_conv2d
from convlens import ops
from oracle import assert_gradients, check_op, torch_or_skip


def rng_for(*shapes):
    return np.random.default_rng(abs(hash(shapes)) % 2**32)


# ----- conv1d -----


@st.composite
def conv1d_cases(draw):
    groups = draw(st.sampled_from([1, 2]))
    c_in, filters = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    N, L, K = draw(st.integers(1, 3)), draw(st.integers(1, 9)), draw(st.integers(1, 4))
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "causal"]),
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
        )
    )
    if padding == "valid" and dilation * (K - 1) + 1 > L:
        padding = "causal"  # always fits
    if isinstance(padding, int) and dilation * (K - 1) + 1 > L + 2 * padding:
        padding = "same"
    if isinstance(padding, tuple) and dilation * (K - 1) + 1 > L + sum(padding):
        padding = "same"
    return (
        (N, L, c_in),
        (K, c_in // groups, filters),
        dict(strides=stride, padding=padding, dilation_rate=dilation, groups=groups),
    )


def naive_conv1d(x, kernel, bias, strides, padding, dilation_rate, groups):
    """Through the 2-D loop oracle with height 1; causal = D (K - 1) zeros on the left only."""
    K = kernel.shape[0]
    L = x.shape[1]
    if padding == "causal":
        pair = (dilation_rate * (K - 1), 0)
    elif padding == "same":
        total = max((-(-L // strides) - 1) * strides + dilation_rate * (K - 1) + 1 - L, 0)
        pair = (total // 2, total - total // 2)
    elif padding == "valid":
        pair = (0, 0)
    else:
        pair = (padding, padding) if isinstance(padding, int) else padding
    y = naive_conv2d(
        x[:, None], kernel[None], bias, (1, strides), ((0, 0), pair), (1, dilation_rate), groups
    )
    return y[:, 0]


@given(case=conv1d_cases())
def test_conv1d_matches_the_loop_definition_and_central_differences(case):
    x_shape, kernel_shape, options = case
    rng = rng_for(x_shape, kernel_shape)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    bias = rng.standard_normal(kernel_shape[-1])
    check_op(
        lambda x, k, b: ops.conv1d(x, k, b, **options),
        lambda x, k, b: naive_conv1d(x, k, b, **options),
        x,
        kernel,
        bias,
    )
    check_op(
        lambda x, k, b: ops.conv1d(x, k, b, data_format="channels_first", **options),
        lambda x, k, b: naive_conv1d(x.transpose(0, 2, 1), k, b, **options).transpose(0, 2, 1),
        x.transpose(0, 2, 1),
        kernel,
        bias,
        grad=False,
    )


def test_conv1d_causal_matches_torch_left_padding():
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((2, 10, 3)), rng.standard_normal((3, 3, 4))
    ours = ops.conv1d(x, kernel, padding="causal", dilation_rate=2).numpy()
    t = torch.nn.functional.pad(torch.tensor(x.transpose(0, 2, 1)), (4, 0))
    expected = torch.nn.functional.conv1d(t, torch.tensor(kernel.transpose(2, 1, 0)), dilation=2)
    np.testing.assert_allclose(ours, expected.numpy().transpose(0, 2, 1))


def test_causal_output_never_sees_the_future():
    x = cl.Tensor(np.random.default_rng(1).standard_normal((1, 8, 2)), requires_grad=True)
    y = ops.conv1d(x, np.ones((3, 2, 1)), padding="causal")
    y[:, 4].sum().backward()
    assert np.all(x.grad[0, 5:] == 0) and np.all(x.grad[0, 2:5] != 0)


def test_conv1d_accepts_one_tuples_like_the_layer_passes():
    y = ops.conv1d(np.ones((1, 9, 2)), np.ones((3, 2, 1)), strides=(2,), dilation_rate=(1,))
    assert y.shape == (1, 4, 1)


@pytest.mark.parametrize(
    "x, kernel, kwargs, message",
    [
        (
            np.ones((2, 9)),
            np.ones((3, 1, 1)),
            {},
            r"conv1d: expected a 3-D input \(batch, steps, channels\), received shape \(2, 9\)\.",
        ),
        (np.ones((2, 9, 1)), np.ones((3, 3)), {}, r"conv1d: expected a 3-D kernel"),
        (
            np.ones((2, 9, 2)),
            np.ones((3, 3, 1)),
            {},
            r"conv1d: expected input with 3 channels on axis -1",
        ),
        (
            np.ones((2, 9, 2)),
            np.ones((3, 2, 1)),
            dict(strides=(1, 1)),
            r"conv1d: strides must be an int or a 1-tuple of ints, received \(1, 1\)",
        ),
        (
            np.ones((2, 2, 2)),
            np.ones((3, 2, 1)),
            {},
            r"conv1d: kernel of size 3 is larger than the padded input of size 2",
        ),
        (np.ones((2, 9, 2)), np.ones((3, 2, 1)), dict(padding="full"), r"conv1d: Unknown padding"),
    ],
)
def test_conv1d_rejects_bad_input(x, kernel, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.conv1d(x, kernel, **kwargs)


# ----- depthwise and separable -----


@given(
    multiplier=st.integers(1, 3),
    channels=st.integers(1, 4),
    size=st.integers(3, 7),
    strides=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    mode=st.sampled_from(["zeros", "reflect"]),
)
def test_depthwise_matches_torch_groups_equal_channels(
    multiplier, channels, size, strides, padding, mode
):
    torch = torch_or_skip()
    rng = rng_for((multiplier, channels, size))
    x = rng.standard_normal((2, size, size, channels))
    kernel = rng.standard_normal((3, 3, channels, multiplier))  # Keras's depthwise layout
    bias = rng.standard_normal(channels * multiplier)
    ours = ops.depthwise_conv2d(x, kernel, bias, strides, padding, padding_mode=mode).numpy()
    amounts = cl.kernels.geometry.resolve_padding(padding, (size, size), (3, 3), (strides, strides))
    # channel c, multiplier m -> output c*M + m, which is torch's order for groups = C
    expected = torch_conv2d(
        torch,
        x,
        kernel.reshape(3, 3, 1, channels * multiplier),
        bias,
        (strides, strides),
        amounts,
        groups=channels,
        mode=mode,
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)
    assert_gradients(
        lambda x, k, b: ops.depthwise_conv2d(x, k, b, strides, padding, padding_mode=mode),
        x,
        kernel,
        bias,
    )


def test_separable_is_depthwise_then_pointwise():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 5, 3))
    depthwise, pointwise = rng.standard_normal((3, 3, 3, 2)), rng.standard_normal((1, 1, 6, 4))
    bias = rng.standard_normal(4)
    amounts = ((1, 1), (1, 1))

    def oracle(x, d, p, b):
        middle = naive_conv2d(x, d.reshape(3, 3, 1, 6), None, (2, 2), amounts, groups=3)
        return naive_conv2d(middle, p, b)

    check_op(
        lambda x, d, p, b: ops.separable_conv2d(x, d, p, b, strides=2, padding=1),
        oracle,
        x,
        depthwise,
        pointwise,
        bias,
    )
    check_op(
        lambda x, d, p, b: ops.separable_conv2d(
            x, d, p, b, strides=2, padding=1, data_format="channels_first"
        ),
        lambda x, d, p, b: oracle(x.transpose(0, 2, 3, 1), d, p, b).transpose(0, 3, 1, 2),
        x.transpose(0, 3, 1, 2),
        depthwise,
        pointwise,
        bias,
        grad=False,
    )


def test_depthwise_and_separable_reject_bad_kernels():
    with pytest.raises(
        ValueError,
        match=r"depthwise_conv2d: expected input with 2 channels on axis -1 "
        r"\(the depthwise kernel's third axis\)",
    ):
        ops.depthwise_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 1)))
    with pytest.raises(
        ValueError,
        match=r"depthwise_conv2d: expected a 4-D kernel \(kernel_height, "
        r"kernel_width, channels, depth_multiplier\)",
    ):
        ops.depthwise_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3)))
    with pytest.raises(
        ValueError,
        match=r"separable_conv2d: expected a pointwise kernel of shape "
        r"\(1, 1, channels \* depth_multiplier, filters\) = "
        r"\(1, 1, 6, filters\), received shape \(3, 3, 6, 4\)",
    ):
        ops.separable_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2)), np.ones((3, 3, 6, 4)))
    with pytest.raises(
        ValueError,
        match=r"separable_conv2d: expected a pointwise kernel .* "
        r"received shape \(1, 1, 5, 4\)",
    ):
        ops.separable_conv2d(np.ones((1, 5, 5, 3)), np.ones((3, 3, 3, 2)), np.ones((1, 1, 5, 4)))
    with pytest.raises(
        ValueError,
        match=r"separable_conv2d: expected input with 3 channels on "
        r"axis 1 \(the depthwise kernel's third axis\)",
    ):
        ops.separable_conv2d(
            np.ones((1, 2, 5, 5)),
            np.ones((3, 3, 3, 2)),
            np.ones((1, 1, 6, 4)),
            data_format="channels_first",
        )
