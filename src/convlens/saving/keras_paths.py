"""Where Keras 3 keeps each variable in its weights file, computed for a convlens model.

Keras walks the model (keras/src/saving/saving_lib.py): a Sequential or functional model's
``layers`` first, then each object's attributes in sorted order (private ones last), and
names every layer in a list by its class name in snake case made unique within that list
(``layers/conv2d``, ``layers/conv2d_1``...), never by the layer's own name. A layer's own
variables sit in ``<path>/vars`` as ``0``, ``1``... (trainable ones first), the model's in the
top-level ``vars``, and the optimizer's in ``optimizer/vars``: ``iterations``, the learning
rate, then its slots in the order Keras's optimizer creates them (:data:`KERAS_SLOT_ORDER`).
"""

from __future__ import annotations

import numpy

from .. import registry
from ..keras_config import KERAS_NAMES

# Attributes of convlens's Sequential and functional models that hold their graph, not
# layers of the user's (Keras skips its own internals the same way).
MODEL_INTERNALS = frozenset(("_layers", "_nodes", "_input_layer", "_layers_of"))
# Keras's optimizer variables after iterations and learning rate: groups of convlens slot
# names; within a group the slots interleave per variable (m0, v0, m1, v1...), as Keras's
# add_optimizer_variables does. A slot not listed comes after, in convlens's order.
KERAS_SLOT_ORDER = {
    "SGD": [["velocity"]],
    "Adam": [["m", "v"], ["v_max"]],
    "AdamW": [["m", "v"], ["v_max"]],
    "Nadam": [["momentum", "velocity"]],
    "Adamax": [["momentum", "norm"]],
    "RMSprop": [["mean_square"], ["momentum"], ["mean_gradient"]],
    "Adagrad": [["accumulator"]],
    "Adadelta": [["accumulated_grad", "accumulated_delta_var"]],
    "Ftrl": [["accumulator", "linear"]],
    "Lion": [["momentum"]],
}


def trailing_values(optimizer) -> list:
    """Variables Keras keeps after the slots that convlens recomputes: Nadam's product of
    momentum factors ``u_product`` (a function of ``iterations`` alone)."""
    if type(optimizer).__name__ == "Nadam" and optimizer.built:
        iterations = int(optimizer.iterations)
        return [numpy.asarray(optimizer._momentum_product(iterations, numpy.float32))]
    return []


def keras_class_name(layer) -> str:
    name = type(layer).__name__
    if name == "Model" and not getattr(layer, "_functional", False):
        return name
    return KERAS_NAMES.get(name, (None, name))[1]


def own_variables(layer) -> list:
    """The layer's own weights in Keras's order: trainable (as created) first."""
    pairs = list(zip(layer._weights, layer._trainable_flags))
    return [w for w, flag in pairs if flag] + [w for w, flag in pairs if not flag]


def _is_layer(value) -> bool:
    return hasattr(value, "_weights") and hasattr(value, "_sublayers")


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _children(layer):
    """``(attribute, value)`` pairs in the order Keras visits them."""
    attributes = [
        name
        for name in layer.__dict__.get("_layer_attributes", ())
        if not (_is_model(layer) and name in MODEL_INTERNALS)
    ]
    functional = getattr(layer, "_functional", False) or type(layer).__name__ == "Sequential"
    if functional:
        yield "layers", layer.layers
    elif _is_model(layer):
        attributes.append("layers")  # Keras's Model.layers, visited among the attributes
    for name in sorted(set(attributes), key=_name_key):
        yield name, layer.layers if name == "layers" else getattr(layer, name, None)


def _is_model(layer) -> bool:
    return any(isinstance(layer, cls) for cls in set(registry.model_classes().values()))


def variable_paths(model) -> list[tuple[str, object]]:
    """``(path, layer)`` for the model and every layer in it, each once, in Keras's order;
    the model's path is ``""``."""
    entries, visited = [], set()

    def visit(layer, path):
        if id(layer) in visited:
            return
        visited.add(id(layer))
        entries.append((path, layer))
        for name, child in _children(layer):
            child_path = f"{path}/{name}" if path else name
            if _is_layer(child):
                visit(child, child_path)
            elif isinstance(child, (list, tuple, dict)):
                visit_list(child, child_path)

    def visit_list(items, path):
        used: dict[str, int] = {}
        for item in items.values() if isinstance(items, dict) else items:
            if _is_layer(item):
                visit(item, f"{path}/{_unique(registry.snake_case(keras_class_name(item)), used)}")
            elif isinstance(item, (list, tuple, dict)):
                visit_list(item, f"{path}/{_unique('container', used)}")

    visit(model, "")
    return entries


def _unique(name: str, used: dict) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def vars_group(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def optimizer_slots(optimizer) -> list[tuple[str, int]]:
    """``(slot name, variable index)`` of each slot array, in Keras's variable order."""
    slots = getattr(optimizer, "_slots", {})
    groups = KERAS_SLOT_ORDER.get(type(optimizer).__name__, [])
    listed = [name for group in groups for name in group]
    groups = [*groups, *([name] for name in slots if name not in listed)]
    order = []
    for group in groups:
        present = [name for name in group if slots.get(name)]
        count = len(slots[present[0]]) if present else 0
        order.extend((name, i) for i in range(count) for name in present)
    return order
