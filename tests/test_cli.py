"""The ``convlens`` command as a user runs it: runs trained, kept, found again and used (issue
14, items 2, 3, 4, 6, 9). Errors, help, filter and tune: test_cli_commands.py.

Commands whose cost is the process itself run through ``main([...])`` in this process (with
capsys); those that need a real process (Ctrl-C, the installed entry point) run as subprocesses.
"""

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import convlens as cl
from cli_helpers import SHARED, assert_one_line_error, convlens, run_main, small_data
from convlens import jobs

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One quick `convlens train` run, as a user starts it, shared by the commands that need a
    run: (the folder the user works in, the run's folder, stdout)."""
    home = tmp_path_factory.mktemp("user")
    result = convlens("train", "--limit", 200, "--epochs", 1, "--verbose", 0, cwd=home)
    assert result.returncode == 0, result.stderr
    return home, home / "runs" / "lenet5-mnist-1", result.stdout


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
