"""The order Keras 3 gives a functional model's layers, so weight lists line up between the two.

``model.get_weights()`` lists the weights layer after layer, so ``set_weights`` of a Keras
model's weights fits a convlens model only when both list their layers alike. Keras sorts
(keras/src/ops/function.py, ``map_graph``): a depth-first walk back from the outputs, in output
order and each call's inputs in order, numbers the layers as it first meets them; each call
gets a depth, the longest path from it to an output; layers are listed deepest first (the
inputs), ties broken by that number. Calls are run deepest first, which runs every call after
the calls it takes its inputs from.
"""

from __future__ import annotations


def keras_order(inputs, outputs) -> tuple[list, list]:
    """``(nodes, layers)`` of the graph from ``inputs`` to ``outputs``, in Keras 3's order.

    Args:
        inputs: the model's input KerasTensors.
        outputs: its output KerasTensors.

    Returns:
        The nodes in an order that runs each after its inputs' nodes, and each layer once.

    Raises:
        ValueError: for a cycle in the graph, or an output that depends on an ``Input`` that
            is not among ``inputs``.
    """
    walked, first_seen = _walk(inputs, outputs)
    in_graph = {id(node) for node in walked}
    node_depth, layer_depth = {}, {}
    for node in reversed(walked):  # from the outputs back to the inputs
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for parent in (tensor.node for tensor in node.inputs + node.extra_inputs):
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    layers = {id(node.layer): node.layer for node in walked}
    for tensor in inputs:  # an input no output depends on is still listed, last
        layer = tensor.node.layer
        if id(layer) not in layers:
            layers[id(layer)], layer_depth[id(layer)], first_seen[id(layer)] = layer, 0, -1
    position = {id(node): index for index, node in enumerate(walked)}
    nodes = sorted(walked, key=lambda node: (-node_depth[id(node)], position[id(node)]))
    ordered = sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))
    return nodes, ordered


def _walk(inputs, outputs) -> tuple[list, dict]:
    """Keras's depth-first walk: the nodes, each after its inputs' nodes, and each layer's
    number in the order first met (an explicit stack: deep chains need no recursion)."""
    input_ids = {id(tensor) for tensor in inputs}
    finished, in_progress, walked, first_seen = set(), set(), [], {}
    stack = [(tensor, False) for tensor in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        node = tensor.node
        if expanded:
            in_progress.discard(id(node))
            finished.add(id(node))
            walked.append(node)
            continue
        if id(node) in finished:
            continue
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))
            continue
        if node.is_input and id(tensor) not in input_ids:
            raise ValueError(
                f'The model\'s outputs depend on the input "{node.layer.name}", '
                "which is not among the model's inputs."
            )
        if id(node) in in_progress:
            raise ValueError(f'The layer "{node.layer.name}" is part of a cycle.')
        first_seen.setdefault(id(node.layer), len(first_seen))
        in_progress.add(id(node))
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(node.inputs + node.extra_inputs))
    return walked, first_seen
