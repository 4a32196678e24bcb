"""The ``convlens`` command's one-line errors (exit code 2, never a traceback), its help, the
``filter`` and lecture commands, and ``tune`` (issue 14, items 1, 5, 6, 7, 11, 13)."""

import sys

import numpy as np
import pytest

import convlens as cl
from cli_helpers import assert_one_line_error, convlens, run_main, small_data
from convlens import jobs
from convlens.cli import build_parser, main

PIL = pytest.importorskip("PIL.Image")


# ----- one-line errors, exit code 2 (items 1, 5, 6) -----
def test_item1_an_offline_dataset_error_reaches_the_terminal_whole(tmp_path):
    env = {"CONVLENS_DATA": str(tmp_path / "cache"), "CONVLENS_DATA_URL": "http://127.0.0.1:9"}
    for args in (["train", "--dataset", "fashion_mnist"], ["sample", "cifar10", "-o", "c.png"]):
        result = convlens(*args, cwd=tmp_path, env=env)
        assert_one_line_error(result.returncode, result.stderr, "Could not download")
        # The explanation after the first line's colon, which used to be cut off:
        assert "Without network, fetch" in result.stderr
        assert str(tmp_path / "cache") in result.stderr and "CONVLENS_DATA" in result.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "--limit", "0"], ["--limit", "integer >= 1", "'0'"]),
        (["train", "--limit", "-5"], ["--limit", "'-5'"]),
        (["train", "--learning-rate", "-1"], ["--learning-rate", "number > 0"]),
        (["train", "--epochs", "0"], ["--epochs", "integer >= 1"]),
        (["train", "--batch-size", "0"], ["--batch-size"]),
        (["train", "--validation-split", "1"], ["--validation-split", "[0, 1)"]),
        (["train", "--seed", "-1"], ["--seed", "integer >= 0"]),
        (["train", "--limit", "1"], ["validation_split=0.1 of 1 samples"]),
        (["summary", "--routes", "0"], ["--routes"]),
        (["train", "--dataset", "imagenet"], ["invalid choice", "fashion_mnist"]),
        (["tune", "--trials", "0"], ["--trials"]),
        (["explain", "conv", "--image", "1 2; 3", "--kernel", "1"], ["equal"]),
        (["explain", "conv", "--image", "1 2; 3 4", "--stride", "0"], ["--stride"]),
        (["filter", "nope.png", "--kernel", "sharpen", "-o", "x.png"], ["nope.png"]),
        (["filter", "--kernel", "blurry", "-o", "x.png"], ["Unknown kernel", "matrix"]),
        (["evaluate", "missing.keras"], ["missing.keras", "accepted"]),
        (["evaluate"], ["no run in", "convlens train"]),
        (["evaluate", "."], ["folder without model.keras", "accepted"]),
        (["predict", "x.png", "--model", "."], ["folder without model.keras"]),
        (["sample", "mnist", "--index", "70000", "-o", "x.png"], ["0 to 9999"]),
        (["filter", "--kernel", "sharpen", "-o", "."], ["Cannot write the image"]),
    ],
)
def test_item5_and_6_bad_input_ends_with_a_one_line_error(
    args, words, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(capsys, *args)
    assert_one_line_error(code, err, *words)


@pytest.mark.parametrize("storage", ["foo://nowhere", "sqlite:////no/such/folder/study.db"])
def test_item5_a_bad_tune_storage_is_one_line(storage, tmp_path, capsys):
    pytest.importorskip("optuna")
    code, _, err = run_main(capsys, "tune", "--storage", storage, "--directory", tmp_path)
    assert_one_line_error(code, err, "storage", "sqlite:///FILE.db")


def test_a_programming_error_keeps_its_traceback(monkeypatch):
    def broken(args):
        raise AttributeError("a bug")

    monkeypatch.setitem(cl.cli.COMMANDS, "kernels", broken)
    with pytest.raises(AttributeError, match="a bug"):  # re-raised: not a user error
        main(["kernels"])


# ----- tune: repeated, overwritten, interrupted (items 7 and 5) -----
@pytest.fixture(autouse=True)
def optuna_logs_to_this_tests_stderr():
    """Optuna's handler keeps the stderr of the test that first used it; a later test's
    capture would see a closed stream. A real process has one stderr throughout."""
    # Only Optuna's own handler: pytest 9.2 attaches its log-capture handlers where this
    # loop used to reach them too, and their StringIO must stay.
    handler = getattr(sys.modules.get("optuna.logging"), "_default_handler", None)
    if handler is not None:
        handler.stream = sys.stderr  # not setStream: it flushes the closed one


@pytest.fixture
def tiny_mnist(monkeypatch):
    monkeypatch.setattr(jobs, "load_dataset", lambda name: small_data(test_size=100))


def test_item7_tune_says_a_study_is_complete_refuses_another_tuner_and_overwrites(
    tiny_mnist, tmp_path, capsys
):
    optuna = pytest.importorskip("optuna")
    base = ["tune", "--epochs", 1, "--limit", 200, "--directory", tmp_path]
    code, out, _ = run_main(capsys, *base, "--trials", 2, "--tuner", "random")
    assert code == 0 and "Trials: 2 of 2 (2 COMPLETE)" in out
    code, out, _ = run_main(capsys, *base, "--trials", 1, "--tuner", "random")
    assert code == 0 and "is complete: it holds 2 finished trials" in out
    assert "--overwrite to start again" in out and "Trials: 2 of 2" in out
    storage = f"sqlite:///{tmp_path / 'lenet' / 'study.db'}"
    assert len(optuna.load_study(study_name="lenet", storage=storage).trials) == 2  # none ran
    code, _, err = run_main(capsys, *base, "--trials", 3, "--tuner", "bayesian")
    assert_one_line_error(code, err, "made with --tuner random", "--overwrite")
    code, out, _ = run_main(capsys, *base, "--trials", 1, "--tuner", "bayesian", "--overwrite")
    assert code == 0 and "Trials: 1 of 1 (1 COMPLETE)" in out


def test_item5_ctrl_c_during_tune_is_one_line(tiny_mnist, tmp_path, capfd, monkeypatch):
    pytest.importorskip("optuna")
    from convlens.tuner import hypermodel

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hypermodel.HyperModel, "fit", interrupted)
    code = main(
        ["tune", "--trials", "2", "--epochs", "1", "--limit", "200"]
        + ["--directory", str(tmp_path), "--tuner", "random"]
    )
    err = capfd.readouterr().err
    assert code == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "convlens tune: interrupted (Ctrl-C); the study keeps its finished trials: run the same "
        "command to resume"
    )


