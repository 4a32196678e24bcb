"""The lecture's notebooks (``notebooks/*.ipynb``) run from top to bottom without an error.

Each notebook runs in a fresh Jupyter kernel of this interpreter, in a temporary folder (the
files it writes go there), in its quick mode (``CONVLENS_NOTEBOOK_SMALL=1``: a few hundred
images, one epoch). Beyond "no cell failed", each must show its key results: pictures (PNG
outputs) and the numbers it is about. Test-only dependencies: nbclient, nbformat, ipykernel.
"""

from __future__ import annotations

import base64
import glob
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK_SECONDS = 120  # the whole notebook, all cells together; the quick runs take 5-30 s

# What each notebook must show: text its outputs contain, the fewest PNG pictures, the files
# it writes in its working folder.
EXPECTED = {
    "01_convolution_by_hand": {
        "text": ["same as by hand: True", "sum: 4.0", "top and bottom edges answer: True"],
        "pictures": 7,
        "files": ["conv_step_0.png"],
    },
    "02_x_or_o": {
        "text": ["0.77\t-0.11\t0.11", "distorted X: score X", "test accuracy"],
        "pictures": 7,
        "files": [],
    },
    "03_stride_and_padding": {
        "text": ["S=2: conv2d output (2, 2), formula 2", "P=2: conv2d output (7, 7), formula 7"],
        "pictures": 6,
        "files": ["stride2_padding0.png"],
    },
    "04_lenet5_mnist": {
        "text": ["Total params: 61,706", "test accuracy", "val_accuracy"],
        "pictures": 5,
        "files": ["checkpoints/model.01-*.h5", "training_log.csv", "logs/train/events.*"],
    },
    "05_hyperparameter_search": {
        "text": ["Results summary", "best hyperparameters:", "test accuracy"],
        "pictures": 1,
        "files": ["tuning/mnist_cnn/study.db"],
    },
    "06_transfer_learning": {
        "text": ["| seed | transfer | from scratch | gain |"],
        "pictures": 3,
        "files": ["mnist_base.keras"],
    },
}


def _notebook_names() -> list[str]:
    return sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))


def _fashion_mnist_root() -> str | None:
    """A folder holding ``fashion-mnist/`` with its four files (for ``CONVLENS_DATA``): the
    environment's, the project's shared datasets, or the user's cache. None when absent."""
    candidates = [
        os.environ.get("CONVLENS_DATA"),
        str(ROOT.parent / "shared" / "datasets"),
        os.path.expanduser("~/.cache/convlens"),
    ]
    for root in filter(None, candidates):
        if len(glob.glob(os.path.join(root, "fashion-mnist", "*-ubyte.gz"))) == 4:
            return root
    return None


@pytest.fixture
def kernel_of_this_python(tmp_path, monkeypatch):
    """A kernel spec named "python3" that runs this interpreter, found first on JUPYTER_PATH,
    so a fresh virtual environment needs no ``ipykernel install`` and never picks another
    Python that happens to have a "python3" kernel installed."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("CONVLENS_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # The kernel imports the convlens of this tree, whether installed or on PYTHONPATH.
    source = str(ROOT / "src")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    )
    return "python3"


def _outputs(book) -> tuple[str, int]:
    """All text the cells showed (streams, results, Markdown) and the number of PNGs."""
    texts, pictures = [], 0
    for cell in book.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output["text"])
            data = output.get("data", {})
            texts += [data.get("text/plain", ""), data.get("text/markdown", "")]
            if "image/png" in data:
                assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
                pictures += 1
    return "\n".join(texts), pictures


@pytest.mark.parametrize("name", _notebook_names())
def test_notebook_runs_in_quick_mode(name, tmp_path, monkeypatch, kernel_of_this_python):
    if name.startswith("06"):
        root = _fashion_mnist_root()
        if root is None:
            pytest.skip("Fashion-MNIST is not on this machine (set CONVLENS_DATA to its folder)")
        monkeypatch.setenv("CONVLENS_DATA", root)
    work = tmp_path / "work"
    work.mkdir()
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    deadline = time.monotonic() + NOTEBOOK_SECONDS
    client = nbclient.NotebookClient(
        book,
        kernel_name=kernel_of_this_python,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(work)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
    errors = [o for c in book.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    text, pictures = _outputs(book)
    expected = EXPECTED[name]
    for snippet in expected["text"]:
        assert snippet in text, f"{name}: {snippet!r} not in the outputs"
    assert pictures >= expected["pictures"], f"{name}: {pictures} pictures shown"
    for pattern in expected["files"]:
        assert glob.glob(str(work / pattern)), f"{name} did not write {pattern}"


def test_every_notebook_has_expectations():
    assert sorted(EXPECTED) == _notebook_names()


def test_notebooks_match_their_sources_and_have_no_outputs():
    """The .ipynb files are generated by notebooks/build.py from notebooks/sources/*.py."""
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for source in sorted((NOTEBOOKS / "sources").glob("[0-9]*.py")):
        generated = nbformat.writes(build.notebook(source)) + "\n"
        stored = (NOTEBOOKS / f"{source.stem}.ipynb").read_text(encoding="utf-8")
        assert stored == generated, f"run python notebooks/build.py ({source.name} changed)"
        book = nbformat.reads(stored, as_version=4)
        assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code")
        assert book.cells[1].cell_type == "code" and "google.colab" in book.cells[1].source
