"""Keras 3's ``.keras`` file: a zip of ``metadata.json``, ``config.json`` and
``model.weights.h5`` (keras/src/saving/saving_lib.py), written and read without Keras.

``config.json`` is the model in Keras 3's layout (:mod:`convlens.keras_config`) with its
``compile_config``; ``metadata.json`` holds ``keras_version`` and ``date_saved``; the weights
file is :mod:`.keras_h5`'s. Layers Keras does not have (MinPooling2D) or arguments it does not
take (``padding_mode``) are written under module ``convlens.layers`` and registered name
``convlens>ClassName``: convlens reads them back, and the real Keras refuses the file naming
the class instead of building something else.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import zipfile

from ..keras_config import CONVLENS_ONLY_DEFAULTS, deserialize_model, serialize_layer
from ..layers.weights import WeightBudgetError, weight_budget
from .compile_config import compile_from_config, keras_compile_config
from .files import (
    MARGIN,
    ModelFileError,
    _write_atomically,
    check_h5_sizes,
    extract_capped,
    h5py_module,
    member_size,
    open_h5,
    reading,
)
from .keras_h5 import read_optimizer, read_weights, write_weights

KERAS_VERSION = "3.5.0"  # the Keras file format these files follow
CONVLENS_ONLY_LAYERS = frozenset(("MinPooling2D",))
WEIGHTS_MEMBER = "model.weights.h5"
# A weights member larger than this many times the model's own bytes (plus a margin for
# HDF5's headers) is refused before it is read: a zip bomb, or a file of another model.
SIZE_FACTOR, SIZE_MARGIN = 4, 64 << 20
CONFIG_LIMIT = 16 << 20  # bytes of a config: far above any architecture's JSON


def model_config(model) -> dict:
    """``config.json``: the model in Keras 3's layout, our extensions marked as ours."""
    config = mark_extensions(serialize_layer(model))
    if model.compiled:
        config["compile_config"] = keras_compile_config(model)
    return config


def mark_extensions(entry):
    """Layer entries whose class or arguments Keras lacks, re-labelled as convlens's own."""
    if isinstance(entry, list):
        return [mark_extensions(item) for item in entry]
    if not isinstance(entry, dict):
        return entry
    result = {key: mark_extensions(value) for key, value in entry.items()}
    config = result.get("config")
    if result.get("module") == "keras.layers" and isinstance(config, dict):
        if result["class_name"] in CONVLENS_ONLY_LAYERS or set(config) & set(
            CONVLENS_ONLY_DEFAULTS
        ):
            result["module"] = "convlens.layers"
            result["registered_name"] = f"convlens>{result['class_name']}"
    return result


def weights_bytes(model, optimizer=None) -> bytes:
    buffer = io.BytesIO()
    with h5py_module().File(buffer, "w") as h5:
        write_weights(h5, model, optimizer)
    return buffer.getvalue()


def save_keras(model, filepath, overwrite=True) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` archive."""
    config = json.dumps(model_config(model))
    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    optimizer = model.optimizer if model.compiled else None
    weights = weights_bytes(model, optimizer)

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("metadata.json", metadata)
            archive.writestr("config.json", config)
            archive.writestr(WEIGHTS_MEMBER, weights)

    _write_atomically(filepath, write, overwrite)


def refuse_lambdas(config, filepath) -> None:
    """As Keras: a Lambda whose function (or output_shape) was saved as Python code loads
    only with ``safe_mode=False``; one naming a registered function loads either way.
    (With ``safe_mode=False`` convlens still runs no code: that Lambda then fails to load.)"""
    if isinstance(config, list):
        for item in config:
            refuse_lambdas(item, filepath)
    elif isinstance(config, dict):
        inner = config.get("config")
        if config.get("class_name") == "Lambda" and isinstance(inner, dict):
            saved = [inner.get("function"), inner.get("output_shape")]
            keras2_code = "lambda" in (inner.get("function_type"), inner.get("output_shape_type"))
            if keras2_code or any(
                isinstance(v, dict) and v.get("class_name") == "__lambda__" for v in saved
            ):
                raise ModelFileError(
                    f'{filepath}: Lambda layer "{inner.get("name")}" holds Python code; it '
                    "loads only with safe_mode=False (and convlens never runs code from a "
                    "file: register a named function and save the model again)."
                )
        for value in config.values():
            refuse_lambdas(value, filepath)


def build_model(
    config: dict, filepath, custom_objects, safe_mode: bool, stored: int, initialize=True
):
    """The model of ``config``, built under a budget of twice the ``stored`` bytes of its
    weights (float16 files of a float32 model) plus a margin: a config asking for more weights
    than its file holds is refused before they are allocated. ``initialize=False`` leaves the
    weights zero, for a reader that sets every one of them or fails."""
    if safe_mode:
        refuse_lambdas(config, filepath)
    try:
        with weight_budget(2 * stored + MARGIN, initialize):
            return deserialize_model(config, custom_objects)
    except WeightBudgetError as error:
        raise ModelFileError(
            f"{filepath}: the config asks for more weights than the file's {stored} bytes of "
            f"weights can hold ({error}); refusing to build it."
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise ModelFileError(f"{filepath}: the architecture cannot be rebuilt ({error}).") from None


def model_bytes(model) -> int:
    return sum(w.data.nbytes for layer in model._flat_layers() for w in layer._weights)


@contextlib.contextmanager
def weights_member(archive, model, filepath):
    """The archive's weights file as an open h5py file (closed, with its spool, on leaving the
    block), its size (declared and inflated) bounded by the model's own weights: weights and
    two optimizer slots, SIZE_FACTOR times over for HDF5's headers, plus a margin."""
    limit = SIZE_FACTOR * 3 * model_bytes(model) + SIZE_MARGIN
    where = f"{filepath}: {WEIGHTS_MEMBER!r}"
    with reading(WEIGHTS_MEMBER), extract_capped(archive, WEIGHTS_MEMBER, limit, filepath) as spool:
        with open_h5(spool, where) as h5:
            check_h5_sizes(h5, spool.seek(0, io.SEEK_END), where)
            yield h5


def load_keras(archive, config, filepath, custom_objects, compile, safe_mode):  # noqa: A002
    """A model from an open ``.keras`` archive whose ``config.json`` is ``config``."""
    stored = member_size(archive, WEIGHTS_MEMBER, filepath, missing_ok=True)
    with reading("config.json"):
        model = build_model(config, filepath, custom_objects, safe_mode, stored, False)
    with weights_member(archive, model, filepath) as h5, reading(WEIGHTS_MEMBER):
        read_weights(h5, model, filepath, fresh=True)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            try:
                compile_from_config(model, compile_config, custom_objects)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise ModelFileError(
                    f"{filepath}: the compile_config cannot be used ({error}); load with "
                    "compile=False and compile the model again."
                ) from None
            read_optimizer(h5, model, filepath)
    return model