# ----- help and custom kernels (item 11) -----
def test_item11_every_option_has_a_sentence_and_shows_its_default():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) >= {"train", "evaluate", "predict", "show", "sample", "filter", "tune"}
    for name, command in commands.items():
        text = command.format_help()
        assert command.description, name
        for action in command._actions:
            if action.dest == "help":
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
            if (
                action.option_strings
                and action.default not in (None, False)
                and not (action.required)
            ):
                assert "default" in command._get_formatter()._get_help_string(action), (
                    f"{name} {action.option_strings}: no default shown"
                )
        assert text.count("default") >= 1 or name in ("kernels",), name
    result = convlens("train", "--help")
    assert "(default: 12)" in result.stdout and "(default: 0.1)" in result.stdout


def test_item11_filter_accepts_a_custom_kernel_as_its_error_offers(tmp_path, capsys):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    PIL.fromarray(photo).save(tmp_path / "photo.png")
    kernel = "0 1 0; 1 -3 0; 0 0 1"
    args = ["filter", tmp_path / "photo.png", "--kernel", kernel, "--display", "clip"]
    code, out, _ = run_main(capsys, *args, "--padding-mode", "replicate", "-o", tmp_path / "k.png")
    assert code == 0, out
    weights = np.array([[0, 1, 0], [1, -3, 0], [0, 0, 1]], float)
    expected = ndimage.correlate(photo.astype(float), weights, mode="nearest")
    expected = np.clip(np.floor(expected + 0.5), 0, 255)
    np.testing.assert_array_equal(np.asarray(PIL.open(tmp_path / "k.png")), expected)
    code, _, err = run_main(capsys, "filter", "--kernel", "1 0; 1", "-o", tmp_path / "x.png")
    assert_one_line_error(code, err, "equal")


