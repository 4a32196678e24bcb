"""Hostile model files (issue 15): mutation fuzzing of real files in every format, the
issue's cases one by one, and loads under a memory limit.

The oracle is the original model (tests/hostile_mutations.py): every load must either give
exactly the original weights (and optimizer state) or raise ModelFileError naming the file;
no other exception, no silent change.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import convlens as cl
from convlens import saving
from convlens.saving import ModelFileError
from hostile_mutations import (
    FORMATS,
    MAKERS,
    SHAPES,
    SUFFIX,
    datasets_of,
    edit_h5,
    functional_bn,
    run_cases,
    save,
    zip_bytes,
    zip_members,
)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    # The same originals whatever ran before in this process: fresh layer names, seeded
    # weights. (Built after other tests, one config edit of the BN model's .keras once loaded
    # with a changed learning rate: open in the issue-15 note.)
    cl.backend.clear_session()
    cl.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("originals")
    result = {}
    for name, make in MAKERS.items():
        model = make()
        shape, classes = SHAPES[name]
        rng = np.random.default_rng(0)
        x = rng.standard_normal((8, *shape)).astype(np.float32)
        model.fit(x, np.arange(8) % classes, epochs=1, verbose=0)
        for fmt in FORMATS:
            path = folder / f"{name}{SUFFIX[fmt]}"
            save(model, fmt, path)
            result[name, fmt] = (path.read_bytes(), model)
    return result


def test_a_few_hundred_mutated_files_load_identically_or_fail_cleanly(originals, tmp_path):
    outcomes = run_cases(originals, tmp_path, 320, seed=15)
    assert sum(outcomes.values()) == 320
    assert sum(n for (_, _, outcome), n in outcomes.items() if outcome == "refused") > 100


@pytest.mark.slow
def test_thousands_of_mutated_files_load_identically_or_fail_cleanly(originals, tmp_path):
    outcomes = run_cases(originals, tmp_path, 3000, seed=1515, bombs=True)
    assert sum(outcomes.values()) == 3000


# ----- the cases, one by one -----
def _with_config(data: bytes, edit) -> bytes:
    members = [(info.filename, content) for info, content in zip_members(data)]
    config = {n: json.loads(c) for n, c in members if n == "config.json"}["config.json"]
    edit(config)
    return zip_bytes([(n, json.dumps(config) if n == "config.json" else c) for n, c in members])


def _keras_layers(config):
    return config["config"]["layers"]


def _refused(path, match, **kwargs):
    with pytest.raises(ModelFileError, match=match) as caught:
        saving.load_model(path, **kwargs)
    assert str(path) in str(caught.value)


def test_duplicate_members_are_refused(originals, tmp_path):
    for fmt in ("keras", "convlens_zip"):
        members = [(i.filename, c) for i, c in zip_members(originals["bn", fmt][0])]
        path = tmp_path / f"dup{SUFFIX[fmt]}"
        path.write_bytes(zip_bytes([*members, members[-1]]))
        _refused(path, "more than once")


@pytest.mark.parametrize("value", [0, "", 1, "yes", None])
def test_trainable_must_be_a_bool(originals, tmp_path, value):
    path = tmp_path / "t.keras"
    edit = lambda c: _keras_layers(c)[1]["config"].update(trainable=value)  # noqa: E731
    path.write_bytes(_with_config(originals["lenet", "keras"][0], edit))
    _refused(path, "trainable must be True or False")


def test_a_dilation_far_beyond_the_input_is_refused_at_load(originals, tmp_path):
    path = tmp_path / "d.keras"

    def edit(config):
        conv = _keras_layers(config)[1]
        assert conv["class_name"] == "Conv2D" and conv["config"]["padding"] == "same"
        conv["config"]["dilation_rate"] = [10**12, 10**12]  # loaded, then failed in predict

    path.write_bytes(_with_config(originals["bn", "keras"][0], edit))
    _refused(path, "dilat")


def _big_config(config):
    """The issue's 5 KB config: input 4096x4096 and 10**8 filters."""
    _keras_layers(config)[0]["config"]["batch_shape"] = [None, 4096, 4096, 1]
    _keras_layers(config)[1]["config"]["filters"] = 10**8


