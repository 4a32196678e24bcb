"""convlens's own older model files: a zip of ``config.json``, ``weights.npz`` and
``optimizer.npz`` (format ``"convlens-model"``, versions 1 and 2).

Models are saved in Keras's formats now (:mod:`.keras_archive`); these files still load, and
BackupAndRestore keeps its backups in this layout (``weights.npz`` + ``optimizer.npz``).
Arrays are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy

from ..keras_config import serialize_layer
from ..optimizers import schedules
from .compile_config import compile_config, compile_from_config
from .files import (
    ModelFileError,
    _write_atomically,
    check_dtype,
    check_finite,
    member_size,
    open_zip,
    read_capped,
    reading,
)
from .keras_archive import SIZE_FACTOR, SIZE_MARGIN, build_model, model_bytes

FORMAT = "convlens-model"
NPY_HEADER_LIMIT = 1 << 16  # bytes of an .npy header (numpy's own parser allows 10,000)
VERSION = 2  # 2: the architecture in Keras 3's layout; 1: convlens's own (both read)


def _npz_bytes(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    numpy.savez(buffer, **{name: numpy.asarray(value) for name, value in arrays.items()})
    return buffer.getvalue()


def _read_npz(archive, member, filepath, limit=None, expected=None) -> dict:
    """The arrays of the ``.npz`` ``member`` of ``archive``, read with its size bounded by
    ``limit`` (default: its declared size) and each ``.npy`` header checked before its data
    is read (:func:`parse_npz`)."""
    with reading(member):
        limit = member_size(archive, member, filepath) if limit is None else limit
        data = read_capped(archive, member, limit, filepath)
        return parse_npz(io.BytesIO(data), f"{filepath}: {member!r}", expected)


def parse_npz(source, where, expected=None) -> dict:
    """An ``.npz`` (a zip of ``.npy`` files) without pickle: unique names, every header read
    (numpy.lib.format) and checked before the data: a numeric dtype, a size that fits in the
    member, and the shapes and dtypes of ``expected`` (``(shape, dtype)`` per weight, in the
    order of the sorted names) when given."""
    with open_zip(source) as inner:
        names = [name[:-4] if name.endswith(".npy") else name for name in inner.namelist()]
        if expected is not None and len(names) != len(expected):
            raise ModelFileError(
                f"{where}: holds {len(names)} arrays, the model has {len(expected)} weights."
            )
        wanted = dict(zip(sorted(names), expected or []))  # matched in the saved order
        arrays = {}
        for name, member in zip(names, inner.namelist()):
            limit = member_size(inner, member, where)
            if name in wanted:  # at most float64 of the expected shape, and its header
                limit = min(limit, 8 * math.prod(wanted[name][0]) + NPY_HEADER_LIMIT)
            data = read_capped(inner, member, limit, where)
            arrays[name] = _npy_array(data, f"{where}: {member!r}", wanted.get(name))
    return arrays


def _npy_array(data: bytes, where: str, expected) -> numpy.ndarray:
    stream = io.BytesIO(data)
    version = numpy.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, _fortran, dtype = numpy.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, _fortran, dtype = numpy.lib.format.read_array_header_2_0(stream)
    else:
        raise ModelFileError(f"{where}: .npy version {version} is not read here.")
    if dtype.kind not in "fiu" or dtype.fields is not None or dtype.subdtype is not None:
        raise ModelFileError(f"{where}: holds {dtype}, not numbers; refusing it.")
    if expected is not None:
        shape_expected, dtype_expected = expected
        if tuple(shape) != tuple(shape_expected):
            raise ModelFileError(
                f"{where}: has shape {tuple(shape)}, the model expects {tuple(shape_expected)}."
            )
        check_dtype(dtype, dtype_expected, where, "")
    if math.prod(shape) * dtype.itemsize > len(data) - stream.tell():
        raise ModelFileError(f"{where}: declares shape {tuple(shape)}, more than it holds.")
    stream.seek(0)
    array = numpy.lib.format.read_array(stream, allow_pickle=False)
    check_finite(array, where, "")
    return array


def model_weights(model):
    return [w for layer in model._flat_layers() for w in layer._weights]


def weight_arrays(model) -> dict:
    """The model's weights by unique key, in ``get_weights`` order."""
    return {
        f"{index:04d}:{weight.name}": value
        for index, (weight, value) in enumerate(zip(model_weights(model), model.get_weights()))
    }


def assign_weights(model, arrays: dict, filepath) -> None:
    values = [arrays[key] for key in sorted(arrays)]
    try:
        model.set_weights(values)
    except ValueError as error:
        raise ModelFileError(f"{filepath}: the weights do not fit the model: {error}") from None


