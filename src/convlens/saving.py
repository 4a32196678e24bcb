"""Model files: one zip holding JSON configuration, weights and optimizer state.

``config.json`` describes the architecture and the compile configuration; ``weights.npz`` and
``optimizer.npz`` hold arrays, read with ``allow_pickle=False``. Nothing in a file is ever
executed or unpickled: layer and model classes are looked up by name in ``convlens.registry``,
where layers/ and models/ register them, so this module imports neither (models import it: the
dependency points one way). Every write goes to a temporary file in the same folder that is
then renamed into place, so an interrupted save never leaves a half-written model where a good
one was.

Any file name works (``model.keras``, ``model.h5``, as in the lecture's ModelCheckpoint); the
content is always this format, not Keras's HDF5. Since format version 2 the architecture is in
Keras 3's layout (:mod:`convlens.keras_config`); files of version 1 keep loading.

User objects (custom layers, models, losses, metrics, activations) are found by the name they
were registered under with :func:`register_keras_serializable`, or in ``custom_objects`` or a
:func:`custom_object_scope`: a file names them, it never holds their code.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile

import numpy

from . import registry
from .keras_config import deserialize_model, serialize_layer
from .object_serialization import (  # noqa: F401 - Keras's keras.saving names
    deserialize_keras_object,
    serialize_keras_object,
)
from .registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
)

FORMAT = "convlens-model"
VERSION = 2  # 2: the architecture in Keras 3's layout; 1: convlens's own (still read)


class ModelFileError(ValueError):
    """A model or weights file that cannot be read: the message names the file and the problem."""


def _write_atomically(filepath, write, overwrite=True) -> None:
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".convlens")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, filepath)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


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


def weight_arrays(model) -> dict:
    """The model's weights by unique key, in ``get_weights`` order."""
    return {
        f"{index:04d}:{weight.name}": value
        for index, (weight, value) in enumerate(zip(model_weights(model), model.get_weights()))
    }


def model_weights(model):
    return [w for layer in model._flat_layers() for w in layer._weights]


def save_model(model, filepath, overwrite=True) -> None:
    """Write architecture, compile configuration, weights and optimizer state to ``filepath``."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "model": serialize_layer(model),
        "compile": _compile_config(model) if model.compiled else None,
    }
    optimizer = model.optimizer if model.compiled else None
    optimizer_state = optimizer.get_state() if optimizer is not None and optimizer.built else {}

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("config.json", json.dumps(config, indent=1))
            archive.writestr("weights.npz", _npz_bytes(weight_arrays(model)))
            archive.writestr("optimizer.npz", _npz_bytes(optimizer_state))

    _write_atomically(filepath, write, overwrite)


def _open(filepath):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{filepath}: no such file.")
    try:
        return zipfile.ZipFile(filepath)
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{filepath}: not a convlens model file (not a zip archive, or truncated)."
        ) from None


def _read_config(archive, filepath) -> dict:
    try:
        config = json.loads(archive.read("config.json"))
    except KeyError:
        raise ModelFileError(f"{filepath}: the file has no 'config.json'.") from None
    except (ValueError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{filepath}: 'config.json' is corrupt ({error}).") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(
            f"{filepath}: not a convlens model file (format "
            f"{config.get('format') if isinstance(config, dict) else None!r})."
        )
    if config.get("version", 0) > VERSION:
        raise ModelFileError(
            f"{filepath}: written by a newer convlens (format version "
            f"{config['version']}, this one reads {VERSION})."
        )
    return config


def _assign_weights(model, arrays: dict, filepath) -> None:
    values = [arrays[key] for key in sorted(arrays)]
    try:
        model.set_weights(values)
    except ValueError as error:
        raise ModelFileError(f"{filepath}: the weights do not fit the model: {error}") from None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Load a model saved by ``model.save``: architecture, weights, and (when compiled)
    the optimizer with its state. Never executes code from the file.

    Args:
        filepath: the model file.
        custom_objects: name -> class or function for user objects that were not registered
            with :func:`register_keras_serializable` (Keras's argument).
        compile: compile the model as it was saved (Keras's argument name).
        safe_mode: Keras's argument, accepted for compatibility: convlens never loads code
            (no lambdas, no pickle), whatever its value.

    Raises:
        FileNotFoundError: when there is no file at ``filepath``.
        ModelFileError: naming the file and the problem, for a corrupt or foreign file.
    """
    del safe_mode  # nothing in a convlens file could execute code
    from . import optimizers

    with _open(filepath) as archive:
        config = _read_config(archive, filepath)
        try:
            model = deserialize_model(config["model"], custom_objects)
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(
                f"{filepath}: the architecture cannot be rebuilt ({error})."
            ) from None
        _assign_weights(model, _read_npz(archive, "weights.npz", filepath), filepath)
        compile_config = config.get("compile")
        if compile and compile_config:
            with custom_object_scope(custom_objects):
                model.compile(
                    optimizer=optimizers.deserialize(compile_config["optimizer"]),
                    loss=_per_output(_user_object, compile_config.get("loss")),
                    loss_weights=compile_config.get("loss_weights"),
                    metrics=_per_output(_user_object, compile_config.get("metrics") or []),
                )
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


