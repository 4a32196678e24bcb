"""Model files in Keras's formats, read and written with h5py; no pickle, no code on load.

* ``model.save("m.keras")``: Keras 3's archive, a zip of ``config.json`` (the architecture
  in Keras 3's layout, :mod:`convlens.keras_config`, and the compile configuration),
  ``metadata.json`` and ``model.weights.h5`` (:mod:`.keras_archive`, :mod:`.keras_h5`), so
  the real ``keras.saving.load_model`` reads what convlens writes and the other way round.
* ``model.save("m.h5")``: Keras 2's HDF5 file, as Keras 3 still writes for ``.h5``
  (:mod:`.legacy_h5`).
* ``model.save_weights("w.weights.h5")``: Keras 3's weights file; ``load_weights`` also
  reads Keras 2's weights-only files (Keras's published application weights) by layer name.
* convlens's older files (a zip of ``config.json``, ``weights.npz``, ``optimizer.npz``) and
  ``.npz`` weights still load (:mod:`.convlens_zip`).

Loading assumes a hostile file (issue 15): zip members with duplicate names are refused,
every member is read with a cap derived from the model's own size, the config is built under
a budget of the bytes its weights file holds (``add_weight`` refuses more, before allocating),
``.npy`` headers and HDF5 datasets are checked (shape, floating dtype, size) before they are
read, NaN/inf weights are refused unless ``allow_nonfinite=True``, optimizer state is complete
or refused, and every failure is a :class:`ModelFileError` naming the file and the member.

Formats are told apart by content, never trusted from the extension. Classes are looked up
by name in ``convlens.registry`` (this package imports neither layers nor models), a Lambda
layer loads only with ``safe_mode=False``, every HDF5 member is checked against the model
(shape, dtype) before any weight changes, and every write goes to a temporary file in the
same folder that is then renamed into place.
"""

from __future__ import annotations

import json
import os

from .. import registry
from ..arguments import check_path
from ..object_serialization import (  # noqa: F401 - Keras's keras.saving names
    deserialize_keras_object,
    serialize_keras_object,
)
from ..registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
)
from .convlens_zip import (  # noqa: F401 - BackupAndRestore keeps its backups this way
    FORMAT,
    _npz_bytes,
    _read_npz,
    load_convlens_zip,
    load_npz_weights,
    model_weights,
    save_convlens_zip,
    weight_arrays,
)
from .files import (  # noqa: F401
    ModelFileError,
    _write_atomically,
    check_exists,
    check_h5_sizes,
    file_kind,
    guarded,
    open_h5,
    open_zip,
    read_capped,
    reading,
    remove_stale_temporaries,
)
from .keras_archive import CONFIG_LIMIT, load_keras, save_keras, weights_member
from .keras_h5 import read_optimizer, read_weights, write_weights
from .legacy_h5 import is_legacy, load_legacy_model, load_legacy_weights, save_legacy_h5


def _extension(filepath) -> str:
    return check_path(filepath, "filepath", "save").lower()


def save_model(model, filepath, overwrite=True) -> None:
    """Write architecture, compile configuration, weights and optimizer state.

    ``.keras``: Keras 3's format; ``.h5``/``.hdf5``: Keras 2's legacy HDF5 (as Keras 3).

    Raises:
        ValueError: for another extension (Keras's rule: the format must be explicit).
    """
    name = _extension(filepath)
    if name.endswith(".keras"):
        save_keras(model, filepath, overwrite)
    elif name.endswith((".h5", ".hdf5")):
        save_legacy_h5(model, filepath, overwrite)
    else:
        raise ValueError(
            f"{os.fspath(filepath)}: invalid extension for model.save(): use '.keras' for "
            "Keras 3's format (recommended) or '.h5' for Keras 2's legacy HDF5."
        )


def _open(filepath):
    """An open zip archive (convlens's older files, BackupAndRestore's backups)."""
    return open_zip(check_exists(filepath))


