"""conv2d_transpose against JAX's route (Keras 3's definition), PyTorch, the adjoint identity
with conv2d (TensorFlow's definition) and central differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from conv_oracle import keras_jax_transpose_padding, naive_conv2d_transpose, torch_conv2d_transpose
from convlens import ops
from oracle import check_op, host, torch_or_skip


def rng_for(*shapes):
    return np.random.default_rng(abs(hash(shapes)) % 2**32)


@st.composite
def transpose_cases(draw):
    strides = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    output_padding = draw(
        st.one_of(
            st.none(), st.tuples(st.integers(0, strides[0] - 1), st.integers(0, strides[1] - 1))
        )
    )
    options = dict(
        strides=strides,
        padding=draw(st.sampled_from(["valid", "same"])),
        output_padding=output_padding,
        dilation_rate=(draw(st.integers(1, 2)), draw(st.integers(1, 2))),
    )
    x_shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 3)),
    )
    kernel_shape = (
        draw(st.integers(1, 4)),
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
        x_shape[-1],
    )
    return x_shape, kernel_shape, options


def output_is_empty(x_shape, kernel_shape, options):
    return any(
        cl.ops.conv_transpose_output_size(
            x_shape[1 + a],
            kernel_shape[a],
            options["strides"][a],
            options["padding"],
            None if options["output_padding"] is None else options["output_padding"][a],
            options["dilation_rate"][a],
        )
        < 1
        for a in (0, 1)
    )


@given(case=transpose_cases())
def test_transpose_matches_jax_route_and_central_differences(case):
    x_shape, kernel_shape, options = case
    if output_is_empty(x_shape, kernel_shape, options):
        with pytest.raises(ValueError, match="conv2d_transpose: the output would be empty"):
            ops.conv2d_transpose(np.ones(x_shape), np.ones(kernel_shape), **options)
        return
    rng = rng_for(x_shape, kernel_shape)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    bias = rng.standard_normal(kernel_shape[2])
    output_padding = options["output_padding"] or (None, None)
    check_op(
        lambda x, k, b: ops.conv2d_transpose(x, k, b, **options),
        lambda x, k, b: naive_conv2d_transpose(
            x,
            k,
            b,
            options["strides"],
            options["padding"],
            output_padding,
            options["dilation_rate"],
        ),
        x,
        kernel,
        bias,
    )


@given(case=transpose_cases())
def test_transpose_matches_torch(case):
    torch = torch_or_skip()
    x_shape, kernel_shape, options = case
    if output_is_empty(x_shape, kernel_shape, options):
        return
    rng = rng_for(x_shape, kernel_shape)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    crops = []  # Keras's torch backend: the full output, cropped by (F_d - 1) - the JAX pads
    for a in (0, 1):
        span = options["dilation_rate"][a] * (kernel_shape[a] - 1) + 1
        left, right = keras_jax_transpose_padding(
            kernel_shape[a],
            options["strides"][a],
            options["dilation_rate"][a],
            options["padding"],
            None if options["output_padding"] is None else options["output_padding"][a],
        )
        crops.append((span - 1 - left, span - 1 - right))
    expected = torch_conv2d_transpose(
        torch, x, kernel, options["strides"], options["dilation_rate"], crops
    )
    ours = ops.conv2d_transpose(x, kernel, **options).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


@given(case=transpose_cases())
def test_transpose_is_the_adjoint_of_conv2d(case):
    # <conv2d(z, W), x> = <z, conv2d_transpose(x, W)>: TensorFlow's definition (the input gradient)
    x_shape, kernel_shape, options = case
    if options["output_padding"] is not None or output_is_empty(x_shape, kernel_shape, options):
        return  # without output_padding the conv is the plain "valid"/"same" one
    rng = rng_for(x_shape, kernel_shape)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    y = ops.conv2d_transpose(x, kernel, **options).numpy()
    z = rng.standard_normal(y.shape)
    conv = ops.conv2d(
        z,
        kernel,
        strides=options["strides"],
        padding=options["padding"],
        dilation_rate=options["dilation_rate"],
    ).numpy()
    assert conv.shape == x.shape
    np.testing.assert_allclose((conv * x).sum(), (z * y).sum(), rtol=1e-10)


def test_transpose_channels_first_and_float32():
    rng = np.random.default_rng(3)
    x, kernel, bias = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((3, 3, 5, 2)), None
    check_op(
        lambda x, k: ops.conv2d_transpose(
            x, k, strides=2, padding="same", data_format="channels_first"
        ),
        lambda x, k: naive_conv2d_transpose(
            x.transpose(0, 2, 3, 1), k, bias, (2, 2), "same"
        ).transpose(0, 3, 1, 2),
        x.transpose(0, 3, 1, 2),
        kernel,
    )
    x32 = cl.Tensor(x.astype(np.float32), requires_grad=True)
    w32 = cl.Tensor(kernel.astype(np.float32), requires_grad=True)
    y = ops.conv2d_transpose(x32, w32, strides=2)
    y.sum().backward()
    assert y.dtype == x32.grad.dtype == w32.grad.dtype == np.float32
    np.testing.assert_allclose(
        y.numpy(), naive_conv2d_transpose(x, kernel, None, (2, 2)), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(padding="full"),
            r'conv2d_transpose: padding must be "valid" or "same", received '
            r"'full'\.",
        ),
        (dict(padding=1), r'conv2d_transpose: padding must be "valid" or "same"'),
        (
            dict(strides=2, output_padding=2),
            r"conv2d_transpose: output_padding must be None, or an int or a pair of ints each at "
            r"least 0 and smaller than the strides \(2, 2\), received 2\.",
        ),
        (dict(output_padding=(0, -1), strides=2), r"output_padding must be None"),
        (dict(strides=0), r"conv2d_transpose: strides must be positive"),
        (dict(data_format="nchw"), r"conv2d_transpose: unknown data_format 'nchw'"),
        (dict(bias=np.ones(3)), r"conv2d_transpose: expected a bias of shape \(4,\)"),
    ],
)
def test_transpose_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 3, 4, 2)), **kwargs)


def test_transpose_rejects_mismatched_channels_and_ranks():
    with pytest.raises(
        ValueError,
        match=r"conv2d_transpose: expected input with 2 channels on "
        r"axis -1 \(the kernel's last axis\), received shape "
        r"\(1, 3, 3, 4\)\.",
    ):
        ops.conv2d_transpose(np.ones((1, 3, 3, 4)), np.ones((3, 3, 4, 2)))
    with pytest.raises(
        ValueError,
        match=r"conv2d_transpose: expected a 4-D kernel \(kernel_height, "
        r"kernel_width, filters, input_channels\)",
    ):
        ops.conv2d_transpose(np.ones((1, 3, 3, 2)), np.ones((3, 4, 2)))
    with pytest.raises(ValueError, match=r"conv2d_transpose: expected a non-empty input"):
        ops.conv2d_transpose(np.ones((1, 0, 3, 2)), np.ones((3, 3, 4, 2)))


def test_transpose_kernel_gradient_without_an_input_gradient():
    rng = np.random.default_rng(4)
    x, kernel = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((3, 3, 5, 2))
    upstream = rng.standard_normal((2, 7, 9, 5))
    grads = []
    for x_needs_grad in (True, False):
        w = cl.Tensor(kernel, requires_grad=True)
        ops.conv2d_transpose(cl.Tensor(x, requires_grad=x_needs_grad), w, strides=2).backward(
            upstream
        )
        grads.append(host(w.grad))
    np.testing.assert_allclose(grads[0], grads[1])
