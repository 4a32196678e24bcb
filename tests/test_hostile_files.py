"""Hostile model files (issue 15): mutation fuzzing of real files in every format.

LeNet-5 and a small functional model with BatchNormalization are trained a step and saved as
``.keras``, ``.weights.h5``, Keras 2 ``.h5`` and convlens's older zip; each file is then
mutated (bytes flipped, truncated, members duplicated, dropped or inflated, config values
replaced, HDF5 datasets and ``.npy`` arrays given other dtypes, shapes or NaN). The oracle is
the original model: every load must either give exactly the original weights (and optimizer
state) or raise ModelFileError naming the file; no other exception, no silent change.

HDF5 stores no checksum over its data, so bytes are flipped only outside the datasets' raw
data there (a flipped weight byte is a different, valid file); zip members carry a CRC.
"""

from __future__ import annotations

import collections
import io
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from convlens import layers, models, saving
from convlens.saving import ModelFileError

FORMATS = ("keras", "weights_h5", "legacy_h5", "convlens_zip")
SUFFIX = {
    "keras": ".keras",
    "weights_h5": ".weights.h5",
    "legacy_h5": ".h5",
    "convlens_zip": ".zip",
}
HOSTILE_VALUES = [
    0,
    1,
    "",
    "x",
    None,
    -1,
    2.5,
    True,
    [],
    {},
    [10**8, 10**8],
    10**12,
    -(10**12),
    10**8,
    float("nan"),
    [[[[]]]],
    {"class_name": "Dense"},
    "relu",
    [4096, 4096, 1],
]


