"""Keras 2's model configs (``model_config`` of an old ``.h5`` file) in Keras 3's layout.

Keras 2 differs in three places that matter here: an input's shape is ``batch_input_shape``
(on the InputLayer, or on a Sequential's first layer with no InputLayer before it), a call is
``[[layer name, node index, tensor index, kwargs], ...]`` instead of ``{"args", "kwargs"}``,
and a functional model's class is ``Model``. Everything else is read as it is, and what
convlens cannot honour is refused by :mod:`convlens.keras_config` naming the layer.
"""

from __future__ import annotations


def upgrade(entry: dict) -> dict:
    """The top-level model entry, upgraded where it is in Keras 2's layout."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        return entry
    config = dict(entry["config"])
    keras2 = any(_is_keras2_node(n) for layer in config.get("layers") or [] for n in _nodes(layer))
    layers = [_upgrade_layer(layer) for layer in config.get("layers") or []]
    class_name = entry.get("class_name")
    if class_name == "Sequential" and layers and layers[0].get("class_name") != "InputLayer":
        shape = (layers[0].get("config") or {}).get("batch_shape")
        if shape is not None:
            del layers[0]["config"]["batch_shape"]
            name = f"{layers[0]['config'].get('name', 'layer')}_input"
            layers.insert(0, _input_layer(name, shape))
    if keras2 and "input_layers" in config:
        class_name = "Functional" if class_name == "Model" else class_name
        for key in ("input_layers", "output_layers"):  # Keras 2: one of them is no list
            value = config.get(key)
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
                config[key] = value[0]
    config["layers"] = layers
    return {**entry, "class_name": class_name, "config": config}


def _input_layer(name: str, shape) -> dict:
    return {"class_name": "InputLayer", "config": {"batch_shape": shape, "name": name}}


def _upgrade_layer(layer):
    if not isinstance(layer, dict):
        return layer
    layer = dict(layer)
    config = dict(layer.get("config") or {})
    if "batch_input_shape" in config:
        config["batch_shape"] = config.pop("batch_input_shape")
    if layer.get("class_name") == "InputLayer" and "batch_shape" in config:
        layer["config"] = {k: v for k, v in config.items() if k in ("batch_shape", "name")}
        layer["config"]["dtype"] = config.get("dtype", "float32")
    else:
        layer["config"] = config
    nodes = layer.get("inbound_nodes")
    if isinstance(nodes, list):
        layer["inbound_nodes"] = [_upgrade_node(node) for node in nodes]
    if isinstance(config.get("layers"), list):  # a nested model
        layer.update(upgrade(layer))
    return layer


def _nodes(layer) -> list:
    nodes = layer.get("inbound_nodes") if isinstance(layer, dict) else None
    return nodes if isinstance(nodes, list) else []


def _is_keras2_node(node) -> bool:
    return isinstance(node, list) and all(isinstance(item, list) for item in node)


def _upgrade_node(node):
    """``[[name, node, tensor, kwargs], ...]`` as ``{"args": [...], "kwargs": {...}}``."""
    if not _is_keras2_node(node):
        return node
    tensors = [_tensor(item) for item in node]
    kwargs = next((item[3] for item in node if len(item) > 3 and item[3]), {})
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs}


def _tensor(item: list) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(item[:3])}}
