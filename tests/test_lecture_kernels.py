"""Slide "The Convolution Operator" (the kernel table) and slide "Edge Detector" with its exercise:
the kernels' exact values, what they sum to, and what the edge detectors answer on step edges."""

from fractions import Fraction

import numpy as np
import pytest

from convlens import filters

TABLE = {  # the slide's table: scale and integer matrix, as printed
    "identity": (1, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "edge_detection_1": (1, [[1, 0, -1], [0, 0, 0], [-1, 0, 1]]),
    "edge_detection_2": (1, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "edge_detection_3": (1, [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
    "sharpen": (1, [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "box_blur": (Fraction(1, 9), np.ones((3, 3), int).tolist()),
    "gaussian_blur_3x3": (Fraction(1, 16), [[1, 2, 1], [2, 4, 2], [1, 2, 1]]),
    "gaussian_blur_5x5": (Fraction(1, 256), (np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])).tolist()),
    "unsharp_masking_5x5": (
        Fraction(-1, 256),
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, -476, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ],
    ),
}
BLURS = ("box_blur", "gaussian_blur_3x3", "gaussian_blur_5x5")
EDGE_PAIRS = [  # (finds vertical edges, finds horizontal edges)
    ("vertical_edge", "horizontal_edge"),
    ("sobel_vertical", "sobel_horizontal"),
    ("prewitt_vertical", "prewitt_horizontal"),
]


@pytest.mark.parametrize("name", list(TABLE))
def test_slide_convolution_operator_kernel_table_values(name):
    scale, matrix = TABLE[name]
    np.testing.assert_array_equal(filters.KERNELS[name], float(scale) * np.array(matrix, float))
    np.testing.assert_array_equal(getattr(filters, name), filters.KERNELS[name])


def test_slide_edge_detector_kernel_and_the_exercise_answer_is_its_transpose():
    np.testing.assert_array_equal(filters.vertical_edge, [[-1, 0, 1]] * 3)
    np.testing.assert_array_equal(filters.horizontal_edge, filters.vertical_edge.T)
    np.testing.assert_array_equal(filters.sobel_vertical, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(filters.sobel_horizontal, filters.sobel_vertical.T)
    np.testing.assert_array_equal(filters.prewitt_vertical, filters.vertical_edge)
    np.testing.assert_array_equal(filters.prewitt_horizontal, filters.horizontal_edge)


@pytest.mark.parametrize("name", BLURS)
def test_blur_kernels_sum_to_one(name):
    assert filters.KERNELS[name].sum() == pytest.approx(1.0, abs=1e-15)
    assert filters.recommended_display(name) == "clip"


@pytest.mark.parametrize("name", ["identity", "sharpen", "unsharp_masking_5x5"])
def test_brightness_keeping_kernels_sum_to_one(name):
    assert filters.KERNELS[name].sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize(
    "name",
    [
        "edge_detection_1",
        "edge_detection_2",
        "edge_detection_3",
        "vertical_edge",
        "horizontal_edge",
        "sobel_vertical",
    ],
)
def test_edge_kernels_sum_to_zero_and_are_rescaled_for_display(name):
    assert filters.KERNELS[name].sum() == 0
    assert filters.recommended_display(name) == "rescale"


def test_unsharp_masking_is_image_plus_image_minus_gaussian_blur():
    image = np.random.default_rng(0).uniform(0, 255, (17, 23))
    blurred = filters.apply_kernel(image, "gaussian_blur_5x5")
    sharpened = filters.apply_kernel(image, "unsharp_masking_5x5")
    np.testing.assert_allclose(sharpened, image + (image - blurred), rtol=0, atol=1e-10)


def step_edge(vertical: bool):
    """A dark left (top) half and a bright right (bottom) half: one vertical (horizontal) edge."""
    image = np.zeros((8, 10))
    if vertical:
        image[:, 5:] = 100.0
    else:
        image[4:, :] = 100.0
    return image


@pytest.mark.parametrize("finds_vertical, finds_horizontal", EDGE_PAIRS)
def test_slide_edge_detector_on_a_vertical_step_edge(finds_vertical, finds_horizontal):
    image = step_edge(vertical=True)  # the edge lies between columns 4 and 5
    response = filters.apply_kernel(image, finds_vertical, padding="valid")  # (6, 8)
    # valid output column j reads image columns j..j+2: it straddles the edge for j = 3 and 4
    assert (response[:, [3, 4]] > 0).all()
    np.testing.assert_array_equal(np.delete(response, [3, 4], axis=1), 0)
    np.testing.assert_array_equal(filters.apply_kernel(image, finds_horizontal, "valid"), 0)


@pytest.mark.parametrize("finds_vertical, finds_horizontal", EDGE_PAIRS)
def test_slide_exercise_horizontal_edge_detector_on_a_horizontal_step_edge(
    finds_vertical, finds_horizontal
):
    image = step_edge(vertical=False)  # the edge lies between rows 3 and 4
    response = filters.apply_kernel(image, finds_horizontal, padding="valid")  # (6, 8)
    assert (response[[2, 3], :] > 0).all()
    np.testing.assert_array_equal(np.delete(response, [2, 3], axis=0), 0)
    np.testing.assert_array_equal(filters.apply_kernel(image, finds_vertical, "valid"), 0)


def test_horizontal_edge_answers_a_bright_above_dark_edge_with_the_opposite_sign():
    image = step_edge(vertical=False)[::-1]
    response = filters.apply_kernel(image, "horizontal_edge", padding="valid")
    assert (response[[2, 3], :] < 0).all()


def test_horizontal_edge_docstring_explains_the_transpose():
    import inspect

    source = inspect.getsource(filters)
    answer = source.split('horizontal_edge = KERNELS["horizontal_edge"]\n', 1)[1]
    assert answer.lstrip().startswith('"""The exercise "create a horizontal edge detector"')
    assert "transpose" in answer.split('"""')[1]


def test_describe_lists_every_kernel_with_the_slides_fractions():
    text = filters.describe()
    for name in filters.KERNELS:
        assert f"{name}  (" in text
    assert "1/9 x" in text and "1/16 x" in text and "-1/256 x" in text and "-476" in text


def test_the_bank_cannot_be_modified_but_get_kernel_hands_out_copies():
    with pytest.raises(ValueError, match="read-only"):
        filters.KERNELS["identity"][1, 1] = 2.0
    kernel = filters.get_kernel("identity")
    kernel[1, 1] = 2.0
    assert filters.KERNELS["identity"][1, 1] == 1.0
