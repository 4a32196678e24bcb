"""Ops on symbolic tensors: ``inputs / 255.0``, ``x + shortcut``, ``ops.mean(x, axis=1)`` in a
functional model, recorded as graph nodes of an :class:`Operation` layer.

Keras 3 lets the functional API apply any op to a KerasTensor; the op becomes a node of the
graph. Here such a node is an ``Operation`` layer that names the op (one of ``convlens.ops``'s
public functions) and holds the call's other arguments as JSON constants, so a model that uses
ops saves and loads like any other: loading looks the name up among the ops, never executes
code from the file.
"""

from __future__ import annotations

import numpy

from .layer import Layer, unique_name
from .symbolic import KerasTensor, set_operation_factory

_SLICE, _INPUT, _ELLIPSIS = "__slice__", "__input__", "__ellipsis__"


def _encode(value, symbols: list):
    """``value`` as JSON: symbolic tensors become input placeholders (appended to
    ``symbols``), slices and Ellipsis tagged dicts, tuples lists."""
    if isinstance(value, KerasTensor):
        symbols.append(value)
        return {_INPUT: len(symbols) - 1}
    if isinstance(value, slice):
        return {_SLICE: [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {_ELLIPSIS: True}
    if isinstance(value, (list, tuple)):
        return (
            {"__tuple__": [_encode(v, symbols) for v in value]}
            if isinstance(value, tuple)
            else [_encode(v, symbols) for v in value]
        )
    if isinstance(value, dict):
        return {key: _encode(v, symbols) for key, v in value.items()}
    if isinstance(value, (numpy.generic,)):
        return value.item()
    if isinstance(value, numpy.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(
        f"Cannot record an op on symbolic tensors with the argument {value!r} "
        f"({type(value).__name__}): use numbers, lists, slices, arrays or tensors."
    )


def _decode(value, inputs: list):
    if isinstance(value, list):
        return [_decode(v, inputs) for v in value]
    if isinstance(value, dict):
        if _INPUT in value:
            return inputs[value[_INPUT]]
        if _SLICE in value:
            return slice(*value[_SLICE])
        if _ELLIPSIS in value:
            return Ellipsis
        if "__tuple__" in value:
            return tuple(_decode(v, inputs) for v in value["__tuple__"])
        if "__array__" in value:
            return numpy.asarray(value["__array__"], dtype=value["dtype"])
        return {key: _decode(v, inputs) for key, v in value.items()}
    return value


class Operation(Layer):
    """One op of ``convlens.ops`` applied in a functional graph (Keras's operation nodes).

    Args:
        op: the name of a public function of ``convlens.ops`` (``"add"``, ``"mean"``,
            ``"image.resize"``...).
        arguments: the call's positional arguments, JSON-encoded (inputs as placeholders).
        keywords: the call's keyword arguments, likewise.

    Raises:
        ValueError: when ``op`` is not a public op (a file cannot name anything else).
    """

    def __init__(self, op: str, arguments=(), keywords=None, **kwargs):
        if kwargs.get("name") is None and isinstance(op, str):
            kwargs["name"] = unique_name(op.split(".")[-1])  # after the op, as Keras names them
        super().__init__(**kwargs)
        from .. import ops

        function = ops
        for part in op.split(".") if isinstance(op, str) else [None]:
            public = isinstance(part, str) and part and not part.startswith("_")
            function = getattr(function, part, None) if public else None
        if not callable(function) or isinstance(function, type):
            raise ValueError(
                f'Operation "{self.name}": op must name a public function of convlens.ops, '
                f"received {op!r}."
            )
        self.op, self.function = op, getattr(function, "__wrapped__", function)
        self.arguments, self.keywords = list(arguments), dict(keywords or {})

    def call(self, inputs):
        inputs = inputs if isinstance(inputs, list) else [inputs]
        args = _decode(self.arguments, inputs)
        kwargs = _decode(self.keywords, inputs)
        return self.function(*args, **kwargs)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "op": self.op,
            "arguments": self.arguments,
            "keywords": self.keywords,
        }


def apply_operation(op: str, args: tuple, kwargs: dict):
    """Record ``ops.<op>(*args, **kwargs)`` on symbolic tensors as an Operation node."""
    symbols: list = []
    arguments = _encode(list(args), symbols)
    keywords = _encode(dict(kwargs), symbols)
    layer = Operation(op, arguments, keywords)
    return layer(symbols if len(symbols) > 1 else symbols[0])


set_operation_factory(apply_operation)