def _zip_config(archive, filepath) -> dict:
    with reading("config.json"):
        try:
            config = json.loads(read_capped(archive, "config.json", CONFIG_LIMIT, filepath))
        except (ValueError, RecursionError) as error:
            raise ModelFileError(f"{filepath}: 'config.json' is corrupt ({error}).") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{filepath}: 'config.json' does not hold an object.")
    return config


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, allow_nonfinite=False):  # noqa: A002
    """Load a model: a ``.keras`` archive (Keras 3's or convlens's), or a Keras 2 HDF5 file.

    Every member is checked before anything large is allocated: member sizes bounded by the
    model's own weights, the config built under the size of its stored weights, every array's
    shape and dtype checked before it is read (issue 15).

    Args:
        filepath: the model file.
        custom_objects: name -> class or function for user objects that were not registered
            with :func:`register_keras_serializable` (Keras's argument).
        compile: compile the model as it was saved and restore its optimizer's state.
        safe_mode: as Keras: refuse Lambda layers unless False. convlens never runs code from
            a file either way; Lambdas name registered functions.
        allow_nonfinite: accept NaN or inf in the stored weights (refused by default).

    Raises:
        FileNotFoundError: when there is no file at ``filepath``.
        ModelFileError: naming the file, the member and the problem, for a corrupt, hostile
            or foreign file (the only error a file's content can cause).
    """
    filepath = check_exists(filepath)
    with guarded(filepath, allow_nonfinite):
        kind = file_kind(filepath)
        if kind == "hdf5":
            with open_h5(filepath, filepath) as h5:
                check_h5_sizes(h5, os.path.getsize(filepath), filepath)
                return load_legacy_model(h5, filepath, custom_objects, compile, safe_mode)
        with open_zip(filepath) as archive:
            config = _zip_config(archive, filepath)
            if "format" in config:
                if config["format"] != FORMAT:
                    raise ModelFileError(
                        f"{filepath}: not a model file (format {config['format']!r})."
                    )
                return load_convlens_zip(archive, config, filepath, custom_objects, compile)
            return load_keras(archive, config, filepath, custom_objects, compile, safe_mode)


def save_weights(model, filepath, overwrite=True) -> None:
    """Write only the weights: Keras 3's ``.weights.h5`` layout for a name ending in ``.h5``,
    convlens's older ``.npz`` for one ending in ``.npz``.

    Raises:
        ValueError: for another extension (Keras asks for ``.weights.h5``).
    """
    name = _extension(filepath)
    if name.endswith((".h5", ".hdf5")):
        _write_h5_weights(model, filepath, overwrite)
    elif name.endswith(".npz"):
        _write_atomically(
            filepath, lambda stream: stream.write(_npz_bytes(weight_arrays(model))), overwrite
        )
    else:
        raise ValueError(
            f"{os.fspath(filepath)}: invalid extension for save_weights(): the name must end "
            "in '.weights.h5' (Keras 3's weights file)."
        )


def _write_h5_weights(model, filepath, overwrite) -> None:
    from .keras_archive import weights_bytes

    optimizer = getattr(model, "optimizer", None) if model.compiled else None
    data = weights_bytes(model, optimizer)
    _write_atomically(filepath, lambda stream: stream.write(data), overwrite)


def load_weights(model, filepath, skip_mismatch=False, by_name=None, allow_nonfinite=False):
    """Set the model's weights from any weights or model file of :func:`save_weights`,
    :func:`save_model`, the real Keras 3, or Keras 2 (``.h5``, matched by layer name).

    Args:
        model: the model to fill.
        filepath: the file.
        skip_mismatch: skip layers whose weights do not fit (with a warning), as Keras.
        by_name: Keras 2 files: match layers by name (True), in order (False), or by name
            when the file's layers are exactly the model's and in order otherwise (None).
        allow_nonfinite: accept NaN or inf in the stored weights (refused by default).

    Raises:
        ModelFileError: naming the file and what does not fit; the model is then unchanged.
    """
    filepath = check_exists(filepath)
    with guarded(filepath, allow_nonfinite):
        _load_weights(model, filepath, skip_mismatch, by_name)


def _load_weights(model, filepath, skip_mismatch, by_name) -> None:
    kind = file_kind(filepath)
    if kind == "hdf5":
        with open_h5(filepath, filepath) as h5:
            check_h5_sizes(h5, os.path.getsize(filepath), filepath)
            if is_legacy(h5):
                group = h5["model_weights"] if "model_weights" in h5 else h5
                load_legacy_weights(model, group, filepath, by_name, skip_mismatch)
            else:
                read_weights(h5, model, filepath, skip_mismatch)
                _maybe_optimizer(h5, model, filepath)
        return
    if kind != "zip":
        raise ModelFileError(f"{filepath}: neither an HDF5 file nor a zip archive.")
    with open_zip(filepath) as archive:
        names = archive.namelist()
    if "model.weights.h5" not in names:
        load_npz_weights(model, filepath)
        return
    with open_zip(filepath) as archive, weights_member(archive, model, filepath) as h5:
        read_weights(h5, model, filepath, skip_mismatch)
        _maybe_optimizer(h5, model, filepath)


def _maybe_optimizer(h5, model, filepath) -> None:
    """As Keras's load_weights: a built optimizer takes the file's state too."""
    optimizer = getattr(model, "optimizer", None)
    if getattr(model, "compiled", False) and optimizer is not None and optimizer.built:
        read_optimizer(h5, model, filepath)


def get_registered_name(obj) -> str:
    """The name ``obj`` is registered under, or its ``__name__`` if it is not (as Keras).

    Example:
        >>> def relu6(x):
        ...     return x
        >>> get_registered_name(relu6)
        'relu6'
    """
    return registry.get_registered_name(obj) or obj.__name__


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
