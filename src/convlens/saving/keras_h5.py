"""Keras 3's weights file (``model.weights.h5`` in a ``.keras`` archive, or a
``.weights.h5`` of ``save_weights``), written and read with h5py.

Layout (the paths come from :mod:`.keras_paths`)::

    vars                          attrs {"name": model name}
    layers/<snake class>/vars/0   a layer's variables, attrs {"name": layer name}
    optimizer/vars/0, 1, 2...     iterations, learning rate, slots in Keras's order

Every member is checked against the model (present, same count, shape and kind of dtype)
before any weight changes, so a file that does not fit leaves the model as it was.
"""

from __future__ import annotations

import warnings

import numpy

from .. import backend
from ..optimizers import schedules
from .files import ModelFileError, read_member
from .keras_paths import (
    optimizer_slots,
    own_variables,
    trailing_values,
    variable_paths,
    vars_group,
)


def write_weights(h5, model, optimizer=None) -> None:
    """Write the model's variables (and ``optimizer``'s, when given) into an open h5py file."""
    for path, layer in variable_paths(model):
        group = h5.create_group(vars_group(path))
        group.attrs["name"] = layer.name
        for i, weight in enumerate(own_variables(layer)):
            group[str(i)] = backend.to_numpy(weight.data)
    if optimizer is not None:
        group = h5.create_group("optimizer/vars")
        group.attrs["name"] = optimizer.name
        for i, value in enumerate(_optimizer_values(optimizer)):
            group[str(i)] = value


def _optimizer_values(optimizer) -> list:
    iterations = int(optimizer.iterations)
    values = [numpy.asarray(iterations, numpy.int32 if iterations < 2**31 else numpy.int64)]
    if not isinstance(optimizer._learning_rate, schedules.LearningRateSchedule):
        values.append(numpy.asarray(float(optimizer._learning_rate), numpy.float32))
    if optimizer.built:
        slots = optimizer._slots
        values += [backend.to_numpy(slots[name][i]) for name, i in optimizer_slots(optimizer)]
    return values + trailing_values(optimizer)


def read_weights(h5, model, filepath, skip_mismatch=False, fresh=False) -> None:
    """Set the model's variables from an open Keras weights file, all checked first.

    Args:
        skip_mismatch: leave a layer whose variables do not fit (count or shape) as it is,
            with a warning, instead of raising (Keras's argument).
        fresh: the model was just built to receive these weights and is dropped if reading
            fails, so each layer is set as soon as it is read and checked (memory: one layer's
            arrays at a time, not a second copy of the whole model).
    """
    pending = []
    for path, layer in variable_paths(model):
        try:
            pending += _layer_arrays(h5, path, layer, filepath)
        except ModelFileError as error:
            if not skip_mismatch:
                raise
            warnings.warn(f"skip_mismatch: {error}", stacklevel=3)
        if fresh:
            _assign(pending)
            pending = []
    _assign(pending)


def _assign(pending) -> None:
    for weight, array in pending:
        weight.data[...] = backend.xp.asarray(array, dtype=weight.dtype)


def _layer_arrays(h5, path: str, layer, filepath) -> list:
    weights = own_variables(layer)
    group = h5.get(vars_group(path))
    found = 0 if group is None else len(group)
    if found != len(weights):
        raise ModelFileError(
            f'{filepath}: {type(layer).__name__} "{layer.name}" has {len(weights)} '
            f"variables, the file holds {found} under {vars_group(path)!r}; the file was "
            "saved from another architecture."
        )
    saved = group.attrs.get("name") if group is not None else None
    where = f'{type(layer).__name__} "{layer.name}" (saved as "{saved}")'
    return [
        (weight, read_member(group, str(i), weight.shape, weight.dtype, where, filepath))
        for i, weight in enumerate(weights)
    ]


def read_optimizer(h5, model, filepath) -> None:
    """Restore the compiled model's optimizer from ``optimizer/vars``, complete or refused
    (Keras skips a file whose count of optimizer variables differs with a warning; a
    hostile or truncated file must not train on with a fresh optimizer, issue 15)."""
    group = h5.get("optimizer/vars")
    optimizer = getattr(model, "optimizer", None)
    if group is None or optimizer is None:
        return
    has_rate = not isinstance(optimizer._learning_rate, schedules.LearningRateSchedule)
    head = 1 + has_rate
    if len(group) == head:  # saved before the first step: no slots yet
        state = _head_state(group, has_rate, filepath, optimizer)
        if not optimizer.built:
            optimizer.build(model.trainable_weights)
        if state["iterations"] > 0 and optimizer_slots(optimizer):
            raise ModelFileError(
                f"{filepath}: {optimizer.name} stepped {int(state['iterations'])} times but "
                "the file holds none of its slots."
            )
        optimizer.iterations = int(state["iterations"])
        if has_rate:
            optimizer.learning_rate = float(state["learning_rate"])
        return
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    order = optimizer_slots(optimizer)
    expected = head + len(order) + len(trailing_values(optimizer))  # trailing: recomputed
    if len(group) != expected:
        raise ModelFileError(
            f"{filepath}: the optimizer state is incomplete: {optimizer.name} has "
            f"{expected} variables, the file holds {len(group)} under 'optimizer/vars'; "
            "load with compile=False to leave the optimizer out."
        )
    state = _head_state(group, has_rate, filepath, optimizer)
    for k, (name, i) in enumerate(order, start=head):
        slot = optimizer._slots[name][i]
        where = f"optimizer {optimizer.name}, slot {name} of variable {i}"
        state[f"{name}/{i}"] = read_member(group, str(k), slot.shape, slot.dtype, where, filepath)
    try:
        optimizer.set_state(state)
    except ValueError as error:
        raise ModelFileError(f"{filepath}: the optimizer state does not fit: {error}") from None


def _head_state(group, has_rate: bool, filepath, optimizer) -> dict:
    """Iterations and learning rate. The file holds the rate in float32: when that is the
    compiled rate rounded, the compiled (exact) one is kept; else a callback changed it."""
    where = "optimizer"
    state = {"iterations": read_member(group, "0", (), numpy.int64, where, filepath)}
    if state["iterations"] < 0:
        raise ModelFileError(f"{filepath}: {where}: iterations {state['iterations']} < 0.")
    if has_rate:
        rate = read_member(group, "1", (), numpy.float64, where, filepath)
        current = float(optimizer._learning_rate)
        state["learning_rate"] = current if numpy.float32(current) == numpy.float32(rate) else rate
    return state
