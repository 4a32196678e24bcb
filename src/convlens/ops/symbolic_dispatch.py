"""Every public op also accepts the symbolic tensors of a functional graph.

``ops.mean(x, axis=1)`` on a KerasTensor (from ``layers.Input``) records a graph node instead of
computing, as Keras 3 lets any op join a functional model. The wrapper only looks for a
symbolic argument (a class attribute, so ops never import layers) and otherwise calls the op
itself; the recording is the symbolic tensor's own (``KerasTensor.record_operation``).
"""

from __future__ import annotations

import functools
import types


def _symbolic_in(values):
    for value in values:
        if getattr(type(value), "_keras_symbolic", False):
            return value
        if isinstance(value, (list, tuple)):
            for item in value:
                if getattr(type(item), "_keras_symbolic", False):
                    return item
    return None


def symbolic_aware(name: str, function):
    """``function`` that records ``ops.<name>(...)`` as a graph node when given a symbolic
    tensor (``__wrapped__`` is the op itself)."""

    @functools.wraps(function)
    def op(*args, **kwargs):
        symbol = _symbolic_in(args) or _symbolic_in(kwargs.values())
        if symbol is None:
            return function(*args, **kwargs)
        return type(symbol).record_operation(name, *args, **kwargs)

    op._symbolic_aware = True
    return op


def wrap_namespace(namespace: dict, prefix: str = "") -> None:
    """Wrap each public function of ``namespace`` (a module's dict) in place."""
    for name, value in list(namespace.items()):
        if name.startswith("_") or not isinstance(value, types.FunctionType):
            continue
        if getattr(value, "_symbolic_aware", False):
            continue
        namespace[name] = symbolic_aware(prefix + name, value)
