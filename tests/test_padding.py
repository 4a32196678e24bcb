"""Padding arithmetic and the pad op: definitions by index, PyTorch's F.pad, central differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from convlens import ops
from convlens.kernels.geometry import (
    conv_output_size,
    conv_transpose_output_size,
    resolve_padding,
    same_padding,
)
from convlens.ops.padding import to_pair
from oracle import assert_gradients, check_op, host, torch_or_skip

MODES = ("zeros", "reflect", "replicate", "circular")


def source_index(i, n, mode):
    """Which input index padded position i (relative to the first input pixel) copies, or None."""
    if 0 <= i < n:
        return i
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(i, 0), n - 1)
    if mode == "circular":
        return i % n
    while not 0 <= i < n:  # reflect: mirror about the edge pixels, never repeating them
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


def naive_pad(x, amounts, mode):
    """NHWC padding by its definition: each output pixel looked up in the input."""
    (top, bottom), (left, right) = amounts
    N, H, W, C = x.shape
    out = np.zeros((N, H + top + bottom, W + left + right, C))
    for r in range(out.shape[1]):
        for c in range(out.shape[2]):
            i, j = source_index(r - top, H, mode), source_index(c - left, W, mode)
            if i is not None and j is not None:
                out[:, r, c] = x[:, i, j]
    return out


@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(MODES))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    limit = {"zeros": 4, "replicate": 4}
    top, bottom = (
        draw(st.integers(0, limit.get(mode, H - 1 if mode == "reflect" else H))) for _ in range(2)
    )
    left, right = (
        draw(st.integers(0, limit.get(mode, W - 1 if mode == "reflect" else W))) for _ in range(2)
    )
    shape = (draw(st.integers(1, 2)), H, W, draw(st.integers(1, 3)))
    return shape, ((top, bottom), (left, right)), mode


@given(case=pad_cases(), channels_first=st.booleans())
def test_pad_matches_its_definition_and_central_differences(case, channels_first):
    shape, amounts, mode = case
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    if channels_first:
        check_op(
            lambda t: ops.pad(t, amounts, mode, "channels_first"),
            lambda a: naive_pad(a.transpose(0, 2, 3, 1), amounts, mode).transpose(0, 3, 1, 2),
            x.transpose(0, 3, 1, 2),
        )
    else:
        check_op(lambda t: ops.pad(t, amounts, mode), lambda a: naive_pad(a, amounts, mode), x)


@given(case=pad_cases())
def test_pad_matches_torch_forward_and_backward(case):
    torch = torch_or_skip()
    shape, ((top, bottom), (left, right)), mode = case
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    torch_mode = "constant" if mode == "zeros" else mode
    expected = torch.nn.functional.pad(t, (left, right, top, bottom), mode=torch_mode)
    upstream = rng.standard_normal(tuple(expected.shape))
    expected.backward(torch.tensor(upstream))
    ours = cl.Tensor(x, requires_grad=True)
    y = ops.pad(ours, ((top, bottom), (left, right)), mode)
    y.backward(upstream.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy().transpose(0, 2, 3, 1))
    np.testing.assert_allclose(host(ours.grad), t.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)


def test_pad_accepts_int_pair_and_nested_pairs():
    x = np.ones((1, 2, 3, 1))
    assert ops.pad(x, 1).shape == (1, 4, 5, 1)
    assert ops.pad(x, (1, 2)).shape == (1, 4, 7, 1)
    assert ops.pad(x, ((0, 1), (2, 0))).shape == (1, 3, 5, 1)


def test_pad_keeps_float32():
    x = cl.Tensor(np.ones((1, 3, 3, 2), np.float32), requires_grad=True)
    y = ops.pad(x, 1, "reflect")
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_replicate_gradient_collects_the_whole_border_on_the_edge_pixel():
    x = cl.Tensor(np.zeros((1, 1, 3, 1)), requires_grad=True)
    ops.pad(x, ((0, 0), (3, 2)), "replicate").sum().backward()
    np.testing.assert_array_equal(host(x.grad)[0, 0, :, 0], [4, 1, 3])


def test_reflect_gradient_by_hand():
    # x = [a, b, c] reflected by 2 on the left: [c, b, a, b, c]; b and c each appear twice
    x = cl.Tensor(np.zeros((1, 1, 3, 1)), requires_grad=True)
    ops.pad(x, ((0, 0), (2, 0)), "reflect").sum().backward()
    np.testing.assert_array_equal(host(x.grad)[0, 0, :, 0], [1, 2, 2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(padding=1, mode="edge"),
            r"pad: unknown padding mode 'edge'; expected one of zeros, reflect, replicate, "
            r"circular",
        ),
        (
            dict(padding=3, mode="reflect"),
            r"pad: reflect padding must be smaller than the size of the padded axis; received "
            r"padding \(3, 3\) for axis 1 of size 3",
        ),
        (dict(padding=4, mode="circular"), r"circular padding must be at most the size"),
        (
            dict(padding=1, data_format="nhwc"),
            r"pad: unknown data_format 'nhwc'; expected one of channels_last, channels_first",
        ),
        (dict(padding=-1), r"Padding must not be negative, received -1"),
        (dict(padding="same"), r"pad: padding must be an int, a pair or"),
        (dict(padding=(1, 2, 3)), r"Malformed padding \(1, 2, 3\)"),
    ],
)
def test_pad_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.pad(np.ones((1, 3, 3, 1)), **kwargs)


def test_pad_rejects_a_wrong_rank():
    with pytest.raises(ValueError, match=r"pad: expected a 4-D input .* received shape \(3, 3\)"):
        ops.pad(np.ones((3, 3)), 1)


def test_replicate_cannot_pad_an_empty_axis():
    with pytest.raises(ValueError, match=r"replicate padding .* axis 1 of size 0"):
        ops.pad(np.ones((1, 0, 3, 1)), 1, "replicate")


def test_pad_gradient_in_float64_for_every_mode():
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 3))
    for mode in MODES:
        assert_gradients(lambda t, mode=mode: ops.pad(t, ((3, 1), (2, 4)), mode), x)


# ----- the arithmetic -----


def test_output_size_formula_of_the_lecture():
    # (N + 2P - F)/S + 1, the stride & padding slides, and the colour-image slide's S=2, P=1, F=3
    for n, f, s, p in [
        (4, 2, 1, 0),
        (4, 2, 2, 0),
        (4, 2, 1, 1),
        (4, 2, 1, 2),
        (5, 3, 2, 1),
        (7, 3, 2, 1),
        (28, 5, 1, 2),
        (32, 5, 1, 0),
    ]:
        assert conv_output_size(n, f, s, p) == (n + 2 * p - f) // s + 1


def test_output_size_with_dilation_and_uneven_padding():
    assert conv_output_size(9, 3, 1, (1, 0), dilation=2) == (9 + 1 - 2 * 2 - 1) + 1
    with pytest.raises(ValueError, match=r"kernel of size 3 \(dilated to 5\) is larger"):
        conv_output_size(4, 3, dilation=2)


@given(n=st.integers(1, 40), f=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_same_padding_keeps_ceil_n_over_s_and_puts_the_odd_pixel_last(n, f, s, d):
    before, after = same_padding(n, f, s, d)
    assert after - before in (0, 1)
    span = d * (f - 1) + 1
    if span <= n + before + after:
        assert conv_output_size(n, f, s, (before, after), d) == -(-n // s)


def test_resolve_padding_forms():
    assert resolve_padding("valid", (5, 5), (3, 3)) == ((0, 0), (0, 0))
    assert resolve_padding("SAME", (5, 6), (3, 2)) == ((1, 1), (0, 1))
    assert resolve_padding(2, (5, 5), (3, 3)) == ((2, 2), (2, 2))
    assert resolve_padding((1, 2), (5, 5), (3, 3)) == ((1, 1), (2, 2))
    assert resolve_padding([(1, 0), (0, 2)], (5, 5), (3, 3)) == ((1, 0), (0, 2))
    assert resolve_padding(np.int64(1), (5, 5), (3, 3)) == ((1, 1), (1, 1))


def test_to_pair_accepts_numpy_ints_and_rejects_the_rest():
    assert to_pair(np.int32(2), "strides") == (2, 2)
    assert to_pair((1, np.int64(3)), "strides") == (1, 3)
    for bad in (0, (1, 0), 1.5, (1, 2, 3), True, "2"):
        with pytest.raises(ValueError, match="strides must be"):
            to_pair(bad, "strides")


@given(
    n=st.integers(1, 8),
    f=st.integers(1, 5),
    s=st.integers(1, 4),
    d=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same"]),
    data=st.data(),
)
def test_transpose_output_size_is_keras_formula(n, f, s, d, padding, data):
    # keras deconv_output_length, written out
    span = f + (f - 1) * (d - 1)
    op = data.draw(st.one_of(st.none(), st.integers(0, s - 1)))
    if op is None:
        expected = n * s + max(span - s, 0) if padding == "valid" else n * s
    else:
        pad = span // 2 if padding == "same" else 0
        expected = (n - 1) * s + span - 2 * pad + op
    assert conv_transpose_output_size(n, f, s, padding, op, d) == expected
