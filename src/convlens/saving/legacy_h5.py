"""Keras 2's HDF5 files (``.h5``), the format Keras 3 still writes for ``model.save("m.h5")``
and the one of Keras's published application weights.

A full model file holds attributes ``model_config`` (the architecture as JSON),
``training_config`` (compile arguments), ``keras_version`` and ``backend``; a group
``model_weights`` with attribute ``layer_names`` and, per layer, a group with attribute
``weight_names`` whose entries are dataset paths inside it (``c1/kernel``); and, when
compiled, ``optimizer_weights`` in Keras's optimizer-variable order. A weights-only file
(``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``) is the ``model_weights`` group alone,
at the root. A layer's weights are its trainable then its non-trainable weights.
"""

from __future__ import annotations

import io
import json
import os
import warnings

from .. import backend
from ..keras_config import serialize_layer
from ..optimizers import schedules
from .compile_config import compile_config, compile_from_config
from .files import (
    ModelFileError,
    _write_atomically,
    attribute_strings,
    h5py_module,
    read_member,
    write_strings,
)
from .keras2_config import upgrade
from .keras_archive import CONFIG_LIMIT, KERAS_VERSION, build_model
from .keras_h5 import _optimizer_values, read_optimizer
from .keras_paths import optimizer_slots


def legacy_weights(layer) -> list:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


# ----- writing -----
def save_legacy_h5(model, filepath, overwrite=True) -> None:
    """Write ``model`` as Keras 3 writes a ``.h5`` file (Keras 2's layout)."""
    buffer = io.BytesIO()
    with h5py_module().File(buffer, "w") as h5:
        entry = serialize_layer(model)
        h5.attrs["model_config"] = json.dumps(
            {"class_name": entry["class_name"], "config": entry["config"]}
        )
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["backend"] = "numpy"
        if model.compiled:
            h5.attrs["training_config"] = json.dumps(_training_config(model))
        _write_model_weights(h5.create_group("model_weights"), model)
        if model.compiled:
            _write_optimizer(h5, model.optimizer)
    _write_atomically(filepath, lambda stream: stream.write(buffer.getvalue()), overwrite)


def _training_config(model) -> dict:
    config = compile_config(model)
    return {
        "loss": config.get("loss"),
        "metrics": config.get("metrics"),
        "loss_weights": config.get("loss_weights"),
        "weighted_metrics": None,
        "optimizer_config": config.get("optimizer"),
    }


def _write_subset(group, weights) -> None:
    names, used = [], set()
    for weight in weights:
        name = weight.name if weight.name not in used else f"{weight.name}_{len(used)}"
        used.add(name)
        names.append(name)
        group.create_dataset(name, data=backend.to_numpy(weight.data))
    write_strings(group, "weight_names", names)


def _write_model_weights(group, model) -> None:
    write_strings(group, "layer_names", [layer.name for layer in model.layers])
    group.attrs["backend"] = "numpy"
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        _write_subset(group.create_group(layer.name), legacy_weights(layer))
    _write_subset(group.create_group("top_level_model_weights"), model._weights)


def _write_optimizer(h5, optimizer) -> None:
    values = _optimizer_values(optimizer)  # iterations, [learning rate], slots, [trailing]
    slots = optimizer_slots(optimizer) if optimizer.built else []
    names = ["iteration"]
    if not isinstance(optimizer._learning_rate, schedules.LearningRateSchedule):
        names.append("learning_rate")
    names += [f"{slot}_{i}" for slot, i in slots]
    names += [f"extra_{i}" for i in range(len(values) - len(names))]  # Nadam's u_product
    names = [f"{optimizer.name}/{name}" for name in names]
    group = h5.create_group("optimizer_weights")
    write_strings(group, "weight_names", names)
    for name, value in zip(names, values):
        group.create_dataset(name, data=value)


# ----- reading -----
def is_legacy(h5) -> bool:
    return "model_weights" in h5 or "layer_names" in h5.attrs or "layer_names0" in h5.attrs