def save_convlens_zip(model, filepath, overwrite=True) -> None:
    """Write the older convlens format (kept for BackupAndRestore's layout and for tests)."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "model": serialize_layer(model),
        "compile": compile_config(model) if model.compiled else None,
    }
    optimizer = model.optimizer if model.compiled else None
    # Written even before the first step (iterations, learning rate): an empty member is an
    # error when read, never a fresh optimizer.
    optimizer_state = optimizer.get_state() if optimizer is not None else {}

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("config.json", json.dumps(config, indent=1))
            archive.writestr("weights.npz", _npz_bytes(weight_arrays(model)))
            archive.writestr("optimizer.npz", _npz_bytes(optimizer_state))

    _write_atomically(filepath, write, overwrite)


def read_config(config, filepath) -> dict:
    """The checked top-level object of an older convlens file."""
    if config.get("version", 0) > VERSION:
        raise ModelFileError(
            f"{filepath}: written by a newer convlens (format version "
            f"{config['version']}, this one reads {VERSION})."
        )
    return config


def load_convlens_zip(archive, config: dict, filepath, custom_objects, compile):  # noqa: A002
    """A model from an open older convlens archive whose ``config.json`` is ``config``."""
    config = read_config(config, filepath)
    stored = member_size(archive, "weights.npz", filepath, missing_ok=True)
    with reading("config.json"):
        if not isinstance(config.get("model"), dict):
            raise ModelFileError(f"{filepath}: 'config.json' has no 'model' object.")
        model = build_model(config["model"], filepath, custom_objects, False, stored)
    limit = SIZE_FACTOR * model_bytes(model) + SIZE_MARGIN
    arrays = _read_npz(archive, "weights.npz", filepath, limit, expected_arrays(model))
    assign_weights(model, arrays, filepath)
    if compile and config.get("compile"):
        with reading("config.json"):
            if not isinstance(config["compile"], dict):
                raise ModelFileError(f"{filepath}: 'compile' in 'config.json' is no object.")
            compile_from_config(model, config["compile"], custom_objects)
        limit = SIZE_FACTOR * 3 * model_bytes(model) + SIZE_MARGIN
        state = _read_npz(archive, "optimizer.npz", filepath, limit)
        with reading("optimizer.npz"):
            restore_optimizer(model, state, f"{filepath}: 'optimizer.npz'")
    return model


def expected_arrays(model) -> list:
    """``(shape, dtype)`` of each array a model's ``weights.npz`` must hold, in order."""
    return [(tuple(w.shape), numpy.dtype(w.dtype)) for w in model_weights(model)]


def restore_optimizer(model, state: dict, where: str) -> None:
    """The optimizer state of :meth:`get_state`, complete or refused: an integer
    ``iterations`` >= 0, a float ``learning_rate`` > 0, and every slot (or none, before the
    first step), float and finite."""
    optimizer = model.optimizer
    iterations = state.get("iterations")
    if iterations is None or iterations.shape != () or iterations.dtype.kind not in "iu":
        raise ModelFileError(f"{where}: no integer 'iterations' (received {iterations!r}).")
    if int(iterations) < 0:
        raise ModelFileError(f"{where}: iterations {int(iterations)} < 0.")
    rate = state.get("learning_rate")
    if rate is not None and (rate.shape != () or rate.dtype.kind != "f" or not rate > 0):
        raise ModelFileError(f"{where}: learning_rate must be a float > 0, received {rate!r}.")
    optimizer.build(model.trainable_weights)
    if set(state) <= {"iterations", "learning_rate"}:  # saved before the first step
        if any(optimizer._slots.values()) and int(iterations) > 0:
            raise ModelFileError(
                f"{where}: {optimizer.name} stepped {int(iterations)} times but the file "
                "holds none of its slots."
            )
        optimizer.iterations = int(iterations)
        if rate is not None and not isinstance(
            optimizer._learning_rate, schedules.LearningRateSchedule
        ):
            optimizer.learning_rate = float(rate)
        return
    for key, value in state.items():
        if key not in ("iterations", "learning_rate"):
            check_dtype(value.dtype, numpy.float32, f"{where}: slot {key!r}", "")
    try:
        optimizer.set_state(state)
    except ValueError as error:
        raise ModelFileError(f"{where}: the optimizer state does not fit: {error}") from None


def load_npz_weights(model, filepath) -> None:
    """Weights from an ``.npz`` of :func:`weight_arrays` or a zip holding ``weights.npz``."""
    limit = SIZE_FACTOR * model_bytes(model) + SIZE_MARGIN
    expected = expected_arrays(model)
    with open_zip(filepath) as archive:
        if "weights.npz" in archive.namelist():
            arrays = _read_npz(archive, "weights.npz", filepath, limit, expected)
        else:
            arrays = parse_npz(filepath, filepath, expected)
    assign_weights(model, arrays, filepath)