def lenet():
    model = models.Sequential(
        [
            layers.Input((32, 32, 1)),
            layers.Conv2D(6, 5, activation="tanh"),
            layers.AveragePooling2D(),
            layers.Conv2D(16, 5, activation="tanh"),
            layers.AveragePooling2D(),
            layers.Flatten(),
            layers.Dense(120, activation="tanh"),
            layers.Dense(84, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    return _compiled(model)


def functional_bn():
    inputs = layers.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(3, activation="softmax")(x)
    return _compiled(models.Model(inputs, outputs))


def _compiled(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


MAKERS = {"lenet": lenet, "bn": functional_bn}
SHAPES = {"lenet": ((32, 32, 1), 10), "bn": ((8, 8, 3), 3)}


def save(model, fmt, path):
    if fmt == "weights_h5":
        model.save_weights(path)
    elif fmt == "convlens_zip":
        saving.save_convlens_zip(model, path)
    else:
        model.save(path)


def load(fmt, path, name):
    if fmt == "weights_h5":
        model = MAKERS[name]()
        model.load_weights(path)
        return model
    return saving.load_model(path)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
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


# ----- the oracle -----
def _as_stored(path) -> list[np.ndarray]:
    """Every dataset of an HDF5 file as h5py reads it (an independent reader)."""
    found = []
    try:
        with h5py.File(path, "r") as h5:
            h5.visititems(
                lambda _n, item: (
                    found.append(np.asarray(item[()])) if isinstance(item, h5py.Dataset) else None
                )
            )
    except Exception:  # noqa: BLE001 - unreadable for h5py: nothing counts as stored
        return []
    return found


def _same(want, got, stored) -> bool:
    """Equal to the original, or (``stored`` given) to an array the mutated file holds."""
    if want.dtype == got.dtype and np.array_equal(want, got):
        return True
    return any(a.shape == got.shape and np.array_equal(a.astype(got.dtype), got) for a in stored)


def check_load(fmt, path, name, original, stored=()) -> str:
    """``"loaded"`` (identical content) or ``"refused"`` (ModelFileError naming the file);
    anything else fails the test. HDF5 checks no sums: a flipped byte in a data address is a
    valid file pointing elsewhere, so with ``stored`` (the mutated file's datasets, read by
    h5py) a weight may also equal what that file holds; never anything else."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loaded = load(fmt, path, name)
    except ModelFileError as error:
        assert str(path) in str(error), f"the message does not name the file: {error}"
        return "refused"
    for a, b in zip(original.get_weights(), loaded.get_weights(), strict=True):
        assert _same(a, b, stored), "weights changed silently"
    if fmt != "weights_h5":
        if loaded.compiled:
            want, got = original.optimizer.get_state(), loaded.optimizer.get_state()
            assert sorted(want) == sorted(got), "optimizer state changed silently"
            for key, value in want.items():
                assert _same(value, got[key], stored), f"optimizer {key} changed silently"
        else:
            assert caught, "the model lost its compile configuration without a word"
    return "loaded"


# ----- mutations -----
def _zip_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _zip(members, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of one mutation
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, content in members:
                archive.writestr(name, content)
    return buffer.getvalue()


def _h5_data_ranges(data: bytes) -> list[tuple[int, int]]:
    ranges = []
    with h5py.File(io.BytesIO(data), "r") as h5:

        def visit(_name, item):
            if isinstance(item, h5py.Dataset) and item.id.get_offset() is not None:
                ranges.append((item.id.get_offset(), item.id.get_storage_size()))

        h5.visititems(visit)
    return ranges


def flip_bytes(rng, data, fmt):
    data = bytearray(data)
    banned = _h5_data_ranges(bytes(data)) if fmt in ("weights_h5", "legacy_h5") else []
    for _ in range(int(rng.integers(1, 9))):
        while True:
            at = int(rng.integers(0, len(data)))
            if not any(start <= at < start + size for start, size in banned):
                break
        data[at] ^= 1 << int(rng.integers(0, 8))
    return bytes(data)


def truncate(rng, data, fmt):
    return data[: int(rng.integers(0, len(data)))]


def append_garbage(rng, data, fmt):
    return data + rng.bytes(int(rng.integers(1, 4096)))


def duplicate_member(rng, data, fmt):
    members = [(info.filename, content) for info, content in _zip_members(data)]
    name, content = members[int(rng.integers(len(members)))]
    copy = content if rng.random() < 0.5 else content[::-1]
    return _zip([*members, (name, copy)])


def drop_member(rng, data, fmt):
    members = [(info.filename, content) for info, content in _zip_members(data)]
    del members[int(rng.integers(len(members)))]
    return _zip(members)


def inflate_member(rng, data, fmt):
    """A member replaced by ~96 MiB of zeros, deflated to ~100 KB (a zip bomb)."""
    members = [(info.filename, content) for info, content in _zip_members(data)]
    at = int(rng.integers(len(members)))
    members[at] = (members[at][0], bytes(96 << 20))
    return _zip(members, zipfile.ZIP_DEFLATED)


def lie_about_size(rng, data, fmt):
    """A central-directory entry declaring 2 GiB (its data unchanged)."""
    data = bytearray(data)
    starts = [i for i in range(len(data) - 4) if data[i : i + 4] == b"PK\x01\x02"]
    at = starts[int(rng.integers(len(starts)))]
    data[at + 24 : at + 28] = (2**31 - 1).to_bytes(4, "little")
    return bytes(data)


def _layer_configs(entry, found):
    if isinstance(entry, dict):
        if isinstance(entry.get("config"), dict) and "class_name" in entry:
            found.append(entry["config"])
        for value in entry.values():
            _layer_configs(value, found)
    elif isinstance(entry, list):
        for value in entry:
            _layer_configs(value, found)
    return found


def _edit_config(rng, config):
    targets = [c for c in _layer_configs(config, []) if c]
    target = targets[int(rng.integers(len(targets)))]
    key = sorted(target)[int(rng.integers(len(target)))]
    target[key] = HOSTILE_VALUES[int(rng.integers(len(HOSTILE_VALUES)))]
    return config


def edit_config(rng, data, fmt):
    if fmt == "legacy_h5":
        return _edit_h5(data, lambda h5: _set_attr(h5, rng))
    members = [(info.filename, content) for info, content in _zip_members(data)]
    members = [
        (n, json.dumps(_edit_config(rng, json.loads(c))) if n == "config.json" else c)
        for n, c in members
    ]
    return _zip(members)


def _set_attr(h5, rng):
    h5.attrs["model_config"] = json.dumps(_edit_config(rng, json.loads(h5.attrs["model_config"])))


def _edit_h5(data, edit) -> bytes:
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return buffer.getvalue()


def _datasets(h5):
    found = []
    h5.visititems(lambda name, item: found.append(name) if isinstance(item, h5py.Dataset) else None)
    return found


def _dataset_edit(rng):
    def edit(h5):
        names = _datasets(h5)
        name = names[int(rng.integers(len(names)))]
        value = np.array(h5[name][()])
        how = ["int32", "bool", "bytes", "complex", "float64", "shape", "nan", "inf", "drop"]
        how = how[int(rng.integers(len(how)))]
        del h5[name]
        if how == "nan" or how == "inf":
            value = value.astype(np.float32) if value.dtype.kind != "f" else value
            value.reshape(-1)[int(rng.integers(max(value.size, 1)))] = getattr(np, how)
        elif how == "shape":
            value = np.concatenate([value.reshape(-1), value.reshape(-1)[:1]])
        elif how == "bytes":
            value = value.astype("S8")
        elif how != "drop":
            value = value.astype(how)
        if how != "drop":
            h5[name] = value

    return edit


def edit_dataset(rng, data, fmt):
    if fmt in ("weights_h5", "legacy_h5"):
        return _edit_h5(data, _dataset_edit(rng))
    members = [(info.filename, content) for info, content in _zip_members(data)]
    if fmt == "keras":
        return _zip(
            [
                (n, _edit_h5(c, _dataset_edit(rng)) if n == "model.weights.h5" else c)
                for n, c in members
            ]
        )
    return _zip([(n, _edit_npz(rng, c) if n.endswith(".npz") else c) for n, c in members])


def _edit_npz(rng, content):
    with np.load(io.BytesIO(content), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    if not arrays or rng.random() < 0.1:
        return saving._npz_bytes({})
    name = sorted(arrays)[int(rng.integers(len(arrays)))]
    value = arrays[name]
    how = ["int32", "bool", "U4", "S4", "datetime64[s]", "complex64", "float64"]
    how += ["shape", "nan", "drop", "2.5", "string"]
    how = how[int(rng.integers(len(how)))]
    if how == "drop":
        del arrays[name]
    elif how == "shape":
        arrays[name] = np.concatenate([value.reshape(-1), value.reshape(-1)[:1]])
    elif how == "nan":
        value = value.astype(np.float64)
        value.reshape(-1)[0] = np.nan
        arrays[name] = value
    elif how == "2.5":  # an iteration count that is no integer (2.5 is a valid rate)
        arrays["iterations" if "iterations" in arrays else name] = np.asarray(2.5)
    elif how == "string":
        arrays[name] = np.asarray("0.01")
    else:
        arrays[name] = value.astype(how)
    return saving._npz_bytes(arrays)


BYTES = [flip_bytes, truncate, append_garbage]
ZIP_ONLY = [duplicate_member, drop_member, lie_about_size]
MUTATIONS = {
    fmt: BYTES
    + [edit_dataset]
    + (ZIP_ONLY if fmt in ("keras", "convlens_zip") else [])
    + ([edit_config] if fmt != "weights_h5" else [])
    for fmt in FORMATS
}


# Corruptions that no reader may accept, even when the content read would be the same.
MUST_REFUSE = (duplicate_member, inflate_member, truncate)


def run_cases(originals, folder, count: int, seed: int, bombs: bool = False):
    """``count`` mutated files; returns Counter{(format, mutation, outcome): n}."""
    rng = np.random.default_rng(seed)
    outcomes = collections.Counter()
    for case in range(count):
        name = ("lenet", "bn")[case % 2]
        fmt = FORMATS[(case // 2) % len(FORMATS)]
        mutations = MUTATIONS[fmt] + ([inflate_member] if bombs and "zip" in fmt else [])
        mutation = mutations[int(rng.integers(len(mutations)))]
        data, original = originals[name, fmt]
        path = folder / f"case{case}{SUFFIX[fmt]}"
        path.write_bytes(mutation(rng, data, fmt))
        h5_flip = mutation is flip_bytes and fmt in ("weights_h5", "legacy_h5")
        try:
            outcome = check_load(fmt, path, name, original, _as_stored(path) if h5_flip else ())
        except AssertionError as error:
            raise AssertionError(f"{mutation.__name__} on {name} {fmt}: {error}") from None
        except Exception as error:
            raise AssertionError(
                f"{mutation.__name__} on {name} {fmt}: {type(error).__name__} escaped: {error}"
            ) from error
        if mutation in MUST_REFUSE and outcome != "refused":
            raise AssertionError(f"{mutation.__name__} on {name} {fmt} loaded")
        outcomes[fmt, mutation.__name__, outcome] += 1
        path.unlink()
    return outcomes


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
    members = [(info.filename, content) for info, content in _zip_members(data)]
    config = {n: json.loads(c) for n, c in members if n == "config.json"}["config.json"]
    edit(config)
    return _zip([(n, json.dumps(config) if n == "config.json" else c) for n, c in members])


def _keras_layers(config):
    return config["config"]["layers"]


def _refused(path, match, **kwargs):
    with pytest.raises(ModelFileError, match=match) as caught:
        saving.load_model(path, **kwargs)
    assert str(path) in str(caught.value)


def test_duplicate_members_are_refused(originals, tmp_path):
    for fmt in ("keras", "convlens_zip"):
        members = [(i.filename, c) for i, c in _zip_members(originals["bn", fmt][0])]
        path = tmp_path / f"dup{SUFFIX[fmt]}"
        path.write_bytes(_zip([*members, members[-1]]))
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
    members = [(i.filename, c) for i, c in _zip_members(originals["bn", "convlens_zip"][0])]
    with np.load(io.BytesIO(dict(members)[member]), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    edit(arrays)
    path = tmp_path / f"{member}.zip"
    content = saving._npz_bytes(arrays)
    path.write_bytes(_zip([(n, content if n == member else c) for n, c in members]))
    return path


@pytest.mark.parametrize("dtype", ["int32", "bool", "U8", "S8", "datetime64[s]", "complex64"])
def test_weights_that_are_not_floats_are_refused(originals, tmp_path, dtype):
    first = lambda arrays: arrays.update({min(arrays): arrays[min(arrays)].astype(dtype)})  # noqa: E731
    _refused(_npz_file(originals, tmp_path, "weights.npz", first), "holds|not numbers")
    path = tmp_path / "w.h5"
    if dtype not in ("U8", "datetime64[s]"):  # HDF5 stores neither
        path.write_bytes(_edit_h5(originals["bn", "legacy_h5"][0], _retype(dtype)))
        _refused(path, "holds")


def _retype(dtype):
    def edit(h5):
        name = next(n for n in _datasets(h5) if n.startswith("model_weights"))
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
        name = next(n for n in _datasets(h5) if n.startswith("layers"))
        h5[name][(0,) * h5[name].ndim] = np.inf

    h5_path.write_bytes(_edit_h5(originals["bn", "weights_h5"][0], poison_h5))
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

    members = [(i.filename, c) for i, c in _zip_members(originals["bn", "keras"][0])]
    members = [(n, _edit_h5(c, edit) if n.endswith(".h5") else c) for n, c in members]
    path = tmp_path / "it.keras"
    path.write_bytes(_zip(members))
    _refused(path, "holds float64")


@pytest.mark.parametrize("padding, match", [(64, "has shape"), (1 << 20, "bytes")])
def test_an_npy_header_declaring_gigabytes_is_refused_unread(originals, tmp_path, padding, match):
    """A 1 MB member declaring 1.5 GB is refused by its size (the model's kernel is 6 KB), a
    small one by its header's shape; neither is read."""
    members = [(i.filename, c) for i, c in _zip_members(originals["bn", "convlens_zip"][0])]
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (3, 3, 3, 4 * 10**7)}
    )
    with zipfile.ZipFile(io.BytesIO(dict(members)["weights.npz"])) as inner:
        arrays = [(n, inner.read(n)) for n in inner.namelist()]
    arrays[0] = (arrays[0][0], header.getvalue() + bytes(padding))
    path = tmp_path / "npy.zip"
    content = _zip(arrays)
    path.write_bytes(_zip([(n, content if n == "weights.npz" else c) for n, c in members]))
    _refused(path, match)


def test_an_hdf5_dataset_declaring_gigabytes_is_refused_unread(originals, tmp_path):
    def edit(h5):
        name = next(n for n in _datasets(h5) if n.startswith("layers"))
        del h5[name]
        h5.create_dataset(name, shape=(10**9,), dtype="f4")  # never written: no storage

    path = tmp_path / "huge.weights.h5"
    path.write_bytes(_edit_h5(originals["bn", "weights_h5"][0], edit))
    with pytest.raises(ModelFileError, match="declare"):
        functional_bn().load_weights(path)


def test_deeply_nested_config_is_a_model_file_error(originals, tmp_path):
    members = [(i.filename, c) for i, c in _zip_members(originals["bn", "keras"][0])]
    nested = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "deep.keras"
    path.write_bytes(_zip([(n, nested if n == "config.json" else c) for n, c in members]))
    _refused(path, "config.json")


def test_a_changed_finite_weight_in_hdf5_loads_as_stored(originals, tmp_path):
    """HDF5 has no checksum over data: a finite value edited in place is a valid file, and
    convlens reads exactly what is stored (this is what the fuzzer's byte flips avoid)."""

    def edit(h5):
        name = next(n for n in _datasets(h5) if n.startswith("layers"))
        h5[name][(0,) * h5[name].ndim] = 0.125

    path = tmp_path / "edited.weights.h5"
    path.write_bytes(_edit_h5(originals["bn", "weights_h5"][0], edit))
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
    members = [(i.filename, c) for i, c in _zip_members(originals["lenet", "keras"][0])]
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
