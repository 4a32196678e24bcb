"""The checks ``fit``, ``evaluate`` and ``predict`` run on their arguments before any work.

A careless call must fail at once with a message naming the argument, never train on garbage:
``batch_size=0`` is not 32, ``epochs=-1`` is not a quiet no-op, NaN in ``x`` is not an epoch of
``loss: nan``, a negative class weight does not reward wrong answers. The general checks live in
:mod:`convlens.arguments`; this module knows the training loop's arguments.
"""

from __future__ import annotations

import numbers

import numpy

from .. import backend
from ..arguments import check_finite, check_int, check_non_negative, check_number
from . import data as data_module


def check_loop_arguments(owner: str, batch_size=None, steps=None) -> None:
    """``batch_size`` and ``steps`` (``steps_per_epoch``...) of any of the loops."""
    check_int(batch_size, "batch_size", owner, minimum=1, allow_none=True)
    check_int(steps, "steps", owner, minimum=1, allow_none=True)


def check_fit_arguments(
    epochs, initial_epoch, validation_split, validation_freq, validation_batch_size,
    steps_per_epoch, validation_steps,
) -> None:  # fmt: skip
    """The arguments of ``fit`` beyond the data (``batch_size`` is :func:`check_loop_arguments`)."""
    epochs = check_int(epochs, "epochs", "fit", minimum=0)
    initial_epoch = check_int(initial_epoch, "initial_epoch", "fit", minimum=0)
    if initial_epoch > epochs:
        raise ValueError(
            f"fit: initial_epoch ({initial_epoch}) must be <= epochs ({epochs}); epochs is the "
            "index of the last epoch to run, not a count from initial_epoch."
        )
    check_number(validation_split, "validation_split", "fit", minimum=0.0, maximum=1.0)
    if validation_split == 1:
        raise ValueError("fit: validation_split must be < 1, received 1 (nothing left to train).")
    check_int(validation_freq, "validation_freq", "fit", minimum=1)
    check_int(validation_batch_size, "validation_batch_size", "fit", minimum=1, allow_none=True)
    check_int(steps_per_epoch, "steps_per_epoch", "fit", minimum=1, allow_none=True)
    check_int(validation_steps, "validation_steps", "fit", minimum=1, allow_none=True)


def check_array_data(owner: str, x, y=None, sample_weight=None) -> None:
    """In-memory data: at least one sample, no NaN or infinity, sample weights >= 0. Datasets
    and generators are checked batch by batch where they are read, not here."""
    if x is None:
        raise ValueError(f"{owner}: x is None; pass the input arrays (or a dataset).")
    if isinstance(x, (numbers.Number, str, bytes)):
        raise TypeError(
            f"{owner}: x must be an array (or a list or dict of them), a dataset or a "
            f"generator, received {x!r}."
        )
    if not data_module._is_array_like(x):
        return
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if isinstance(value, (dict, list, tuple)) and not data_module._is_array_like(value):
            raise TypeError(f"{owner}: {name} must be an array of numbers, received {value!r}.")
    # Arrays already on a GPU are left to the device (a host copy would cost more than the check).
    arrays = [
        data_module.to_numpy(a)
        for a in data_module.leaves(x)
        if a is not None and not hasattr(a, "__cuda_array_interface__")
    ]
    if any(a.ndim == 0 for a in arrays):
        raise TypeError(f"{owner}: x must hold arrays with a sample axis first, received {x!r}.")
    if not arrays or any(len(a) == 0 for a in arrays):
        raise ValueError(f"{owner}: x holds no samples (received an empty array).")
    for index, array in enumerate(arrays):
        check_finite(array, "x" if len(arrays) == 1 else f"input {index}", owner)
    if sample_weight is not None and not hasattr(sample_weight, "__cuda_array_interface__"):
        check_non_negative(backend.to_numpy(sample_weight), "sample_weight", owner)


def class_weight_table(class_weight, y) -> dict:
    """``class_weight`` checked against the labels ``y``: a dict of class index to a finite
    weight >= 0 whose keys are classes of ``y`` (one-hot: indices below its width)."""
    if not isinstance(class_weight, dict):
        raise TypeError(
            "fit: class_weight must be a dict {class index: weight}, received "
            f"{type(class_weight).__name__}."
        )
    labels = numpy.asarray(backend.to_numpy(y))
    one_hot = labels.ndim > 1 and labels.shape[-1] > 1
    present = set(range(labels.shape[-1])) if one_hot else set(numpy.unique(labels).tolist())
    table = {}
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(f"fit: class_weight keys must be class indices, received {key!r}.")
        table[int(key)] = check_number(weight, f"class_weight[{key}]", "fit", minimum=0.0)
    unknown = sorted(set(table) - present)
    if unknown:
        raise ValueError(
            f"fit: class_weight names classes {unknown} that the labels do not hold "
            f"(classes present: {sorted(present)[:20]})."
        )
    return table


def class_weights_per_sample(y, class_weight, sample_weight):
    """Per-sample weights from ``{class: weight}`` (checked by :func:`class_weight_table`),
    multiplied into any given sample weights."""
    class_weight = class_weight_table(class_weight, y)
    labels = backend.to_numpy(y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype(int)
    weights = numpy.array([class_weight.get(int(c), 1.0) for c in labels], dtype="float32")
    if sample_weight is None:
        return weights
    return weights * backend.to_numpy(sample_weight).astype("float32")
