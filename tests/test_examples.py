"""Every script in examples/ runs as a user would run it, with small settings, and writes and
prints what its docstring promises. Deselect the slow ones with ``-m "not slow"``."""

import os
import re
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def run_example(name, tmp_path, *args, timeout=120):
    """Run ``examples/name`` with ``--output-dir tmp_path/out``; return (stdout, output folder)."""
    out = tmp_path / "out"
    # An empty dataset cache: no example may reach for the network or a user's files.
    env = {**os.environ, "CONVLENS_DATA": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, name), "--output-dir", str(out), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, out


def test_every_example_has_a_test_and_a_docstring():
    scripts = sorted(name for name in os.listdir(EXAMPLES) if name.endswith(".py"))
    tested = {name[5:7] for name in globals() if re.match(r"test_\d\d_", name)}
    assert {name[:2] for name in scripts} == tested
    for name in scripts:
        with open(os.path.join(EXAMPLES, name)) as file:
            text = file.read()
        assert text.startswith('"""Slide'), name
        assert len(text.splitlines()) <= 45, name


def test_01_kernels_on_a_photo(tmp_path):
    filters = pytest.importorskip("convlens.filters")
    names = list(filters.KERNELS)[:2]
    stdout, out = run_example(
        "01_kernels_on_a_photo.py", tmp_path, *[arg for name in names for arg in ("--kernel", name)]
    )
    assert (out / "kernels.png").stat().st_size > 1000
    for name in names:
        assert re.search(rf"{re.escape(name)}: response from +-?\d", stdout)


def test_02_horizontal_edge_exercise(tmp_path):
    stdout, out = run_example("02_horizontal_edge_exercise.py", tmp_path)
    assert "top edge +3, bottom edge -3, left edge +0, right edge +0" in stdout
    assert "our answer is convlens.filters' horizontal_edge kernel: True" in stdout
    assert (out / "horizontal_edges.txt").read_text() == stdout


def test_03_x_or_o(tmp_path):
    stdout, out = run_example("03_x_or_o.py", tmp_path)
    assert "0.77\t-0.11\t0.11\t0.33\t0.55\t-0.11\t0.33" in stdout  # the slide's first map
    assert "1.00\t0.33\t0.55\t0.33" in stdout  # the pooled map
    assert re.search(r"the distorted X: +X +[\d.]+, O +[\d.]+ +-> +X", stdout)
    assert (out / "x_or_o.txt").read_text() == stdout


@pytest.mark.slow
def test_03_x_or_o_trained(tmp_path):
    stdout, _ = run_example("03_x_or_o.py", tmp_path, "--train")
    accuracy = float(re.search(r"held-out accuracy ([\d.]+)", stdout)[1])
    assert accuracy >= 0.99
    assert len(re.findall(r"filter \d: \w+ +cosine [+-][\d.]+", stdout)) == 3


def test_04_stride_and_padding(tmp_path):
    stdout, out = run_example("04_stride_and_padding.py", tmp_path)
    for label, size in [("S=1", 3), ("S=2", 2), ("P=1", 5), ("P=2", 7)]:
        assert f"{label}: " in stdout and f"= {size}; conv2d gives {size}x{size}" in stdout
    assert re.search(r"S=1:.*\n +4 +1 +6\n +5 +8 +7\n +5 +3 +3\n", stdout)  # 5*1 + 6*1 - 7 = 4
    assert re.search(r"S=2:.*\n +4 +6\n +5 +3\n", stdout)
    assert (out / "stride_and_padding.txt").read_text() == stdout


@pytest.mark.slow
def test_05_lenet5_mnist(tmp_path):
    stdout, out = run_example("05_lenet5_mnist.py", tmp_path, "--epochs", "2", "--limit", "600")
    accuracy = float(re.search(r"test accuracy ([\d.]+)", stdout)[1])
    assert 0 <= accuracy <= 1
    checkpoints = sorted(p.name for p in out.glob("model.*.h5"))
    assert [name[:9] for name in checkpoints] == ["model.01-", "model.02-"]
    assert all(re.fullmatch(r"model\.0\d-\d+\.\d\d\.h5", name) for name in checkpoints)
    assert list((out / "logs" / "train").glob("events.out.tfevents.*"))
    assert list((out / "logs" / "validation").glob("events.out.tfevents.*"))


def test_06_colour_cnn_cifar10_falls_back_to_the_sample(tmp_path):
    stdout, out = run_example("06_colour_cnn_cifar10.py", tmp_path, "--epochs", "1")
    assert "training on 20 images of the 20 bundled sample images" in stdout
    # Issue 14 item 12: offline, no accuracy measured on the training images is called a test.
    assert "test accuracy" not in stdout
    assert re.search(r"smoke run only, .* not a test: [\d.]+, loss [\d.]+ \(20 images\)", stdout)
    assert (out / "colour_cnn.keras").stat().st_size > 1000


def test_07_transfer_learning(tmp_path):
    fashion = os.path.join(os.path.dirname(os.path.dirname(EXAMPLES)), "shared", "datasets")
    if not os.path.isdir(os.path.join(fashion, "fashion-mnist")):
        pytest.skip("Fashion-MNIST is not in ../shared/datasets")
    args = ["--fashion-dir", os.path.join(fashion, "fashion-mnist"), "--limit", "300"]
    args += ["--labelled", "30", "50", "--seeds", "0", "1", "--base-epochs", "1"]
    args += ["--epochs", "1", "1"]
    stdout, out = run_example("07_transfer_learning.py", tmp_path, *args)
    assert "pretraining on 300 MNIST digits, 1 epochs" in stdout
    assert "30 labelled images" in stdout and "50 labelled images" in stdout
    rows = re.findall(r"\| (\d) \| ([\d.]+) \| ([\d.]+) \| ([+-][\d.]+) \|", stdout)
    assert [row[0] for row in rows] == ["0", "1", "0", "1"]
    for _, moved, scratch, gain in rows:
        assert abs(float(moved) - float(scratch) - float(gain)) < 2e-4
    for table in (out / "transfer.md").read_text().split("labelled images")[1:]:
        assert table.strip() in stdout
    assert (out / "mnist_base.keras").stat().st_size > 1000