# ----- filters on photos: the border (item 13) -----
def test_item13_filter_pads_photos_by_reflection_and_says_which_border(tmp_path, capsys):
    flat = np.full((30, 40), 200, np.uint8)  # a white wall: no edge anywhere
    PIL.fromarray(flat).save(tmp_path / "wall.png")
    base = ["filter", tmp_path / "wall.png", "--kernel", "sobel_vertical", "--display", "clip"]
    code, out, _ = run_main(capsys, *base, "-o", tmp_path / "reflect.png")
    assert code == 0 and "border: reflect padding" in out
    assert not np.asarray(PIL.open(tmp_path / "reflect.png")).any()  # no frame invented
    code, out, _ = run_main(capsys, *base, "--padding-mode", "zeros", "-o", tmp_path / "zeros.png")
    zeros = np.asarray(PIL.open(tmp_path / "zeros.png"))
    assert code == 0 and "border: zero padding" in out
    assert zeros[:, 0].max() == 255 and not zeros[:, 1:-1].any()  # the frame lights up


def test_filter_applies_sobel_to_a_step_edge_by_value(tmp_path, capsys):
    step = np.zeros((16, 16), np.uint8)
    step[:, 8:] = 200  # a vertical edge between columns 7 and 8
    PIL.fromarray(step).save(tmp_path / "edge.png")
    code, _, err = run_main(
        capsys,
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
    assert code == 0, err
    out = np.asarray(PIL.open(tmp_path / "out.png"))
    # [-1 0 1] columns weighted 1-2-1: 4 x 200 = 800 on the two columns beside the edge,
    # clipped to 255; 0 everywhere else.
    assert (out[:, 7:9] == 255).all() and (out[:, :7] == 0).all() and (out[:, 9:] == 0).all()


def test_filter_makes_a_grid_for_several_kernels_on_the_bundled_photo(tmp_path, capsys):
    code, _, err = run_main(
        capsys,
        "filter",
        "--kernel",
        "box_blur",
        "--kernel",
        "horizontal_edge",
        "-o",
        tmp_path / "grid.png",
    )
    assert code == 0, err
    assert (tmp_path / "grid.png").stat().st_size > 10_000


# ----- the lecture's text commands -----
def test_kernels_prints_the_bank():
    result = convlens("kernels")
    assert result.returncode == 0
    for name in ("identity", "sharpen", "gaussian_blur_5x5", "unsharp_masking_5x5"):
        assert name in result.stdout


def test_explain_conv_prints_the_slides_steps(capsys):
    code, out, _ = run_main(
        capsys,
        "explain",
        "conv",
        "--image",
        "5 2 3 4; 6 7 8 5; 4 5 4 5; 1 0 2 3",
        "--kernel",
        "1 0; 1 -1",
        "--stride",
        2,
    )
    assert code == 0
    assert "(4 + 0 - 1 - 1)/2 + 1 = 2" in out
    assert "5*1 + 2*0 + 6*1 + 7*(-1) = 5 + 0 + 6 - 7 = 4" in out


def test_explain_pool_prints_the_max_of_each_window(capsys):
    code, out, _ = run_main(
        capsys, "explain", "pool", "--image", "1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4"
    )
    assert code == 0 and "6" in out and "8" in out and "output" in out


def test_demo_xo_prints_the_slides_maps(capsys):
    code, out, _ = run_main(capsys, "demo", "xo", "--no-training")
    assert code == 0
    # The slide's first feature map, first row, truncated to two decimals as the slide prints it.
    assert "0.77\t-0.11\t0.11\t0.33\t0.55\t-0.11\t0.33" in out
