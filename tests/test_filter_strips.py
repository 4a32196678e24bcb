"""A large photo is filtered in strips (issue 15 item 9): the same numbers as the whole-photo
computation, in bounded memory."""

import subprocess
import sys
import textwrap

import numpy
import pytest

from convlens import filter_strips, filters


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("mode", ["reflect", "zeros", "replicate", "circular"])
@pytest.mark.parametrize("kernel", ["sobel_vertical", "gaussian_blur_5x5", [[1, -1], [2, 0]]])
@pytest.mark.parametrize("stride", [1, 2, (3, 1)])
def test_strips_equal_the_whole_photo(monkeypatch, padding, mode, kernel, stride):
    rng = numpy.random.default_rng(0)
    photo = rng.integers(0, 256, (37, 23, 3), dtype=numpy.uint8)
    whole = filters.apply_kernel(photo, kernel, padding, mode, stride)
    monkeypatch.setattr(filter_strips, "STRIP_PIXELS", 40)  # strips of one or two rows
    strips = filters.apply_kernel(photo, kernel, padding, mode, stride)
    assert strips.shape == whole.shape and strips.dtype == whole.dtype
    numpy.testing.assert_allclose(strips, whole, rtol=1e-12, atol=1e-9)


def test_grey_and_float32_photos_keep_their_shape_and_dtype(monkeypatch):
    photo = numpy.random.default_rng(1).random((30, 17)).astype("float32")
    whole = filters.apply_kernel(photo, "sharpen")
    monkeypatch.setattr(filter_strips, "STRIP_PIXELS", 50)
    strips = filters.apply_kernel(photo, "sharpen")
    assert strips.dtype == numpy.float32 and strips.shape == (30, 17)
    numpy.testing.assert_allclose(strips, whole, rtol=1e-6)


def test_a_bad_stride_is_named():
    with pytest.raises(ValueError, match=r"stride must be a positive int .* received 0"):
        filters.apply_kernel(numpy.zeros((4, 4)), "sharpen", stride=0)


PEAK = textwrap.dedent(
    """
    import resource, numpy
    from convlens import filters
    photo = numpy.random.default_rng(0).integers(0, 256, (4000, 6000, 3), dtype=numpy.uint8)
    filters.apply_kernel(photo[:64, :64], "sharpen")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = filters.apply_kernel(photo, "sharpen")
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024, out.nbytes >> 20)
    """
)


@pytest.mark.slow
def test_a_24_megapixel_photo_costs_its_output_and_a_strip():
    """Peak growth at most the float64 output plus 200 MiB (whole-photo: about 4x the output)."""
    result = subprocess.run([sys.executable, "-c", PEAK], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    growth, output = (int(v) for v in result.stdout.split())
    assert growth < output + 200, (growth, output)
