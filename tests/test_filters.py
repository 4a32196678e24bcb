"""Filters against scipy.signal.correlate2d, display rules, image files, and bad input."""

import os
import sys

import numpy as np
import pytest
from scipy import ndimage, signal

from convlens import filters, images

ODD_KERNELS = list(filters.KERNELS)  # all of the bank is 3x3 or 5x5


def correlate_same(image, kernel):
    """The oracle: scipy's cross-correlation, output the size of the input, zero fill."""
    return signal.correlate2d(image, kernel, mode="same", boundary="fill", fillvalue=0)


@pytest.fixture(scope="module")
def grey_photo():
    return images.load_image(images.sample_photo_path(), mode="L")


@pytest.mark.parametrize("name", ODD_KERNELS)
def test_each_kernel_matches_scipy_correlate2d_on_a_random_image(name):
    image = np.random.default_rng(1).uniform(0, 255, (13, 19))
    expected = correlate_same(image, filters.KERNELS[name])
    np.testing.assert_allclose(
        filters.apply_kernel(image, name, padding_mode="zeros"), expected, atol=1e-9
    )


@pytest.mark.parametrize("name", ["sobel_vertical", "gaussian_blur_5x5", "edge_detection_1"])
def test_kernels_match_scipy_on_the_bundled_photo(name, grey_photo):
    expected = correlate_same(grey_photo.astype(np.float64), filters.KERNELS[name])
    result = filters.apply_kernel(grey_photo, name, padding_mode="zeros")
    assert result.dtype == np.float64 and result.shape == grey_photo.shape
    np.testing.assert_allclose(result, expected, atol=1e-8)


def test_a_user_kernel_that_is_not_symmetric_is_correlated_not_flipped():
    image = np.random.default_rng(2).standard_normal((9, 8))
    kernel = [[1, 2, 3], [4, 5, 6], [7, 8, 10]]
    np.testing.assert_allclose(
        filters.apply_kernel(image, kernel, padding_mode="zeros"),
        correlate_same(image, kernel),
        atol=1e-12,
    )
    flipped = signal.convolve2d(image, kernel, mode="same")
    assert not np.allclose(filters.apply_kernel(image, kernel, padding_mode="zeros"), flipped)


def test_valid_padding_and_stride_match_scipy():
    image = np.random.default_rng(3).standard_normal((11, 12))
    kernel = filters.KERNELS["sharpen"]
    full_valid = signal.correlate2d(image, kernel, mode="valid")
    np.testing.assert_allclose(filters.apply_kernel(image, kernel, padding="valid"), full_valid)
    np.testing.assert_allclose(
        filters.apply_kernel(image, kernel, padding="valid", stride=2), full_valid[::2, ::2]
    )
    np.testing.assert_allclose(
        filters.apply_kernel(image, kernel, padding=1, stride=(1, 3), padding_mode="zeros"),
        correlate_same(image, kernel)[:, ::3],
    )


@pytest.mark.parametrize(
    "mode, scipy_mode", [("reflect", "mirror"), ("replicate", "nearest"), ("circular", "wrap")]
)
def test_padding_modes_match_scipy_ndimage(mode, scipy_mode):
    image = np.random.default_rng(4).standard_normal((7, 9))
    expected = ndimage.correlate(image, filters.KERNELS["gaussian_blur_5x5"], mode=scipy_mode)
    result = filters.apply_kernel(image, "gaussian_blur_5x5", padding_mode=mode)
    np.testing.assert_allclose(result, expected, atol=1e-12)


def test_a_colour_image_is_filtered_per_channel():
    image = np.random.default_rng(5).uniform(0, 255, (10, 12, 3))
    result = filters.apply_kernel(image, "sobel_horizontal")
    assert result.shape == (10, 12, 3)
    for channel in range(3):
        np.testing.assert_allclose(
            result[:, :, channel],
            filters.apply_kernel(image[:, :, channel], "sobel_horizontal"),
            atol=1e-12,
        )


