"""Pictures worth looking at (issue 14, item 8): legible panel sizes, titles naming the kernel or
layer, colour bars, diverging colours centred on zero for signed maps, dense layers as bars,
and ``explain`` drawing every step (a sheet, or a GIF with one frame per step)."""

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")
PIL = pytest.importorskip("PIL.Image")

import convlens as cl  # noqa: E402
from convlens import explain, filters, images, viz  # noqa: E402
from convlens.viz import photos  # noqa: E402

os.environ.setdefault("MPLBACKEND", "Agg")


def drawn(figure):
    """``{title: (width, height, image)}`` of every axes that shows an image, in pixels."""
    figure.canvas.draw()
    panels = {}
    for axis in figure.axes:
        if axis.images:
            box = axis.get_window_extent()
            panels[axis.get_title()] = (box.width, box.height, axis.images[0])
    return panels


def close(figure):
    import matplotlib.pyplot as plt

    plt.close(figure)


def kernel_results(photo, names):
    results = {n: filters.to_displayable(filters.apply_kernel(photo, n)) for n in names}
    signed = {
        n: filters.apply_kernel(photo, n)
        for n in names
        if filters.recommended_display(n) == "rescale"
    }
    return results, signed


# ----- filter results on a photo -----
def test_filter_sheet_on_the_bundled_photo_is_at_least_the_photo_size(tmp_path):
    photo = images.load_image(images.sample_photo_path())  # 451 x 300, colour
    results, signed = kernel_results(photo, ["box_blur", "sharpen", "sobel_vertical"])
    path = viz.filter_results(photo, results, tmp_path / "sheet.png", signed_responses=signed)
    with PIL.open(path) as sheet:
        # 4 columns of 451-pixel panels, 2 rows of 300 and the enlarged row of 300
        assert sheet.width >= 4 * 451 and sheet.height >= 3 * 300
    figure = viz.filter_figure(photo, results, signed)
    panels = drawn(figure)
    for title in ("original (451x300 pixels)", "box_blur", "sharpen", "box_blur - original"):
        width, height, _ = panels[title]
        assert width >= 451 - 1 and height >= 300 - 1, (title, width, height)
    # the edge kernel's response: diverging colours, symmetric limits, a colour bar
    image = panels["sobel_vertical: signed response (mean of R, G, B)"][2]
    low, high = image.get_clim()
    assert image.get_cmap().name == "RdBu_r" and low == -high and high > 0
    assert image.colorbar is not None
    # the differences from the original are signed too; blur changes less than sharpen
    blur = panels["box_blur - original"][2]
    sharpen = panels["sharpen - original"][2]
    assert blur.get_clim()[0] == -blur.get_clim()[1] and blur.colorbar is not None
    assert sharpen.get_clim()[1] > blur.get_clim()[1]
    close(figure)


def test_filter_panels_of_a_large_photo_are_capped_at_1024_pixels():
    photo = np.random.default_rng(0).integers(0, 256, (1000, 1400), dtype=np.uint8)
    results = {"box_blur": filters.to_displayable(filters.apply_kernel(photo, "box_blur"))}
    figure = viz.filter_figure(photo, results)
    width, height, image = drawn(figure)["box_blur"]
    assert 1024 - 1 <= width <= 1024 * 1.1 and height >= 1000 * 1024 / 1400 - 1
    assert image.colorbar is not None and image.get_clim() == (0, 255)  # grey: a 0..255 bar
    close(figure)


def test_the_enlarged_square_is_where_the_detail_is():
    photo = np.zeros((120, 120))
    photo[70:90, 20:40] = np.random.default_rng(1).integers(0, 255, (20, 20))  # detail here only
    top, left, side = photos.detail_crop(photo)
    assert side == 20 and abs(top - 70) <= side // 4 and abs(left - 20) <= side // 4


def test_shared_photos_make_sheets(tmp_path):
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "images")
    if not os.path.isdir(shared):
        pytest.skip("no ../shared/images")
    photo = images.load_image(os.path.join(shared, "camera.png"))  # 512 x 512 grey
    results, signed = kernel_results(photo, ["gaussian_blur_3x3", "horizontal_edge"])
    path = viz.filter_results(photo, results, tmp_path / "camera.png", signed)
    with PIL.open(path) as sheet:
        assert sheet.width >= 3 * 512 and sheet.height >= 3 * 512


# ----- a network's feature maps and filters -----
@pytest.fixture(scope="module")
def small_model():
    model = cl.Sequential(
        [
            cl.Input((12, 12, 1)),
            cl.layers.Conv2D(3, 3, name="conv"),  # linear: its maps are signed
            cl.layers.ReLU(name="relu"),
            cl.layers.Flatten(),
            cl.layers.Dense(5, name="scores"),
        ]
    )
    return model


def test_feature_maps_are_enlarged_signed_and_have_colour_bars(small_model, tmp_path):
    image = np.random.default_rng(0).random((12, 12, 1)).astype("float32")
    figure = viz.feature_maps_figure(small_model, "conv", image)
    panels = drawn(figure)
    assert sorted(panels) == ["map 0", "map 1", "map 2"]
    for width, height, picture in panels.values():
        assert width >= 192 - 1 and height >= 192 - 1  # 10x10 maps, enlarged
        assert picture.colorbar is not None
        low, high = picture.get_clim()
        if picture.get_array().min() < 0:
            assert picture.get_cmap().name == "RdBu_r" and low == -high
    assert 'Conv2D "conv"' in figure._suptitle.get_text()
    close(figure)
    path = viz.feature_maps(small_model, "relu", image, tmp_path / "relu.png")
    with PIL.open(path) as picture:
        assert picture.width >= 2 * 192 and picture.height >= 2 * 192  # 3 maps: a 2x2 grid


