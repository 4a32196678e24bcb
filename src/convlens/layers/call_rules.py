"""How a layer call is resolved: the call context that carries ``training`` from a model to
the layers inside it, which keyword arguments a ``call`` signature takes, and the shape helpers
of symbolic calls and traced output shapes."""

from __future__ import annotations

import inspect
import threading

import numpy

call_context = threading.local()  # .training and .depth of the layer calls running now


def flat(inputs):
    if isinstance(inputs, dict):
        return list(inputs.values())
    return inputs if isinstance(inputs, (list, tuple)) else [inputs]


def shapes_of(inputs):
    if isinstance(inputs, dict):
        return [t.shape for t in inputs.values()]
    return [t.shape for t in inputs] if isinstance(inputs, list) else inputs.shape


def batchless(shapes):
    if isinstance(shapes, list):
        return [(None,) + tuple(s[1:]) for s in shapes]
    return (None,) + tuple(shapes[1:])


def is_shape(value) -> bool:
    """Whether ``value`` is one shape (a tuple of sizes), not a list of shapes."""
    return isinstance(value, (tuple, list)) and all(
        d is None or isinstance(d, (int, numpy.integer)) for d in value
    )


def shape_list(shape) -> list:
    return list(shape) if isinstance(shape, list) and not is_shape(shape) else [shape]


def merge_traced(first, second):
    """Sizes that differ between two traces depend on a free input size: None."""
    if isinstance(first, list):
        return [merge_traced(a, b) for a, b in zip(first, second)]
    return tuple(a if a == b else None for a, b in zip(first, second))


_ARGUMENT_CACHE: dict[type, frozenset] = {}
_POSITIONAL_CACHE: dict[type, tuple] = {}


def positional_arguments(cls) -> tuple:
    """The names of ``cls.call``'s positional parameters after ``self`` and the inputs."""
    names = _POSITIONAL_CACHE.get(cls)
    if names is None:
        parameters = list(inspect.signature(cls.call).parameters.values())[2:]
        names = tuple(
            p.name
            for p in parameters
            if p.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        )
        _POSITIONAL_CACHE[cls] = names
    return names


def call_arguments(cls) -> frozenset:
    """The keyword names ``cls.call`` accepts (``training``, ``mask``...); every name when it
    takes ``**kwargs``. Cached per class: read once, as Keras does when a layer is made."""
    names = _ARGUMENT_CACHE.get(cls)
    if names is None:
        parameters = inspect.signature(cls.call).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            names = frozenset(("training", "mask"))
        else:
            names = frozenset(p.name for p in parameters)
        _ARGUMENT_CACHE[cls] = names
    return names