def _npz_file(originals, tmp_path, member, edit):
    members = [(i.filename, c) for i, c in zip_members(originals["bn", "convlens_zip"][0])]
    with np.load(io.BytesIO(dict(members)[member]), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    edit(arrays)
    path = tmp_path / f"{member}.zip"
    content = saving._npz_bytes(arrays)
    path.write_bytes(zip_bytes([(n, content if n == member else c) for n, c in members]))
    return path


@pytest.mark.parametrize("dtype", ["int32", "bool", "U8", "S8", "datetime64[s]", "complex64"])
def test_weights_that_are_not_floats_are_refused(originals, tmp_path, dtype):
    first = lambda arrays: arrays.update({min(arrays): arrays[min(arrays)].astype(dtype)})  # noqa: E731
    _refused(_npz_file(originals, tmp_path, "weights.npz", first), "holds|not numbers")
    path = tmp_path / "w.h5"
    if dtype not in ("U8", "datetime64[s]"):  # HDF5 stores neither
        path.write_bytes(edit_h5(originals["bn", "legacy_h5"][0], _retype(dtype)))
        _refused(path, "holds")


def _retype(dtype):
    def edit(h5):
        name = next(n for n in datasets_of(h5) if n.startswith("model_weights"))
        value = h5[name][()]
        del h5[name]
        h5[name] = value.astype(dtype)

    return edit


def test_nan_weights_are_refused_unless_allowed(originals, tmp_path):
    def poison(arrays):
        key = sorted(arrays)[0]
        arrays[key] = arrays[key].copy()
        arrays[key].reshape(-1)[0] = np.nan

    path = _npz_file(originals, tmp_path, "weights.npz", poison)
    _refused(path, "NaN or inf")
    loaded = saving.load_model(path, allow_nonfinite=True)
    assert np.isnan(loaded.get_weights()[0].reshape(-1)[0])
    h5_path = tmp_path / "nan.weights.h5"

    def poison_h5(h5):
        name = next(n for n in datasets_of(h5) if n.startswith("layers"))
        h5[name][(0,) * h5[name].ndim] = np.inf

    h5_path.write_bytes(edit_h5(originals["bn", "weights_h5"][0], poison_h5))
    with pytest.raises(ModelFileError, match="NaN or inf"):
        functional_bn().load_weights(h5_path)
    model = functional_bn()
    model.load_weights(h5_path, allow_nonfinite=True)
    assert sum(int(np.isinf(w).sum()) for w in model.get_weights()) == 1


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda a: a.clear(), "iterations"),
        (lambda a: a.update(iterations=np.asarray(2.5)), "iterations"),
        (lambda a: a.update(learning_rate=np.asarray("0.01")), "learning_rate"),
        (lambda a: a.pop(max(a)), "state"),
    ],
)
def test_optimizer_state_is_complete_or_refused(originals, tmp_path, edit, match):
    _refused(_npz_file(originals, tmp_path, "optimizer.npz", edit), match)


def test_an_iterations_count_stored_as_a_float_is_refused(originals, tmp_path):
    def edit(h5):
        del h5["optimizer/vars/0"]
        h5["optimizer/vars/0"] = np.asarray(2.5)

    members = [(i.filename, c) for i, c in zip_members(originals["bn", "keras"][0])]
    members = [(n, edit_h5(c, edit) if n.endswith(".h5") else c) for n, c in members]
    path = tmp_path / "it.keras"
    path.write_bytes(zip_bytes(members))
    _refused(path, "holds float64")


@pytest.mark.parametrize("padding, match", [(64, "has shape"), (1 << 20, "bytes")])
def test_an_npy_header_declaring_gigabytes_is_refused_unread(originals, tmp_path, padding, match):
    """A 1 MB member declaring 1.5 GB is refused by its size (the model's kernel is 6 KB), a
    small one by its header's shape; neither is read."""
    members = [(i.filename, c) for i, c in zip_members(originals["bn", "convlens_zip"][0])]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (3, 3, 3, 4 * 10**7)}
    )
    with zipfile.ZipFile(io.BytesIO(dict(members)["weights.npz"])) as inner:
        arrays = [(n, inner.read(n)) for n in inner.namelist()]
    arrays[0] = (arrays[0][0], header.getvalue() + bytes(padding))
    path = tmp_path / "npy.zip"
    content = zip_bytes(arrays)
    path.write_bytes(zip_bytes([(n, content if n == "weights.npz" else c) for n, c in members]))
    _refused(path, match)


