"""The lecture's worked examples, exactly, as traces; traces equal the ops; text and pictures."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convlens import explain, ops

IMAGE = [[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]]  # slide "The Convolution Operator"
KERNEL = [[1, 0], [1, -1]]
POOL_IMAGE = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]  # slide "Pooling Layer"
POOL_OPS = {"max": ops.max_pool2d, "min": ops.min_pool2d, "mean": ops.avg_pool2d}


def conv2d_2d(image, kernel, **options):
    """``ops.conv2d`` on one grey image, float64."""
    x = np.asarray(image, np.float64)[None, :, :, None]
    w = np.asarray(kernel, np.float64)[:, :, None, None]
    return ops.conv2d(x, w, **options).numpy()[0, :, :, 0]


def pool2d_2d(mode, image, **options):
    return POOL_OPS[mode](np.asarray(image, np.float64)[None, :, :, None], **options).numpy()[
        0, :, :, 0
    ]


def test_slide_the_convolution_operator_first_step():
    step = explain.explain_conv(IMAGE, KERNEL).steps[0]
    assert (step.row, step.col, step.rows, step.cols) == (0, 0, (0, 1), (0, 1))
    assert step.window.tolist() == [[5, 2], [6, 7]]
    assert step.products.ravel().tolist() == [5, 0, 6, -7]
    assert step.total == 4 and step.value == 4


def test_slide_the_convolution_operator_full_output_in_order():
    trace = explain.explain_conv(IMAGE, KERNEL)
    assert trace.output.tolist() == [[4, 1, 6], [5, 8, 7], [5, 3, 3]]
    assert [step.value for step in trace.steps] == [4, 1, 6, 5, 8, 7, 5, 3, 3]  # slide order
    assert [(s.row, s.col) for s in trace.steps[:4]] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert trace.sizes[0].formula == "(N + 2P - D(F-1) - 1)/S + 1 = (4 + 0 - 1 - 1)/1 + 1 = 3"


def test_slide_stride_and_padding_s2():
    trace = explain.explain_conv(IMAGE, KERNEL, stride=2)
    assert trace.output.tolist() == [[4, 6], [5, 3]]
    assert [s.rows[0] for s in trace.steps] == [0, 0, 2, 2]
    assert trace.sizes[1].formula == "(N + 2P - D(F-1) - 1)/S + 1 = (4 + 0 - 1 - 1)/2 + 1 = 2"


def test_output_size_formula_floors_when_the_stride_does_not_divide():
    trace = explain.explain_conv(IMAGE, np.ones((3, 3)), stride=2)  # (4 - 3)/2 = 0.5
    assert trace.output.shape == (1, 1)
    assert trace.sizes[0].formula == (
        "floor((N + 2P - D(F-1) - 1)/S) + 1 = floor((4 + 0 - 2 - 1)/2) + 1 = 1"
    )


def test_slide_stride_and_padding_p1():
    trace = explain.explain_conv(IMAGE, KERNEL, padding=1)
    expected = np.zeros((6, 6))
    expected[1:5, 1:5] = IMAGE
    np.testing.assert_array_equal(trace.padded, expected)
    assert trace.output.shape == (5, 5)
    assert trace.sizes[0].formula == "(N + 2P - D(F-1) - 1)/S + 1 = (4 + 2 - 1 - 1)/1 + 1 = 5"
    np.testing.assert_array_equal(trace.output, conv2d_2d(IMAGE, KERNEL, padding=1))


def test_slide_stride_and_padding_p2():
    trace = explain.explain_conv(IMAGE, KERNEL, padding=2)
    expected = np.zeros((8, 8))
    expected[2:6, 2:6] = IMAGE
    np.testing.assert_array_equal(trace.padded, expected)
    assert trace.output.shape == (7, 7)
    np.testing.assert_array_equal(trace.output, conv2d_2d(IMAGE, KERNEL, padding=2))


def test_slide_pooling_layer_max_pool_2x2_stride_2():
    trace = explain.explain_pool(POOL_IMAGE, pool_size=2, stride=2, mode="max")
    assert trace.output.tolist() == [[6, 8], [3, 4]]
    assert [s.position for s in trace.steps] == [(1, 1), (1, 3), (2, 0), (3, 3)]
    assert trace.steps[0].window.tolist() == [[1, 1], [5, 6]]


def test_slide_pooling_min_and_mean_on_the_same_image():
    minimum = explain.explain_pool(POOL_IMAGE, mode="min")
    assert minimum.output.tolist() == [[1, 2], [1, 0]]
    assert minimum.steps[0].position == (0, 0)  # the first of the two 1s, row by row
    mean = explain.explain_pool(POOL_IMAGE, mode="mean")
    assert mean.output.tolist() == [[3.25, 5.25], [2, 2]]
    assert (mean.steps[0].total, mean.steps[0].count) == (13, 4)


@given(
    height=st.integers(1, 7),
    width=st.integers(1, 7),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.integers(1, 2),
    padding=st.sampled_from(["valid", "same", 0, 1, (2, 1), ((0, 1), (2, 0))]),
    seed=st.integers(0, 2**16),
)
def test_conv_traces_equal_ops_conv2d(height, width, kernel, stride, dilation, padding, seed):
    rng = np.random.default_rng(seed)
    image = rng.integers(-9, 10, (height, width)).astype(float)
    weights = rng.integers(-3, 4, kernel).astype(float)
    options = dict(strides=stride, padding=padding, dilation_rate=dilation)
    try:
        expected = conv2d_2d(image, weights, **options)
    except ValueError:  # the kernel does not fit: the trace refuses it too
        with pytest.raises(ValueError, match="explain_conv: along the"):
            explain.explain_conv(image, weights, stride, padding, dilation)
        return
    trace = explain.explain_conv(image, weights, stride=stride, padding=padding, dilation=dilation)
    np.testing.assert_array_equal(trace.output, expected)
    assert (trace.sizes[0].value, trace.sizes[1].value) == expected.shape


@given(
    height=st.integers(1, 7),
    width=st.integers(1, 7),
    pool=st.integers(1, 3),
    stride=st.sampled_from([None, 1, 2, (1, 3)]),
    padding=st.sampled_from(["valid", "same"]),
    mode=st.sampled_from(explain.POOL_MODES),
    seed=st.integers(0, 2**16),
)
def test_pool_traces_equal_the_pooling_ops(height, width, pool, stride, padding, mode, seed):
    image = np.random.default_rng(seed).integers(-9, 10, (height, width)).astype(float)
    options = dict(pool_size=pool, strides=stride, padding=padding)
    try:
        expected = pool2d_2d(mode, image, **options)
    except ValueError:
        with pytest.raises(ValueError, match="explain_pool: along the"):
            explain.explain_pool(image, pool, stride, padding, mode)
        return
    trace = explain.explain_pool(image, pool, stride, padding, mode)
    np.testing.assert_allclose(trace.output, expected, rtol=1e-12)


def test_same_padding_in_pooling_never_counts_the_padded_cells():
    trace = explain.explain_pool(POOL_IMAGE, pool_size=3, stride=2, padding="same", mode="mean")
    assert trace.padding == ((0, 1), (0, 1))
    assert np.isnan(trace.padded[4]).all() and np.isnan(trace.padded[:, 4]).all()
    assert (trace.steps[1].total, trace.steps[1].count) == (22, 6)
    assert trace.sizes[0].formula.startswith("(N + P_before + P_after - D(F-1) - 1)/S + 1")


def test_kernel_by_name_and_dilation():
    trace = explain.explain_conv(
        np.arange(25.0).reshape(5, 5), "vertical_edge", dilation=2, padding="same"
    )
    assert trace.steps[0].rows == (0, 2, 4) and trace.padding == ((2, 2), (2, 2))
    np.testing.assert_array_equal(
        trace.output,
        conv2d_2d(np.arange(25.0).reshape(5, 5), [[-1, 0, 1]] * 3, padding="same", dilation_rate=2),
    )


# ----- text -----


def test_format_text_reads_like_the_slides():
    text = explain.format_text(explain.explain_conv(IMAGE, KERNEL))
    assert "(N + 2P - D(F-1) - 1)/S + 1 = (4 + 0 - 1 - 1)/1 + 1 = 3" in text
    assert "step 1: output[0, 0] <- window rows 0-1, columns 0-1 [[5, 2], [6, 7]]\n" in text
    assert "    5*1 + 2*0 + 6*1 + 7*(-1) = 5 + 0 + 6 - 7 = 4\n" in text
    assert "step 9: output[2, 2]" in text
    assert text.endswith("output:\n  4 1 6\n  5 8 7\n  5 3 3")


def test_format_text_of_pools_and_padding():
    text = explain.format_text(explain.explain_conv(IMAGE, KERNEL, padding=1), max_steps=2)
    assert "padded image (6x6, zeros):\n  0 0 0 0 0 0\n  0 5 2 3 4 0" in text
    assert "step 3:" not in text and "... 23 more steps" in text
    text = explain.format_text(explain.explain_pool(POOL_IMAGE, mode="max"))
    assert "    max = 6 (at row 1, column 1 of the image)" in text
    text = explain.format_text(explain.explain_pool(POOL_IMAGE, mode="mean"))
    assert "    mean = (1 + 1 + 5 + 6) / 4 = 13 / 4 = 3.25" in text


# ----- pictures -----


def test_render_png_draws_a_step(tmp_path):
    pytest.importorskip("matplotlib")
    trace = explain.explain_conv(IMAGE, KERNEL, padding=1)
    path = explain.render_png(trace, tmp_path / "step.png", step=3)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    explain.render_png(explain.explain_pool(POOL_IMAGE), tmp_path / "pool.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.png", "step.png"]
    with pytest.raises(ValueError, match=r"render_png: step must be in 0\.\.24, received 25"):
        explain.render_png(trace, tmp_path / "x.png", step=25)


# ----- bad input -----


@pytest.mark.parametrize("image", [[1, 2, 3], np.zeros((2, 2, 1)), [[]]])
def test_an_image_that_is_not_2d_is_refused(image):
    with pytest.raises(ValueError, match=r"explain_conv: expected a non-empty 2-D image \(H, W\)"):
        explain.explain_conv(image, KERNEL)


def test_bad_kernels_paddings_modes_and_sizes_are_refused():
    with pytest.raises(ValueError, match="non-empty 2-D matrix"):
        explain.explain_conv(IMAGE, [1, 0, -1])
    with pytest.raises(ValueError, match="Unknown kernel 'blur'"):
        explain.explain_conv(IMAGE, "blur")
    with pytest.raises(ValueError, match="Unknown padding 'full'"):
        explain.explain_conv(IMAGE, KERNEL, padding="full")
    with pytest.raises(
        ValueError,
        match="explain_conv: along the height, kernel of size 5 is "
        "larger than the padded input of size 4",
    ):
        explain.explain_conv(IMAGE, np.ones((5, 1)))
    with pytest.raises(ValueError, match=r"explain_pool: unknown mode 'median'"):
        explain.explain_pool(POOL_IMAGE, mode="median")
    with pytest.raises(ValueError, match=r'explain_pool: padding must be "valid" or "same"'):
        explain.explain_pool(POOL_IMAGE, padding=1)
    with pytest.raises(ValueError, match="explain_conv: stride must be positive"):
        explain.explain_conv(IMAGE, KERNEL, stride=0)
    with pytest.raises(ValueError, match="finite numbers"):
        explain.explain_pool([[1.0, np.nan]], pool_size=1)
    with pytest.raises(TypeError, match="format_text: expected a ConvTrace or PoolTrace"):
        explain.format_text("trace")
