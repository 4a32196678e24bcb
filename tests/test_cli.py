"""The ``convlens`` command through its real entry point: files written, numbers printed,
one-line errors with a non-zero exit code and never a traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest

import convlens as cl

PIL = pytest.importorskip("PIL.Image")


def convlens(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "convlens.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One quick `convlens train` run shared by the commands that need a saved model."""
    folder = tmp_path_factory.mktemp("train")
    result = convlens(
        "train", "--limit", 1000, "--epochs", 1, "--output-dir", folder / "run", "--verbose", 0
    )
    assert result.returncode == 0, result.stderr
    return folder / "run", result.stdout


def test_train_writes_the_model_summary_log_curves_and_result(trained):
    folder, stdout = trained
    assert {p.name for p in folder.iterdir()} >= {
        "model.keras",
        "summary.txt",
        "log.csv",
        "curves.png",
        "result.json",
    }
    result = json.loads((folder / "result.json").read_text())
    assert result["train_samples"] == 1000 and result["test_samples"] == 10000
    assert f"test accuracy {result['test_accuracy']:.4f}" in stdout
    assert "Total params: 61,706" in (folder / "summary.txt").read_text()


def test_evaluate_and_summary_read_the_saved_model(trained):
    folder, _ = trained
    result = json.loads((folder / "result.json").read_text())
    evaluate = convlens("evaluate", folder / "model.keras")
    assert evaluate.returncode == 0
    assert f"test accuracy {result['test_accuracy']:.4f}" in evaluate.stdout
    summary = convlens("summary", folder / "model.keras")
    assert "conv2d" in summary.stdout and "61,706" in summary.stdout
    assert "Route" not in summary.stdout
    routes = convlens("summary", folder / "model.keras", "--routes", "4")
    expected = cl.models.load_model(folder / "model.keras").layers[0].conv_plan(4).short()
    assert routes.returncode == 0 and "Routes for a batch of 4" in routes.stdout
    assert expected in routes.stdout.splitlines()[4]


def test_predict_classifies_a_digit_image(trained, tmp_path):
    from convlens import datasets

    (_, _), (x_test, y_test) = datasets.mnist.load_data()
    path = tmp_path / "digit.png"
    PIL.fromarray(x_test[0]).save(path)
    result = convlens("predict", path, "--model", trained[0] / "model.keras")
    assert result.returncode == 0
    assert result.stdout.startswith(f"{path}: class ") and "probability" in result.stdout


def test_show_filters_and_features_write_pictures(trained, tmp_path):
    folder, _ = trained
    from convlens import datasets

    (_, _), (x_test, _) = datasets.mnist.load_data()
    PIL.fromarray(x_test[1]).save(tmp_path / "digit.png")
    filters = convlens("show", "filters", folder / "model.keras", "-o", tmp_path / "filters.png")
    features = convlens(
        "show",
        "features",
        folder / "model.keras",
        tmp_path / "digit.png",
        "-o",
        tmp_path / "features.png",
    )
    assert filters.returncode == 0 and features.returncode == 0, filters.stderr + features.stderr
    for name in ("filters.png", "features.png"):
        with PIL.open(tmp_path / name) as image:
            assert image.size[0] > 100 and image.size[1] > 100


def test_filter_applies_sobel_to_a_step_edge_by_value(tmp_path):
    step = np.zeros((16, 16), np.uint8)
    step[:, 8:] = 200  # a vertical edge between columns 7 and 8
    PIL.fromarray(step).save(tmp_path / "edge.png")
    result = convlens(
        "filter",
        tmp_path / "edge.png",
        "--kernel",
        "sobel_vertical",
        "--grey",
        "--padding-mode",
        "replicate",
        "--display",
        "clip",
        "-o",
        tmp_path / "out.png",
    )
    assert result.returncode == 0, result.stderr
    out = np.asarray(PIL.open(tmp_path / "out.png"))
    # [-1 0 1] columns weighted 1-2-1: 4 x 200 = 800 on the two columns beside the edge,
    # clipped to 255; 0 everywhere else.
    assert (out[:, 7:9] == 255).all() and (out[:, :7] == 0).all() and (out[:, 9:] == 0).all()


def test_filter_makes_a_grid_for_several_kernels_on_the_bundled_photo(tmp_path):
    result = convlens(
        "filter", "--kernel", "box_blur", "--kernel", "horizontal_edge", "-o", tmp_path / "grid.png"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "grid.png").stat().st_size > 10_000


def test_kernels_prints_the_bank():
    result = convlens("kernels")
    assert result.returncode == 0
    for name in (
        "identity",
        "sharpen",
        "gaussian_blur_5x5",
        "unsharp_masking_5x5",
        "sobel_vertical",
    ):
        assert name in result.stdout


def test_explain_conv_prints_the_slides_steps():
    result = convlens(
        "explain",
        "conv",
        "--image",
        "5 2 3 4; 6 7 8 5; 4 5 4 5; 1 0 2 3",
        "--kernel",
        "1 0; 1 -1",
        "--stride",
        2,
    )
    assert result.returncode == 0
    assert "(4 + 0 - 1 - 1)/2 + 1 = 2" in result.stdout
    assert "5*1 + 2*0 + 6*1 + 7*(-1) = 5 + 0 + 6 - 7 = 4" in result.stdout


def test_explain_pool_prints_the_max_of_each_window():
    result = convlens("explain", "pool", "--image", "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4")
    assert result.returncode == 0
    out = result.stdout
    assert "6" in out and "8" in out and "output" in out


def test_demo_xo_prints_the_slides_maps():
    result = convlens("demo", "xo", "--no-training")
    assert result.returncode == 0
    # The slide's first feature map, first row, truncated to two decimals as the slide prints it.
    assert "0.77\t-0.11\t0.11\t0.33\t0.55\t-0.11\t0.33" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "missing.keras"], "missing.keras"),
        (["filter", "nope.png", "--kernel", "sharpen", "-o", "x.png"], "nope.png"),
        (["filter", "--kernel", "blurry", "-o", "x.png"], "Unknown"),
        (["explain", "conv", "--image", "1 2; 3", "--kernel", "1"], "equal"),
        (["train", "--epochs", "0"], "positive"),
    ],
)
def test_bad_input_ends_with_a_one_line_error(args, message, tmp_path):
    result = convlens(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_unreadable_image_is_a_clean_error(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    result = convlens(
        "filter", tmp_path / "bad.png", "--kernel", "sharpen", "-o", tmp_path / "o.png"
    )
    assert (
        result.returncode == 2 and "bad.png" in result.stderr and "Traceback" not in result.stderr
    )


def test_every_subcommand_has_help():
    for command in (
        "train",
        "evaluate",
        "predict",
        "summary",
        "filter",
        "kernels",
        "explain",
        "demo",
        "show",
        "tune",
    ):
        result = convlens(command, "--help")
        assert result.returncode == 0 and "usage: convlens" in result.stdout
