"""Ops in a functional graph written and read in Keras 3's layout.

Keras saves ``inputs / 127.5 - 1`` (what ``preprocess_input`` does to an Input) as operation
entries of the graph: ``{"module": "keras.src.ops.numpy", "class_name": "TrueDivide", "config":
{"name": ...}, "inbound_nodes": [{"args": [<tensor>, 127.5], "kwargs": {}}]}``. convlens
records the same call as an :class:`~convlens.layers.operation.Operation` layer. This module
translates between the two for the elementwise ops whose Keras class takes nothing but a name,
so such a model goes both ways; any other op keeps convlens's own Operation entry (which Keras
reports as an unknown class).
"""

from __future__ import annotations

import numbers

from ..layers.operation import Operation

MODULE = "keras.src.ops.numpy"
KERAS_OPS = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide",
    "true_divide": "TrueDivide", "power": "Power", "maximum": "Maximum", "minimum": "Minimum",
    "negative": "Negative", "absolute": "Absolute", "sqrt": "Sqrt", "exp": "Exp", "log": "Log",
    "square": "Square", "floor_divide": "FloorDivide", "mod": "Mod",
}  # fmt: skip
FROM_KERAS = {keras_class: op for op, keras_class in KERAS_OPS.items()}
_INPUT = "__input__"


def is_keras_op(entry) -> bool:
    return isinstance(entry, dict) and str(entry.get("module", "")).startswith("keras.src.ops.")


def op_entry(layer, nodes: list, tensor_config) -> dict | None:
    """Keras's graph entry for an Operation ``layer`` called once, or None when Keras's layout
    cannot hold it (another op, keyword arguments, a non-numeric constant, several calls)."""
    if not isinstance(layer, Operation) or layer.op not in KERAS_OPS or layer.keywords:
        return None
    if len(nodes) != 1:
        return None
    args = []
    for value in layer.arguments:
        if isinstance(value, dict) and set(value) == {_INPUT}:
            args.append(tensor_config(nodes[0].inputs[value[_INPUT]]))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            args.append(value)
        else:
            return None
    keras_class = KERAS_OPS[layer.op]
    return {
        "module": MODULE,
        "class_name": keras_class,
        "config": {"name": layer.name},
        "registered_name": keras_class,
        "name": layer.name,
        "inbound_nodes": [{"args": args, "kwargs": {}}],
    }


def operation_from_keras(entry: dict, keras_tensor: str):
    """``(Operation, inbound_nodes)`` for a Keras op entry, its nodes in the layout
    ``functional_from_config`` calls layers with (the tensors first, as one list or one).

    Raises:
        ValueError: for a Keras op convlens does not read, naming it and those it reads.
    """
    keras_class, name = entry.get("class_name"), entry.get("name")
    op = FROM_KERAS.get(keras_class) if entry.get("module") == MODULE else None
    nodes = entry.get("inbound_nodes") or []
    if op is None or len(nodes) != 1 or (nodes[0].get("kwargs") or {}):
        raise ValueError(
            f'Op "{name}" ({entry.get("module")}.{keras_class}): convlens reads Keras ops of '
            f"{MODULE} called once with positional arguments: {', '.join(sorted(FROM_KERAS))}."
        )
    tensors, arguments = [], []
    for value in nodes[0].get("args") or []:
        if isinstance(value, dict) and value.get("class_name") == keras_tensor:
            arguments.append({_INPUT: len(tensors)})
            tensors.append(value)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            arguments.append(value)
        else:
            raise ValueError(f'Op "{name}" ({keras_class}): unsupported argument {value!r}.')
    if not tensors:
        raise ValueError(f'Op "{name}" ({keras_class}): no tensor argument.')
    layer = Operation(op, arguments, {}, name=(entry.get("config") or {}).get("name") or name)
    first = tensors if len(tensors) > 1 else tensors[0]
    return layer, [{"args": [first], "kwargs": {}}]
