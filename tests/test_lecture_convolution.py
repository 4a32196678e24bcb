"""The lecture's worked convolution examples, exactly (/work/shared/seeds/000_8a63ca384da12e4d.txt).

Each test is named after its slide: "Stride & Padding" (the 4×4 image and 2×2 kernel, S = 1 and
2, P = 1 and 2), the output-size formula of "The architecture: Convolutional Layer" and "CNNs:
More complex! Color images", and the X/O feature map of "How do CNNs really work ?".
"""

from fractions import Fraction

import numpy as np

from convlens import ops
from convlens.ops import conv_output_size

IMAGE = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], dtype=float)
KERNEL = np.array([[1, 0], [1, -1]], dtype=float)


def single(image, kernel, **options):
    """conv2d of one single-channel image with one single-channel kernel, as a 2-D array."""
    out = ops.conv2d(image[None, :, :, None], kernel[:, :, None, None], **options)
    return out.numpy()[0, :, :, 0]


def test_stride_slide_s1():
    np.testing.assert_array_equal(single(IMAGE, KERNEL), [[4, 1, 6], [5, 8, 7], [5, 3, 3]])


def test_stride_slide_s2():
    np.testing.assert_array_equal(single(IMAGE, KERNEL, strides=2), [[4, 6], [5, 3]])


def test_padding_slide_p1_pads_a_ring_of_zeros_and_gives_5x5():
    padded = ops.pad(IMAGE[None, :, :, None], 1).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(
        padded,
        [
            [0, 0, 0, 0, 0, 0],
            [0, 5, 2, 3, 4, 0],
            [0, 6, 7, 8, 5, 0],
            [0, 4, 5, 4, 5, 0],
            [0, 1, 0, 2, 3, 0],
            [0, 0, 0, 0, 0, 0],
        ],
    )
    out = single(IMAGE, KERNEL, padding=1)
    assert out.shape == (5, 5) == (conv_output_size(4, 2, 1, 1),) * 2
    np.testing.assert_array_equal(out[1:4, 1:4], single(IMAGE, KERNEL))  # the interior is unchanged
    np.testing.assert_array_equal(out, single(padded, KERNEL))


def test_padding_slide_p2_pads_two_rings_and_gives_7x7():
    padded = ops.pad(IMAGE[None, :, :, None], 2).numpy()[0, :, :, 0]
    expected = np.zeros((8, 8))
    expected[2:6, 2:6] = IMAGE
    np.testing.assert_array_equal(padded, expected)
    out = single(IMAGE, KERNEL, padding=2)
    assert out.shape == (7, 7) == (conv_output_size(4, 2, 1, 2),) * 2
    np.testing.assert_array_equal(out, single(padded, KERNEL))


def test_convolutional_layer_slide_output_size_formula():
    # N_h = (N_h + 2P - F)/S + 1, for every configuration the slides show
    for n, f, s, p in [(4, 2, 1, 0), (4, 2, 2, 0), (4, 2, 1, 1), (4, 2, 1, 2), (9, 3, 1, 0)]:
        expected = (n + 2 * p - f) // s + 1
        assert conv_output_size(n, f, s, p) == expected
        x = np.ones((1, n, n, 1))
        assert ops.conv2d(x, np.ones((f, f, 1, 1)), strides=s, padding=p).shape == (
            1,
            expected,
            expected,
            1,
        )


def test_color_images_slide_s2_p1_f3():
    # The slide gives S = 2, P = 1, F = 3 and N_c = #filters; its picture (not in the text) is the
    # classic 5×5×3 demo with 2 filters: (5 + 2 - 3)/2 + 1 = 3, so 3×3×2.
    rng = np.random.default_rng(0)
    rgb, filters = rng.standard_normal((1, 5, 5, 3)), rng.standard_normal((3, 3, 3, 2))
    out = ops.conv2d(rgb, filters, np.array([1.0, 0.0]), strides=2, padding=1)
    assert out.shape == (1, (5 + 2 * 1 - 3) // 2 + 1, 3, 2)
    # each output is the sum over R, G and B of the window times the filter, plus the bias
    padded = np.pad(rgb[0], ((1, 1), (1, 1), (0, 0)))
    assert np.isclose(out.numpy()[0, 1, 2, 0], (padded[2:5, 4:7] * filters[..., 0]).sum() + 1.0)


# The X of "How do CNNs really work ?": -1 background, +1 on the two diagonals. The text prints
# this grid with 10 rows: printed rows 4 and 5 are the same centre row (-1 -1 -1 -1 1 -1 -1 -1 -1),
# a duplicate from the slide's extraction. We take printed rows 0-4 and 6-9, i.e. X[i][j] = 1
# where j == i or j == 8 - i for 1 <= i <= 7: the only 9×9 grid whose filtered map is the
# slide's 7×7 map below (the 10-row grid would give an 8×7 map).
X_IMAGE = -np.ones((9, 9))
for i in range(1, 8):
    X_IMAGE[i, i] = X_IMAGE[i, 8 - i] = 1

DIAGONAL = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float)

# The slide's printed map, truncated (not rounded) to two decimals: 7/9 prints as 0.77.
SLIDE_MAP = np.array(
    [
        [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33],
        [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
        [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55],
        [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
        [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11],
        [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
        [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77],
    ]
)


def x_o_feature_map():
    """Line the feature up with every window, multiply, add up, divide by its 9 pixels."""
    sums = single(X_IMAGE, DIAGONAL)
    return sums, sums / DIAGONAL.size


def test_x_o_slide_first_row_is_exact_ninths():
    sums, feature_map = x_o_feature_map()
    assert sums.shape == (7, 7)
    first_row = [Fraction(int(v), 9) for v in sums[0]]
    assert first_row == [
        Fraction(7, 9),
        Fraction(-1, 9),
        Fraction(1, 9),
        Fraction(3, 9),
        Fraction(5, 9),
        Fraction(-1, 9),
        Fraction(3, 9),
    ]
    np.testing.assert_array_equal(sums, np.round(sums))  # sums of ±1: whole numbers, exactly
    np.testing.assert_allclose(9 * feature_map, sums)


def test_x_o_slide_map_truncated_to_two_decimals_is_the_printed_map():
    _, feature_map = x_o_feature_map()
    truncated_hundredths = np.trunc(np.round(feature_map * 100, 6)).astype(int)
    np.testing.assert_array_equal(truncated_hundredths, np.round(SLIDE_MAP * 100).astype(int))


def test_x_o_slide_diagonal_matches_where_the_feature_lines_up():
    # along the X's main diagonal all 9 pixels agree, (9 × 1)/9 = 1, except at the corners (the
    # border pixels) and the centre, where the other stroke crosses: 5/9 = 0.55 on the slide
    sums, feature_map = x_o_feature_map()
    np.testing.assert_array_equal(np.diag(sums), [7, 9, 9, 5, 9, 9, 7])
    assert feature_map.max() == 1.0


def test_the_printed_ten_row_grid_is_not_the_slide_image():
    ten_rows = np.insert(X_IMAGE, 5, X_IMAGE[4], axis=0)  # the text's grid, centre row twice
    assert single(ten_rows, DIAGONAL).shape == (8, 7)