def test_a_dense_layer_is_a_bar_chart(small_model):
    image = np.random.default_rng(0).random((12, 12, 1)).astype("float32")
    figure = viz.feature_maps_figure(small_model, "scores", image)
    (axis,) = figure.axes
    scores = small_model.predict(image[None], verbose=0)[0]
    heights = [bar.get_height() for bar in axis.patches]
    np.testing.assert_allclose(heights, scores, rtol=1e-6)
    assert 'Dense "scores"' in axis.get_title()
    close(figure)


def test_conv_filters_share_one_symmetric_scale_with_a_colour_bar(small_model, tmp_path):
    layer = small_model.get_layer("conv")
    figure = viz.conv_filters_figure(layer)
    panels = drawn(figure)
    limits = {p[2].get_clim() for p in panels.values()}
    ((low, high),) = limits
    weights = cl.backend.to_numpy(layer.kernel.data).mean(axis=2)
    assert low == -high == -np.abs(weights).max()
    assert any(p[2].colorbar is not None for p in panels.values())
    assert all(p[0] >= 160 - 1 for p in panels.values())  # 3x3 kernels, enlarged
    close(figure)
    assert os.path.getsize(viz.conv_filters(layer, tmp_path / "f.png")) > 5000


def test_confusion_matrix_has_a_colour_bar(tmp_path, monkeypatch):
    from convlens.viz import training

    seen = []
    monkeypatch.setattr(training, "save", lambda figure, path: seen.append(figure) or path)
    training.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], tmp_path / "cm.png")
    (figure,) = seen
    (image,) = [axis.images[0] for axis in figure.axes if axis.images]
    assert image.colorbar is not None and image.get_array().sum() == 4
    close(figure)


# ----- explain: every step -----
IMAGE = [[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]]


def test_explain_sheet_draws_every_step(tmp_path):
    trace = explain.explain_conv(IMAGE, [[1, 0], [1, -1]])
    figure = explain.sheet_figure(trace)
    titles = [sub._suptitle.get_text() for sub in figure.subfigs if sub.get_visible()]
    assert titles[0] == "the kernel slides over the image"
    assert [t.split(":")[0] for t in titles[1:]] == [f"step {i}/9" for i in range(1, 10)]
    close(figure)
    small = explain.explain_conv([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    path = explain.render_steps(small, tmp_path / "steps.png")  # kernel + 4 steps: 4 a row
    with PIL.open(path) as sheet:
        assert sheet.width > 4 * 2 * 160 and sheet.height > 2 * 160


def test_explain_gif_has_one_frame_per_step(tmp_path):
    trace = explain.explain_pool(np.arange(16.0).reshape(4, 4), pool_size=2, stride=1)
    path = explain.render_steps(trace, tmp_path / "steps.gif")
    with PIL.open(path) as gif:
        assert gif.n_frames == len(trace.steps) == 9


def test_a_sheet_of_too_many_steps_asks_for_a_gif():
    trace = explain.explain_conv(np.ones((10, 10)), np.ones((2, 2)))  # 81 steps
    with pytest.raises(ValueError, match="a sheet of 81 steps would be unreadable.*write a .gif"):
        explain.sheet_figure(trace)


def test_the_explain_command_writes_every_step(tmp_path, capsys):
    from cli_helpers import run_main

    args = ["explain", "conv", "--image", "5 2 3; 6 7 8; 4 5 4", "--kernel", "1 0; 1 -1"]
    code, out, err = run_main(capsys, *args, "-o", tmp_path / "e.gif")
    assert code == 0, err
    assert out.strip().endswith(f"wrote {tmp_path / 'e.gif'}: all 4 steps")
    with PIL.open(tmp_path / "e.gif") as gif:
        assert gif.n_frames == 4


def test_a_valid_result_is_compared_with_the_pixels_under_it():
    photo = np.random.default_rng(2).integers(0, 256, (40, 50), dtype=np.uint8)
    same = filters.to_displayable(filters.apply_kernel(photo, "identity", padding="valid"))
    assert same.shape == (38, 48)
    figure = viz.filter_figure(photo, {"identity": same})
    difference = drawn(figure)["identity - original"][2]
    assert not np.asarray(difference.get_array()).any()  # the identity changes nothing
    close(figure)


def test_many_kernels_wrap_into_blocks_each_beginning_with_the_original():
    photo = np.random.default_rng(3).integers(0, 256, (30, 40), dtype=np.uint8)
    names = ["identity", "box_blur", "sharpen", "gaussian_blur_3x3", "sobel_vertical"]
    results, signed = kernel_results(photo, names)
    figure = viz.filter_figure(photo, results, signed)
    titles = [axis.get_title() for axis in figure.axes]
    assert titles.count("original (40x30 pixels)") == 2  # 4 kernels a block: two blocks
    assert {f"{name}, enlarged" for name in names} <= set(titles)
    close(figure)


@pytest.mark.parametrize("in_a_kernel, expected", [(True, "svg"), (False, "agg")])
def test_pictures_leave_a_notebooks_backend_alone(in_a_kernel, expected):
    """Inside a Jupyter kernel the learner's backend stays (their plt.show() keeps drawing);
    a plain script gets Agg, which needs no display."""
    code = (
        "import sys, types, matplotlib\n"
        "matplotlib.use('svg')\n"
        + ("sys.modules['ipykernel'] = types.ModuleType('ipykernel')\n" if in_a_kernel else "")
        + "from convlens.viz._figures import pyplot\n"
        "pyplot()\n"
        "print(matplotlib.get_backend().lower())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected
