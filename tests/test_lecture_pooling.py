"""The lecture's pooling slides, exact: the X/O feature map and the classic 4×4 example."""

import numpy as np
import pytest

import convlens as cl
from convlens import ops
from oracle import host

# The slide's 7×7 feature map of the X (the filtered image), in ninths.
XO_FEATURE_MAP_NINTHS = np.array(
    [
        [7, -1, 1, 3, 5, -1, 3],
        [-1, 9, -1, 3, -1, 1, -1],
        [1, -1, 9, -3, 1, -1, 5],
        [3, 3, -3, 5, -3, 3, 3],
        [5, -1, 1, -3, 9, -1, 1],
        [-1, 1, -1, 3, -1, 9, -1],
        [3, -1, 5, 3, 1, -1, 7],
    ]
)
# The slide's 4×4 result, printed with two decimals (the slide truncates: 5/9 shows as 0.55).
XO_POOLED_ON_SLIDE = np.array(
    [
        [1.00, 0.33, 0.55, 0.33],
        [0.33, 1.00, 0.33, 0.55],
        [0.55, 0.33, 1.00, 0.11],
        [0.33, 0.55, 0.11, 0.77],
    ]
)
CLASSIC = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)


def as_batch(image, data_format):
    return image[None, :, :, None] if data_format == "channels_last" else image[None, None]


def as_map(y, data_format):
    return y.numpy()[0, :, :, 0] if data_format == "channels_last" else y.numpy()[0, 0]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_slide_xo_max_pooling_2x2_stride_2_same_gives_the_4x4_map(data_format):
    x = as_batch(XO_FEATURE_MAP_NINTHS / 9, data_format)
    pooled = as_map(ops.max_pool2d(x, 2, 2, "same", data_format), data_format)
    assert pooled.shape == (4, 4)  # 7 -> ceil(7 / 2) = 4: one padded row and column
    np.testing.assert_array_equal(
        np.round(pooled * 9), [[9, 3, 5, 3], [3, 9, 3, 5], [5, 3, 9, 1], [3, 5, 1, 7]]
    )
    np.testing.assert_array_equal(np.floor(pooled * 100 + 1e-9) / 100, XO_POOLED_ON_SLIDE)
    assert pooled[0].tolist() == pytest.approx([1, 3 / 9, 5 / 9, 3 / 9], abs=1e-15)


def test_slide_xo_min_and_mean_pooling_by_hand():
    x = as_batch(XO_FEATURE_MAP_NINTHS / 9, "channels_last")
    minimum = as_map(ops.min_pool2d(x, 2, 2, "same"), "channels_last")
    np.testing.assert_array_equal(
        np.round(minimum * 9), [[-1, -1, -1, -1], [-1, -3, -3, 3], [-1, -3, -1, -1], [-1, 3, -1, 7]]
    )
    # The mean of the real cells only: the last column and row average 2 (or 1) cells.
    mean = as_map(ops.avg_pool2d(x, 2, 2, "same"), "channels_last")
    np.testing.assert_allclose(
        mean * 9, [[3.5, 1.5, 1, 1], [1.5, 2, 0, 4], [1, 0, 4, 0], [1, 4, 0, 7]], atol=1e-12
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_slide_max_pool_with_2x2_filters_and_stride_2(data_format):
    pooled = ops.max_pool2d(as_batch(CLASSIC, data_format), 2, 2, data_format=data_format)
    assert as_map(pooled, data_format).tolist() == [[6, 8], [3, 4]]


def test_classic_example_min_and_mean_pooling_by_hand():
    x = as_batch(CLASSIC, "channels_last")
    assert as_map(ops.min_pool2d(x), "channels_last").tolist() == [[1, 2], [1, 0]]
    assert as_map(ops.avg_pool2d(x), "channels_last").tolist() == [[3.25, 5.25], [2, 2]]


def test_classic_example_max_pooling_gradient_goes_to_the_winners():
    x = cl.Tensor(as_batch(CLASSIC, "channels_last"), requires_grad=True)
    ops.max_pool2d(x).backward(np.ones((1, 2, 2, 1)))
    # 6, 8, 3 and 4 won their windows (the 3 at the left, not the 2s; the last 4, not the 3)
    assert host(x.grad)[0, :, :, 0].tolist() == [
        [0, 0, 0, 0],
        [0, 1, 0, 1],
        [1, 0, 0, 0],
        [0, 0, 0, 1],
    ]