def load_legacy_model(h5, filepath, custom_objects, compile, safe_mode):  # noqa: A002
    """A model from an open Keras 2 full-model HDF5 file."""
    raw = h5.attrs.get("model_config")
    if raw is None:
        raise ModelFileError(
            f"{filepath}: an HDF5 file without 'model_config': a weights-only file; build "
            "the model and call model.load_weights() instead."
        )
    if len(raw) > CONFIG_LIMIT:
        raise ModelFileError(f"{filepath}: 'model_config' is over {CONFIG_LIMIT} bytes.")
    try:
        config = json.loads(raw.decode("utf8") if isinstance(raw, bytes) else raw)
    except ValueError as error:
        raise ModelFileError(f"{filepath}: 'model_config' is not JSON ({error}).") from None
    stored = os.path.getsize(filepath) if isinstance(filepath, str) else 0
    model = build_model(upgrade(config), filepath, custom_objects, safe_mode, stored)
    load_legacy_weights(model, h5["model_weights"], filepath)
    raw = h5.attrs.get("training_config")
    if compile and raw is not None:
        try:
            training = json.loads(raw.decode("utf8") if isinstance(raw, bytes) else raw)
        except ValueError as error:
            raise ModelFileError(f"{filepath}: 'training_config' is not JSON ({error}).") from None
        if not isinstance(training, dict):
            raise ModelFileError(f"{filepath}: 'training_config' does not hold an object.")
        try:
            compile_from_config(
                model,
                {**training, "optimizer": training.get("optimizer_config")},
                custom_objects,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            warnings.warn(
                f"{filepath}: the model is not compiled: its training_config cannot be "
                f"used ({error}); compile it again.",
                stacklevel=3,
            )
            return model
        if "optimizer_weights" in h5:
            group = h5["optimizer_weights"]
            names = attribute_strings(group, "weight_names")
            read_optimizer({"optimizer/vars": _Indexed(group, names)}, model, filepath)
    return model


class _Indexed:
    """Datasets listed by ``weight_names`` as Keras 3's ``vars`` group: ``"0"``, ``"1"``..."""

    def __init__(self, group, names):
        self._members = {str(i): group[name] for i, name in enumerate(names) if name in group}

    def __len__(self):
        return len(self._members)

    def get(self, key):
        return self._members.get(key)


def load_legacy_weights(model, group, filepath, by_name=None, skip_mismatch=False) -> None:
    """Keras 2's weights (a file's root or ``model_weights`` group) into ``model``.

    Layers are matched by name when the file's layers with weights are exactly the model's
    (``by_name=None``) or when ``by_name=True`` (then layers absent from the file keep their
    weights, as Keras); otherwise in order, as Keras's topological loading. Every array is
    checked before any weight changes.
    """
    saved = [name for name in attribute_strings(group, "layer_names") if _names(group, name)]
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    by_layer_name = {layer.name: layer for layer in layers}
    if by_name is None:
        by_name = set(saved) == set(by_layer_name)
    if by_name:
        pairs = [(name, by_layer_name[name]) for name in saved if name in by_layer_name]
    else:
        if len(saved) != len(layers):
            raise ModelFileError(
                f"{filepath}: the model has {len(layers)} layers with weights, the file "
                f"{len(saved)}, and their names differ; load with by_name=True to match "
                "layers by name."
            )
        pairs = list(zip(saved, layers))
    pending = []
    for name, layer in pairs:
        pending += _layer_values(group[name], name, layer, filepath, skip_mismatch)
    for weight, array in pending:
        weight.data[...] = backend.xp.asarray(array, dtype=weight.dtype)


def _names(group, name) -> list[str]:
    member = group.get(name)
    return attribute_strings(member, "weight_names") if member is not None else []


def _layer_values(layer_group, name, layer, filepath, skip_mismatch) -> list:
    names, weights = _names(layer_group.parent, name), legacy_weights(layer)
    where = f'{type(layer).__name__} "{layer.name}" (file layer {name!r})'
    if len(names) != len(weights):
        raise ModelFileError(
            f"{filepath}: {where} has {len(weights)} weights, the file holds {len(names)}."
        )
    values = []
    for weight, key in zip(weights, names):
        try:
            array = read_member(layer_group, key, weight.shape, weight.dtype, where, filepath)
        except ModelFileError:
            if not skip_mismatch:
                raise
            warnings.warn(f"{filepath}: skipping {where}: shapes differ.", stacklevel=4)
            return []
        values.append((weight, array))
    return values
