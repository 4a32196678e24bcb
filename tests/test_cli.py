"""The ``convlens`` command as a user runs it: files written, numbers printed, runs kept and found
again, one-line errors with exit code 2 and never a traceback (issue 14: one test per item).

Commands whose cost is the process itself run through ``main([...])`` in this process (with
capsys/capfd); those that need a real process (Ctrl-C, the installed entry point, the offline
message as the terminal shows it) run as subprocesses.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from convlens import jobs
from convlens.cli import build_parser, main

PIL = pytest.importorskip("PIL.Image")
SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared")


def convlens(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "convlens", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
    )


def run_main(capsys, *args):
    """``convlens ARGS`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One quick `convlens train` run, as a user starts it, shared by the commands that need a
    run: (the folder the user works in, the run's folder, stdout)."""
    home = tmp_path_factory.mktemp("user")
    result = convlens("train", "--limit", 200, "--epochs", 1, "--verbose", 0, cwd=home)
    assert result.returncode == 0, result.stderr
    return home, home / "runs" / "lenet5-mnist-1", result.stdout


def small_data(test_size=50, seed=0):
    """A stand-in for load_dataset: 300 training and ``test_size`` test images, 10 classes."""
    rng = np.random.default_rng(seed)
    x = rng.random((300 + test_size, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 300 + test_size)
    return (x[:300], y[:300]), (x[300:], y[300:])


# ----- the run: written, recorded, never overwritten, found again (items 2 and 3) -----
def test_train_writes_the_model_summary_log_curves_and_result(trained):
    _, folder, stdout = trained
    assert {p.name for p in folder.iterdir()} >= {
        "model.keras",
        "summary.txt",
        "log.csv",
        "curves.png",
        "result.json",
    }
    result = json.loads((folder / "result.json").read_text())
    assert result["test_samples"] == 10000
    assert f"test accuracy {result['test_accuracy']:.4f}" in stdout
    assert f"run kept in {os.path.join('runs', 'lenet5-mnist-1')}" in stdout
    assert "Total params: 61,706" in (folder / "summary.txt").read_text()
    # The record holds what evaluate, predict and show need (item 2).
    assert result["dataset"] == "mnist" and result["model"] == "lenet5"
    assert result["preprocessing"]["input_shape"] == [28, 28, 1]
    assert result["preprocessing"]["color_mode"] == "grayscale"


def test_item3_validation_is_split_from_the_training_images(trained):
    _, folder, stdout = trained
    result = json.loads((folder / "result.json").read_text())
    # --limit 200 and the default --validation-split 0.1: 180 to learn from, 20 to validate.
    assert (result["train_samples"], result["validation_samples"]) == (180, 20)
    log = (folder / "log.csv").read_text().splitlines()
    assert "val_accuracy" in log[0]
    row = dict(zip(log[0].split(","), log[1].split(",")))
    assert float(row["val_accuracy"]) == pytest.approx(result["validation_accuracy"])
    assert float(row["val_accuracy"]) * 20 == pytest.approx(round(float(row["val_accuracy"]) * 20))
    assert "validation accuracy" in stdout and "on 20 images held out" in stdout


def test_item2_each_run_has_its_own_folder_and_nothing_is_overwritten(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(jobs, "load_dataset", lambda name: small_data())
    runs = tmp_path / "runs"
    args = ["train", "--limit", 100, "--epochs", 1, "--verbose", 0, "--runs-dir", runs]
    assert run_main(capsys, *args)[0] == 0
    first = {p.name: p.read_bytes() for p in (runs / "lenet5-mnist-1").iterdir()}
    assert run_main(capsys, *args, "--seed", 1)[0] == 0
    assert sorted(p.name for p in runs.iterdir()) == ["lenet5-mnist-1", "lenet5-mnist-2"]
    assert {p.name: p.read_bytes() for p in (runs / "lenet5-mnist-1").iterdir()} == first
    # An --output-dir that holds a run is refused, not overwritten.
    code, _, err = run_main(capsys, *args, "--output-dir", runs / "lenet5-mnist-1")
    assert_one_line_error(code, err, "never overwritten")
    assert {p.name: p.read_bytes() for p in (runs / "lenet5-mnist-1").iterdir()} == first


def test_item2_evaluate_and_predict_use_the_latest_runs_dataset_and_names(
    tmp_path, monkeypatch, capsys
):
    asked = []

    def load(name):
        asked.append(name)
        return small_data()

    monkeypatch.setattr(jobs, "load_dataset", load)
    runs = tmp_path / "runs"
    common = ["--runs-dir", runs]
    run_main(capsys, "train", "--limit", 100, "--epochs", 1, "--verbose", 0, *common)
    train = ["train", "--dataset", "fashion_mnist", "--limit", 100, "--epochs", 1, "--verbose", 0]
    assert run_main(capsys, *train, *common)[0] == 0
    asked.clear()
    code, out, _ = run_main(capsys, "evaluate", *common)
    assert code == 0 and asked == ["fashion_mnist"]  # the latest run's dataset, not mnist
    assert "on the fashion_mnist test set" in out and "the run's dataset" in out
    assert os.path.join("lenet5-fashion_mnist-1", "model.keras") in out
    asked.clear()
    code, out, err = run_main(capsys, "evaluate", runs / "lenet5-mnist-1", *common)
    assert code == 0 and asked == ["mnist"] and err == ""
    code, out, err = run_main(capsys, "evaluate", "--dataset", "mnist", *common)
    assert code == 0 and "trained on fashion_mnist; testing it on mnist" in err
    PIL.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "dark.png")
    code, out, err = run_main(capsys, "predict", tmp_path / "dark.png", *common)
    names = cl.datasets.fashion_mnist.CLASS_NAMES
    assert code == 0 and any(f"class {i} {name} (" in out for i, name in enumerate(names))


def test_evaluate_and_summary_read_the_saved_model(trained, capsys):
    home, folder, _ = trained
    result = json.loads((folder / "result.json").read_text())
    code, out, _ = run_main(capsys, "evaluate", folder / "model.keras")
    assert code == 0 and f"test accuracy {result['test_accuracy']:.4f}" in out
    code, out, _ = run_main(capsys, "summary", folder)
    assert "conv2d" in out and "61,706" in out and "Route" not in out
    code, out, _ = run_main(capsys, "summary", folder / "model.keras", "--routes", "4")
    expected = cl.models.load_model(folder / "model.keras").layers[0].conv_plan(4).short()
    assert code == 0 and "Routes for a batch of 4" in out
    assert expected in out.splitlines()[4]


# ----- sample inputs and the README's commands as written (items 9, 6) -----
def test_item9_sample_writes_a_dataset_image_and_the_readme_commands_work(
    trained, capsys, monkeypatch
):
    home, folder, _ = trained
    monkeypatch.chdir(home)
    result = convlens("sample", "mnist", "--index", 0, "-o", "digit.png", cwd=home)
    assert result.returncode == 0, result.stderr
    (_, _), (x_test, y_test) = cl.datasets.mnist.load_data()
    assert f"class {y_test[0]}" in result.stdout
    np.testing.assert_array_equal(np.asarray(PIL.open(home / "digit.png")), x_test[0])
    # README: `convlens predict digit.png`, `convlens show features digit.png -o features.png`
    code, out, err = run_main(capsys, "predict", "digit.png")
    lines = out.splitlines()
    assert lines[0] == f"model {os.path.join('runs', 'lenet5-mnist-1')} (lenet5 on mnist):"
    assert code == 0 and lines[1].startswith("digit.png: class ") and err == ""
    code, out, err = run_main(capsys, "show", "features", "digit.png", "-o", "features.png")
    assert code == 0 and os.path.join("runs", "lenet5-mnist-1") in out, err
    code, out, err = run_main(capsys, "show", "filters", "-o", "filters.png")
    assert code == 0, err
    for name in ("features.png", "filters.png"):
        with PIL.open(home / name) as image:
            assert image.size[0] > 100 and image.size[1] > 100


def test_item9_sample_fashion_mnist_names_the_class(tmp_path, capsys, monkeypatch):
    shared = os.path.join(SHARED, "datasets", "fashion-mnist")
    if not os.path.isdir(shared):
        pytest.skip("Fashion-MNIST is not in ../shared/datasets")
    os.symlink(os.path.abspath(shared), tmp_path / "fashion-mnist")
    monkeypatch.setenv("CONVLENS_DATA", str(tmp_path))
    code, out, _ = run_main(capsys, "sample", "fashion_mnist", "-o", tmp_path / "shoe.png")
    (_, _), (x_test, y_test) = cl.datasets.fashion_mnist.load_data()
    assert code == 0 and cl.datasets.fashion_mnist.CLASS_NAMES[y_test[0]] in out
    np.testing.assert_array_equal(np.asarray(PIL.open(tmp_path / "shoe.png")), x_test[0])
    code, _, err = run_main(capsys, "sample", "fashion_mnist", "--index", 10000, "-o", "x.png")
    assert_one_line_error(code, err, "0 to 9999")


def test_item6_predict_refuses_an_image_far_from_the_models_shape(trained, tmp_path, capsys):
    _, folder, _ = trained
    PIL.new("L", (1, 1), 255).save(tmp_path / "dot.png")
    PIL.new("L", (280, 30), 0).save(tmp_path / "strip.png")
    PIL.new("L", (42, 28), 0).save(tmp_path / "wide.png")
    code, out, err = run_main(capsys, "predict", tmp_path / "dot.png", "--run", folder)
    assert_one_line_error(code, err, "dot.png is 1x1", "at least 14x14")
    assert "class" not in out  # not silently a digit
    code, out, err = run_main(capsys, "predict", tmp_path / "strip.png", "--run", folder)
    assert_one_line_error(code, err, "strip.png is 280x30", "proportions")
    code, out, err = run_main(capsys, "predict", tmp_path / "wide.png", "--run", folder)
    assert code == 0 and "wide.png: class" in out
    assert (
        err.strip()
        == f"convlens predict: warning: {tmp_path / 'wide.png'} is 42x28: squashed to 28x28"
    )


# ----- Ctrl-C (item 4) -----
@pytest.mark.slow  # a real process, two epochs of 2,700 images: ~8 s
def test_item4_ctrl_c_saves_the_completed_epochs_and_says_where(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "convlens", "train", "--limit", "3000", "--epochs", "5"]
        + ["--batch-size", "32", "--verbose", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"},
    )
    first = process.stdout.readline()  # epoch 1 is done when its line is printed
    assert first.startswith("Epoch 1/5"), first + process.stderr.read()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    folder = tmp_path / "runs" / "lenet5-mnist-1"
    assert process.returncode == 130, err
    assert err.strip().splitlines() == [
        f"convlens train: interrupted after 1 of 5 epochs; saved the model and the log and "
        f"curves of the completed epochs in {os.path.join('runs', 'lenet5-mnist-1')} (the test "
        "set is kept for finished runs)"
    ]
    assert {"model.keras", "curves.png", "log.csv", "result.json"} <= {
        p.name for p in folder.iterdir()
    }
    result = json.loads((folder / "result.json").read_text())
    assert result["interrupted"] and result["epochs_run"] == 1 and result["test_accuracy"] is None
    log = (folder / "log.csv").read_text().splitlines()
    assert len(log) == 2 and log[1].startswith("0,")  # the header and the completed epoch only
    assert cl.models.load_model(folder / "model.keras").count_params() == 61_706


def test_item4_the_second_ctrl_c_aborts():
    from convlens.callbacks.stop_on_interrupt import StopOnInterrupt

    before = signal.getsignal(signal.SIGINT)
    callback = StopOnInterrupt()
    callback.on_train_begin()
    try:
        os.kill(os.getpid(), signal.SIGINT)  # the first: only a flag
        assert callback.interrupted
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # the second: Python's KeyboardInterrupt
    finally:
        callback.on_train_end()
    assert signal.getsignal(signal.SIGINT) is before


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


def test_item5_errors_of_the_installed_command_are_one_line(trained, tmp_path, capsys):
    _, folder, _ = trained
    result = convlens("show", "filters", folder, "--layer", "max_pooling2d", "-o", "f.png")
    assert_one_line_error(result.returncode, result.stderr, "max_pooling2d", "conv2d, conv2d_1")
    code, _, err = run_main(capsys, "evaluate", tmp_path)  # a folder: was [Errno 21]
    assert_one_line_error(code, err, "folder without model.keras")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    code, _, err = run_main(
        capsys, "filter", tmp_path / "bad.png", "--kernel", "sharpen", "-o", "o.png"
    )
    assert_one_line_error(code, err, "bad.png")


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
    import logging

    for handler in logging.getLogger("optuna").handlers:
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