def test_an_hdf5_dataset_declaring_gigabytes_is_refused_unread(originals, tmp_path):
    def edit(h5):
        name = next(n for n in datasets_of(h5) if n.startswith("layers"))
        del h5[name]
        h5.create_dataset(name, shape=(10**9,), dtype="f4")  # never written: no storage

    path = tmp_path / "huge.weights.h5"
    path.write_bytes(edit_h5(originals["bn", "weights_h5"][0], edit))
    with pytest.raises(ModelFileError, match="declare"):
        functional_bn().load_weights(path)


def test_deeply_nested_config_is_a_model_file_error(originals, tmp_path):
    members = [(i.filename, c) for i, c in zip_members(originals["bn", "keras"][0])]
    nested = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.keras"
    path.write_bytes(zip_bytes([(n, nested if n == "config.json" else c) for n, c in members]))
    _refused(path, "config.json")


def test_a_changed_finite_weight_in_hdf5_loads_as_stored(originals, tmp_path):
    """HDF5 has no checksum over data: a finite value edited in place is a valid file, and
    convlens reads exactly what is stored (this is what the fuzzer's byte flips avoid)."""

    def edit(h5):
        name = next(n for n in datasets_of(h5) if n.startswith("layers"))
        h5[name][(0,) * h5[name].ndim] = 0.125

    path = tmp_path / "edited.weights.h5"
    path.write_bytes(edit_h5(originals["bn", "weights_h5"][0], edit))
    model = functional_bn()
    model.load_weights(path)
    changed = [
        int((a != b).sum())
        for a, b in zip(originals["bn", "weights_h5"][1].get_weights(), model.get_weights())
    ]
    assert sum(changed) == 1 and any(0.125 in w for w in model.get_weights())


# ----- memory bounded under a limit the test sets -----
MEMORY_SCRIPT = """
import resource, sys
import convlens as cl
from convlens import saving

def vm_bytes():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmSize:"))
    return int(line.split()[1]) * 1024

limit = vm_bytes() + {headroom}
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    saving.load_model(sys.argv[1])
except saving.ModelFileError as error:
    print("ModelFileError", error)
except MemoryError:
    print("MemoryError")
"""


def _bounded_load(path, headroom):
    script = MEMORY_SCRIPT.format(headroom=headroom)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc")
def test_hostile_files_fail_cleanly_under_a_memory_limit(originals, tmp_path):
    """The issue's 5 KB config (10 GB of weights) is refused before building, and a zip
    bomb before inflating; both in a subprocess whose address space the test bounds (a
    regression then fails with MemoryError instead of exhausting the machine)."""
    big = tmp_path / "big.keras"
    big.write_bytes(_with_config(originals["lenet", "keras"][0], _big_config))
    assert os.path.getsize(big) < 2 << 20
    code, output = _bounded_load(big, 1536 << 20)
    assert code == 0 and output.startswith("ModelFileError") and str(big) in output, output
    assert "more weights than the file" in output
    # A 1 GiB member deflated to ~1 MB, read under 256 MiB of headroom.
    members = [(i.filename, c) for i, c in zip_members(originals["lenet", "keras"][0])]
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            if name != "model.weights.h5":
                archive.writestr(name, content)
        with archive.open("model.weights.h5", "w", force_zip64=True) as stream:
            for _ in range(64):
                stream.write(bytes(16 << 20))
    code, output = _bounded_load(bomb, 256 << 20)
    assert code == 0 and output.startswith("ModelFileError") and str(bomb) in output, output


def test_an_optimizer_that_stepped_without_its_slots_is_refused(originals, tmp_path):
    def edit(h5):
        for key in [k for k in h5["optimizer/vars"] if k not in ("0", "1")]:
            del h5[f"optimizer/vars/{key}"]

    members = [(i.filename, c) for i, c in zip_members(originals["bn", "keras"][0])]
    members = [(n, edit_h5(c, edit) if n.endswith(".h5") else c) for n, c in members]
    path = tmp_path / "noslots.keras"
    path.write_bytes(zip_bytes(members))
    _refused(path, "none of its slots")
