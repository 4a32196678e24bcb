"""convlens's own older model files: a zip of ``config.json``, ``weights.npz`` and
``optimizer.npz`` (format ``"convlens-model"``, versions 1 and 2).

Models are saved in Keras's formats now (:mod:`.keras_archive`); these files still load, and
BackupAndRestore keeps its backups in this layout (``weights.npz`` + ``optimizer.npz``).
Arrays are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy

from ..keras_config import deserialize_model, serialize_layer
from .compile_config import compile_config, compile_from_config
from .files import ModelFileError, _write_atomically

FORMAT = "convlens-model"
VERSION = 2  # 2: the architecture in Keras 3's layout; 1: convlens's own (both read)


def _npz_bytes(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    numpy.savez(buffer, **{name: numpy.asarray(value) for name, value in arrays.items()})
    return buffer.getvalue()


def _read_npz(archive, member, filepath) -> dict:
    try:
        with numpy.load(io.BytesIO(archive.read(member)), allow_pickle=False) as arrays:
            return {name: arrays[name] for name in arrays.files}
    except KeyError:
        raise ModelFileError(
            f"{filepath}: the file has no {member!r}; it is not a complete convlens model file."
        ) from None
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{filepath}: {member!r} is corrupt ({error}).") from None


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
    optimizer_state = optimizer.get_state() if optimizer is not None and optimizer.built else {}

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
    try:
        model = deserialize_model(config["model"], custom_objects)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{filepath}: the architecture cannot be rebuilt ({error}).") from None
    assign_weights(model, _read_npz(archive, "weights.npz", filepath), filepath)
    if compile and config.get("compile"):
        compile_from_config(model, config["compile"], custom_objects)
        state = _read_npz(archive, "optimizer.npz", filepath)
        if state:
            model.optimizer.build(model.trainable_weights)
            try:
                model.optimizer.set_state(state)
            except ValueError as error:
                raise ModelFileError(
                    f"{filepath}: the optimizer state does not fit: {error}"
                ) from None
    return model


def load_npz_weights(model, filepath) -> None:
    """Weights from an ``.npz`` of :func:`weight_arrays` or a zip holding ``weights.npz``."""
    with zipfile.ZipFile(filepath) as archive:
        if "weights.npz" in archive.namelist():
            arrays = _read_npz(archive, "weights.npz", filepath)
        else:
            try:
                with numpy.load(filepath, allow_pickle=False) as npz:
                    arrays = {name: npz[name] for name in npz.files}
            except (ValueError, OSError, zipfile.BadZipFile) as error:
                raise ModelFileError(f"{filepath}: corrupt weights file ({error}).") from None
    assign_weights(model, arrays, filepath)