def _compile_config(model) -> dict | None:
    """The compile arguments as JSON: built-ins as before, user losses and metrics by the
    name they were registered under (a function or class that is not registered is left out,
    as before: compile again after loading)."""
    config = dict(getattr(model, "_compile_config", None) or {})
    if not config:
        return None
    function = getattr(model.loss, "function", None)
    if config.get("loss") is None and function is not None:
        config["loss"] = registry.get_registered_name(function)
    elif isinstance(config.get("loss"), dict):
        config["loss"] = _named(model.loss, config["loss"])
    spec = getattr(model, "_loss_spec", None)
    if config.get("loss") is None and (isinstance(spec, (list, tuple)) or _is_loss_dict(spec)):
        names = _per_output(lambda loss: loss if isinstance(loss, str) else None, spec)
        config["loss"] = names  # one loss per output, by name (objects: compile again)
    weights = getattr(model, "_loss_weights", None)
    if weights is not None:
        config["loss_weights"] = weights
    config["metrics"] = _per_output(_metric_name, getattr(model, "_metric_identifiers", None))
    return config


def _metric_name(metric):
    """How a file names a metric: its string, registered name or registered class config;
    None for what cannot be named (compile again after loading)."""
    if isinstance(metric, str):
        return metric
    if registry.get_registered_name(metric) is not None:  # a function or a class
        return registry.get_registered_name(metric)
    if registry.get_registered_name(type(metric)) is not None and hasattr(metric, "get_config"):
        return _named(metric, registry.serialize(metric))
    return None


def _is_loss_dict(value) -> bool:
    return isinstance(value, dict) and "class_name" not in value


def _per_output(function, value):
    """``function`` on each entry of a per-output structure (a list, or a dict by output
    name, or a list of lists), entries it maps to None left out of lists."""
    if value is None:
        return None
    if _is_loss_dict(value):
        return {key: _per_output(function, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        mapped = [_per_output(function, item) for item in value]
        return [item for item in mapped if item is not None]
    return function(value)


def _named(obj, serialized: dict) -> dict:
    """A serialized object with the name its class was registered under, if it was."""
    name = registry.get_registered_name(type(obj))
    return serialized if name is None else {**serialized, "registered_name": name}


def _user_object(identifier):
    """A loss or metric as saved: a user's by its registered name, else the built-in's."""
    if isinstance(identifier, str):
        found = registry.find_custom(identifier)
        return identifier if found is None else found
    if isinstance(identifier, dict):
        found = registry.find_custom(
            identifier.get("class_name"), identifier.get("registered_name")
        )
        if isinstance(found, type):
            return found.from_config(dict(identifier.get("config") or {}))
        return {k: v for k, v in identifier.items() if k != "registered_name"}
    return identifier


def get_registered_name(obj) -> str:
    """The name ``obj`` is registered under, or its ``__name__`` if it is not (as Keras).

    Example:
        >>> def relu6(x):
        ...     return x
        >>> get_registered_name(relu6)
        'relu6'
    """
    return registry.get_registered_name(obj) or obj.__name__


def save_weights(model, filepath, overwrite=True) -> None:
    """Write only the weights (an ``.npz`` archive, no pickle)."""
    _write_atomically(
        filepath, lambda stream: stream.write(_npz_bytes(weight_arrays(model))), overwrite
    )


def load_weights(model, filepath) -> None:
    """Set the model's weights from :func:`save_weights` output (or a full model file)."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"{filepath}: no such file.")
    with _open(filepath) as archive:
        if "weights.npz" in archive.namelist():
            arrays = _read_npz(archive, "weights.npz", filepath)
        else:
            try:
                with numpy.load(filepath, allow_pickle=False) as npz:
                    arrays = {name: npz[name] for name in npz.files}
            except (ValueError, OSError, zipfile.BadZipFile) as error:
                raise ModelFileError(f"{filepath}: corrupt weights file ({error}).") from None
    _assign_weights(model, arrays, filepath)


__all__ = [
    "CustomObjectScope",
    "ModelFileError",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
]
