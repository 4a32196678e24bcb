"""Mutations of real model files and the oracle that judges each load (issue 15), for
tests/test_hostile_files.py: LeNet-5 and a small functional model with BatchNormalization,
saved in four formats, then bytes flipped, truncated, members duplicated, dropped or inflated,
config values replaced, HDF5 datasets and ``.npy`` arrays given other dtypes, shapes or NaN.

HDF5 stores no checksum over its data, so bytes are flipped only outside the datasets' raw
data there (a flipped weight byte is a different, valid file); zip members carry a CRC.
"""

from __future__ import annotations

import collections
import io
import json
import warnings
import zipfile

import h5py
import numpy as np

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
                if key == "learning_rate":  # Keras files hold it in float32 (keras_h5._head_state)
                    value, got[key] = np.float32(value), np.float32(got[key])
                assert _same(np.asarray(value), np.asarray(got[key]), stored), (
                    f"optimizer {key} changed silently"
                )
        else:
            assert caught, "the model lost its compile configuration without a word"
    return "loaded"


# ----- mutations -----
def zip_members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def zip_bytes(members, compression=zipfile.ZIP_STORED) -> bytes:
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
    members = [(info.filename, content) for info, content in zip_members(data)]
    name, content = members[int(rng.integers(len(members)))]
    copy = content if rng.random() < 0.5 else content[::-1]
    return zip_bytes([*members, (name, copy)])


def drop_member(rng, data, fmt):
    members = [(info.filename, content) for info, content in zip_members(data)]
    del members[int(rng.integers(len(members)))]
    return zip_bytes(members)


def inflate_member(rng, data, fmt):
    """A member replaced by ~96 MiB of zeros, deflated to ~100 KB (a zip bomb)."""
    members = [(info.filename, content) for info, content in zip_members(data)]
    at = int(rng.integers(len(members)))
    members[at] = (members[at][0], bytes(96 << 20))
    return zip_bytes(members, zipfile.ZIP_DEFLATED)


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
        return edit_h5(data, lambda h5: _set_attr(h5, rng))
    members = [(info.filename, content) for info, content in zip_members(data)]
    members = [
        (n, json.dumps(_edit_config(rng, json.loads(c))) if n == "config.json" else c)
        for n, c in members
    ]
    return zip_bytes(members)


def _set_attr(h5, rng):
    h5.attrs["model_config"] = json.dumps(_edit_config(rng, json.loads(h5.attrs["model_config"])))


def edit_h5(data, edit) -> bytes:
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return buffer.getvalue()


def datasets_of(h5):
    found = []
    h5.visititems(lambda name, item: found.append(name) if isinstance(item, h5py.Dataset) else None)
    return found


def _dataset_edit(rng):
    def edit(h5):
        names = datasets_of(h5)
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
        return edit_h5(data, _dataset_edit(rng))
    members = [(info.filename, content) for info, content in zip_members(data)]
    if fmt == "keras":
        return zip_bytes(
            [
                (n, edit_h5(c, _dataset_edit(rng)) if n == "model.weights.h5" else c)
                for n, c in members
            ]
        )
    return zip_bytes([(n, _edit_npz(rng, c) if n.endswith(".npz") else c) for n, c in members])


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