def test_the_colour_photo_is_filtered_per_channel_with_reflection_by_default(grey_photo):
    # Issue 14 item 13: a photo is padded by reflection unless zeros are asked for.
    photo = images.load_image(images.sample_photo_path())[:64, :80]
    result = filters.apply_kernel(photo, "box_blur")
    zeros = filters.apply_kernel(photo, "box_blur", padding_mode="zeros")
    for channel in range(3):
        plane = photo[:, :, channel].astype(float)
        mirrored = ndimage.correlate(plane, filters.box_blur, mode="mirror")
        np.testing.assert_allclose(result[:, :, channel], mirrored, atol=1e-9)
        expected = correlate_same(plane, filters.box_blur)
        np.testing.assert_allclose(zeros[:, :, channel], expected, atol=1e-9)


def test_an_edge_kernel_finds_no_edge_at_the_frame_of_a_flat_photo():
    flat = np.full((12, 15), 200.0)  # a white wall: no edge anywhere
    for name in ("sobel_vertical", "edge_detection_3", "horizontal_edge"):
        np.testing.assert_allclose(filters.apply_kernel(flat, name), 0.0, atol=1e-9)
        framed = filters.apply_kernel(flat, name, padding_mode="zeros")
        assert np.abs(framed[0]).max() > 100 and np.abs(framed[1:-1, 1:-1]).max() < 1e-9
    assert "reflect" in filters.describe_border()
    assert "zero padding" in filters.describe_border("same", "zeros")
    with pytest.raises(ValueError, match="Unknown padding_mode 'mirror'"):
        filters.describe_border("same", "mirror")


def test_float32_stays_float32_and_integers_become_float64():
    image = np.arange(30, dtype=np.float32).reshape(5, 6)
    assert filters.apply_kernel(image, "identity").dtype == np.float32
    np.testing.assert_array_equal(filters.apply_kernel(image, "identity"), image)
    assert filters.apply_kernel(image.astype(np.uint8), "identity").dtype == np.float64


def test_to_displayable_clip_rounds_and_clips():
    result = filters.to_displayable(np.array([[-3.0, 0.4, 127.5, 254.6, 900.0]]), "clip")
    assert result.dtype == np.uint8
    assert result.tolist() == [[0, 0, 128, 255, 255]]


def test_to_displayable_rescale_signed_puts_zero_at_mid_grey():
    result = filters.to_displayable(np.array([[-2.0, 0.0, 1.0, 4.0]]), "rescale")
    assert result.tolist() == [[64, 128, 159, 255]]


def test_to_displayable_rescale_non_negative_maps_min_max_to_0_255():
    assert filters.to_displayable(np.array([[10.0, 20.0, 30.0]]), "rescale").tolist() == [
        [0, 128, 255]
    ]
    assert filters.to_displayable(np.full((2, 2), 7.0), "rescale").tolist() == [[0, 0], [0, 0]]


def test_to_displayable_rescales_colour_with_one_scale():
    result = np.zeros((1, 1, 3))
    result[0, 0] = [0.0, 50.0, 100.0]
    assert filters.to_displayable(result, "rescale")[0, 0].tolist() == [0, 128, 255]


def test_recommended_display_for_a_user_kernel():
    assert filters.recommended_display([[0.5, 0.5]]) == "clip"
    assert filters.recommended_display([[1, -1]]) == "rescale"


def test_kernel_names_ignore_case_spaces_and_hyphens():
    np.testing.assert_array_equal(
        filters.get_kernel("Gaussian blur-3x3"), filters.gaussian_blur_3x3
    )


# ----- bad input -----


def test_unknown_kernel_name_lists_the_names():
    with pytest.raises(
        ValueError,
        match=r"Unknown kernel 'blurry'; expected one of: identity, "
        r"edge_detection_1, .*sobel_vertical",
    ):
        filters.get_kernel("blurry")


