"""The structures a training loop passes around: one output, a list or a dict of them.

Helpers of :mod:`convlens.models.training`: model outputs to arrays (on the device or copied to
the host), per-batch outputs joined into one array per output, batches made Tensors, labels
brought to the host where the metrics read them.
"""

from __future__ import annotations

import numpy

from .. import backend
from ..tensor import Tensor


def output_arrays(y_pred):
    """The outputs' arrays, in the outputs' structure (one, a list, or a dict)."""
    if isinstance(y_pred, dict):
        return {key: value.data for key, value in y_pred.items()}
    if isinstance(y_pred, (list, tuple)):
        return [value.data for value in y_pred]
    return y_pred.data


def output_count(y_pred) -> int:
    first = next(iter(y_pred.values())) if isinstance(y_pred, dict) else y_pred
    return len(first[0] if isinstance(first, (list, tuple)) else first)


def host_arrays(outputs):
    """NumPy copies of the outputs, in their structure."""
    if isinstance(outputs, dict):
        return {key: backend.to_numpy(value.data) for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return [backend.to_numpy(value.data) for value in outputs]
    return backend.to_numpy(outputs.data)


def concatenate_outputs(batches):
    """One array per output from the per-batch outputs (Keras's ``predict`` structure)."""
    first = batches[0]
    if isinstance(first, dict):
        return {key: numpy.concatenate([b[key] for b in batches]) for key in first}
    if isinstance(first, list):
        return [numpy.concatenate([b[i] for b in batches]) for i in range(len(first))]
    return numpy.concatenate(batches)


def as_tensors(x):
    if isinstance(x, dict):
        return {key: as_tensors(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return [as_tensors(a) for a in x]
    if isinstance(x, Tensor):
        return x
    # A batch already on the device (CuPy) stays there; anything else is read on the host.
    array = x if isinstance(x, backend.xp.ndarray) else numpy.asarray(x)
    if array.dtype.kind != "f":
        array = array.astype("float32")  # integer images enter as float32, as in Keras
    return Tensor(backend.xp.asarray(array))


def host_labels(y):
    """Targets on the host, where the metrics read them (a CuPy batch is copied back)."""
    if isinstance(y, dict):
        return {key: host_labels(value) for key, value in y.items()}
    if isinstance(y, (list, tuple)):
        return [host_labels(value) for value in y]
    return None if y is None else backend.to_numpy(y)


def scalar_or_list(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def slice_samples(x, start: int, stop: int):
    """Samples ``start:stop`` of every array in ``x`` (one array, a list or a dict of them)."""
    if isinstance(x, dict):
        return {key: slice_samples(value, start, stop) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return [slice_samples(value, start, stop) for value in x]
    return x[start:stop]


def concatenate_tensors(parts):
    """One Tensor per output from per-chunk outputs, in their structure (outside the graph)."""
    from ..ops.creation import wrap

    first = parts[0]
    if isinstance(first, dict):
        return {key: concatenate_tensors([p[key] for p in parts]) for key in first}
    if isinstance(first, (list, tuple)):
        return [concatenate_tensors([p[i] for p in parts]) for i in range(len(first))]
    return wrap(backend.xp.concatenate([p.data for p in parts]))