@pytest.mark.parametrize(
    "kernel, shape",
    [([1, 0, -1], r"\(3,\)"), (np.ones((3, 3, 3)), r"\(3, 3, 3\)"), ([[]], r"\(1, 0\)")],
)
def test_a_kernel_that_is_not_2d_is_refused(kernel, shape):
    with pytest.raises(
        ValueError, match=r"non-empty 2-D matrix \(KH, KW\), received shape " + shape
    ):
        filters.get_kernel(kernel)


def test_a_kernel_of_text_or_nan_is_refused():
    with pytest.raises(TypeError, match="a kernel name or a 2-D matrix of numbers"):
        filters.get_kernel([["a", "b"]])
    with pytest.raises(ValueError, match="finite numbers"):
        filters.get_kernel([[np.nan, 1.0]])


@pytest.mark.parametrize("shape", [(5,), (1, 4, 4, 1), (0, 3)])
def test_an_image_of_the_wrong_rank_is_refused(shape):
    with pytest.raises(
        ValueError,
        match=r"apply_kernel: expected a non-empty image \(H, W\) grey "
        r"or \(H, W, C\) colour, received shape",
    ):
        filters.apply_kernel(np.zeros(shape), "identity")


def test_an_unknown_display_mode_is_refused():
    with pytest.raises(ValueError, match="Unknown display mode 'bright'; expected \"clip\" or "):
        filters.to_displayable(np.zeros((2, 2)), "bright")


# ----- image files -----


def test_sample_photo_is_bundled_and_loads_in_both_modes():
    assert os.path.isfile(images.sample_photo_path())
    assert images.load_image(images.sample_photo_path()).shape == (300, 451, 3)
    grey = images.load_image(images.sample_photo_path(), mode="L", size=(28, 20))
    assert grey.shape == (20, 28) and grey.dtype == np.uint8


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(6)
    for shape in [(6, 7), (6, 7, 3)]:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        path = images.save_image(tmp_path / "sub" / "picture.png", pixels)
        np.testing.assert_array_equal(images.load_image(path), pixels)
    assert os.listdir(tmp_path / "sub") == ["picture.png"]  # no temporary file left behind


def test_transparent_pixels_load_as_white(tmp_path):
    pixels = np.zeros((2, 2, 4), np.uint8)
    pixels[0, 0] = [10, 20, 30, 255]  # one opaque pixel, the rest transparent black
    path = images.save_image(tmp_path / "alpha.png", pixels)
    loaded = images.load_image(path)
    assert loaded[0, 0].tolist() == [10, 20, 30] and loaded[1, 1].tolist() == [255, 255, 255]


def test_a_missing_image_file_is_named(tmp_path):
    missing = str(tmp_path / "nope.png")
    with pytest.raises(FileNotFoundError, match=r"No such image file: '.*nope\.png'"):
        images.load_image(missing)


def test_an_unreadable_image_file_is_named(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with pytest.raises(
        ValueError,
        match=r"Cannot read the image file '.*notes\.png': cannot "
        r"identify image file",
    ):
        images.load_image(bad)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(open(images.sample_photo_path(), "rb").read()[:4000])
    with pytest.raises(ValueError, match=r"Cannot read the image file '.*cut\.png': "):
        images.load_image(truncated)


def test_save_refuses_float_pixels_unknown_extensions_and_bad_modes(tmp_path):
    with pytest.raises(TypeError, match=r"uint8 pixels \(0\.\.255\), received dtype float64; "):
        images.save_image(tmp_path / "a.png", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"unknown extension '\.xyz'"):
        images.save_image(tmp_path / "a.xyz", np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match=r"Cannot write the image '.*a\.jpg'"):
        images.save_image(tmp_path / "a.jpg", np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(ValueError, match=r"Unknown image mode 'CMYK'"):
        images.load_image(images.sample_photo_path(), mode="CMYK")
    assert os.listdir(tmp_path) == []


def test_without_pillow_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install convlens\[images\]"):
        images.load_image(images.sample_photo_path())
