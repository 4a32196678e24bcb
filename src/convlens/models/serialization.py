"""Model architectures in Keras 3's layout, and back: no code is ever executed on load.

A Sequential is written as Keras 3 writes it (keras/src/models/sequential.py)::

    {"name", "trainable", "dtype", "layers": [InputLayer, ...], "build_input_shape"}

and a functional Model as Keras's ``Functional`` (keras/src/models/functional.py)::

    {"name", "trainable", "layers": [{...layer..., "name", "inbound_nodes": [{"args": [...],
     "kwargs": {}}]}], "input_layers": [[name, 0, 0]], "output_layers": [[name, 0, 0]]}

where a call's symbolic inputs are ``{"class_name": "__keras_tensor__", "config": {"shape",
"dtype", "keras_history": [layer name, node index, tensor index]}}`` and node indices count
the calls of a layer within this model. Reading also accepts the old convlens layout that model
files of format version 1 hold. Layer classes are found by name in the registry
(:mod:`convlens.keras_config`), never imported by a name found in a file.
"""

from __future__ import annotations

import json

from .. import registry
from ..keras_config import as_lists, deserialize_layer, deserialize_model, serialize_layer
from ..layers.input_layer import Input, InputLayer
from ..layers.symbolic import KerasTensor
from .graph_order import keras_order
from .keras_ops_layout import is_keras_op, op_entry, operation_from_keras

_KERAS_TENSOR = "__keras_tensor__"
_CALL_KWARGS_IGNORED = {"mask": None, "training": None}  # Keras writes these for nested models


# ----- Sequential -----
def sequential_config(model) -> dict:
    """Keras 3's Sequential config: the InputLayer first, then each layer."""
    entries = [serialize_layer(layer) for layer in model.layers]
    config = {
        "name": model.name,
        "trainable": model.trainable,
        "dtype": registry.dtype_policy(_dtype_of(model)),
    }
    input_layer = model._input_layer
    if input_layer is not None:
        entries.insert(0, serialize_layer(input_layer))
    config["layers"] = entries
    if input_layer is not None:
        config["build_input_shape"] = as_lists(input_layer.input_shape)
    return config


def sequential_from_config(cls, config: dict):
    """A ``cls`` (Sequential) from :func:`sequential_config`'s dict, Keras's, or the old one.

    Raises:
        ValueError: for a config without ``layers`` or with a layer convlens cannot build.
    """
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"A Sequential config must be a dict with a 'layers' list, received {config!r}."
        )
    _check_dtype(config, "Sequential")
    layers = [deserialize_layer(entry) for entry in config["layers"]]
    if config.get("input_shape") is not None:  # the old convlens layout: a sample's shape
        layers = [Input(tuple(config["input_shape"]))] + layers
    model = cls(layers, name=config.get("name"))
    build_input_shape = config.get("build_input_shape")
    has_input = any(isinstance(layer, InputLayer) for layer in layers)
    if not has_input and isinstance(build_input_shape, list) and build_input_shape:
        model.build(tuple(build_input_shape))
    model.trainable = config.get("trainable", True)
    return model


# ----- functional -----
def functional_config(model) -> dict:
    """Keras 3's Functional config: each layer with the calls (nodes) that feed it, the
    layers in Keras's order (:mod:`.graph_order`), whatever order the model keeps."""
    nodes, layers = keras_order(model.inputs, model.outputs)
    nodes_of, node_index = {}, {}
    for node in nodes:
        calls = nodes_of.setdefault(id(node.layer), [])
        node_index[id(node)] = len(calls)
        calls.append(node)
    entries = []
    for layer in layers:
        calls = [node for node in nodes_of[id(layer)] if not node.is_input]
        entry = op_entry(layer, calls, lambda tensor: _tensor_config(tensor, node_index))
        if entry is None:
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            entry["inbound_nodes"] = [_node_config(node, node_index) for node in calls]
        entries.append(entry)
    inputs = [_history(tensor, node_index) for tensor in model.inputs]
    outputs = [_history(tensor, node_index) for tensor in model.outputs]
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": entries,
        "input_layers": inputs[0] if model._single_input else inputs,
        "output_layers": outputs[0] if model._single_output else outputs,
    }


def _history(tensor, node_index: dict) -> list:
    """``[layer name, node index, tensor index]``: where a symbolic tensor was made."""
    node = tensor.node
    position = next(i for i, output in enumerate(node.outputs) if output is tensor)
    return [node.layer.name, node_index[id(node)], position]


def _tensor_config(tensor, node_index: dict) -> dict:
    """A symbolic tensor as a call argument: Keras's ``__keras_tensor__`` dict."""
    return {
        "class_name": _KERAS_TENSOR,
        "config": {
            "shape": as_lists(tensor.shape),
            "dtype": tensor.dtype,
            "keras_history": _history(tensor, node_index),
        },
    }


def _node_config(node, node_index: dict) -> dict:
    """Keras's ``{"args": [...], "kwargs": {...}}`` of one call: symbolic tensors as
    ``__keras_tensor__`` dicts (with their ``keras_history``), other arguments as JSON."""

    def encode(value):
        if isinstance(value, KerasTensor):
            return _tensor_config(value, node_index)
        if isinstance(value, (list, tuple)):
            return [encode(item) for item in value]
        if isinstance(value, dict):
            return {key: encode(item) for key, item in value.items()}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise ValueError(
            f'Layer "{node.layer.name}": cannot save the call argument {value!r} '
            f"({type(value).__name__}); a functional graph stores tensors and JSON values only."
        )

    first = [encode(t) for t in node.inputs]
    args = [first if node.takes_list else first[0], *(encode(a) for a in node.args)]
    return {"args": args, "kwargs": encode(node.kwargs)}


def functional_from_config(cls, config: dict):
    """A ``cls`` (functional Model) from :func:`functional_config`'s dict, Keras's, or the
    old convlens layout (``inbound`` layer names).

    Raises:
        ValueError: for a config whose graph cannot be rebuilt (naming the layers left), or
            call arguments convlens cannot honour.
    """
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"A functional Model config must be a dict with a 'layers' list, received {config!r}."
        )
    if "input_layers" not in config:
        return _old_functional_from_config(cls, config)
    unexpected = set(config) - {"name", "trainable", "layers", "input_layers", "output_layers"}
    _check_dtype(config, "Functional")
    if unexpected - {"dtype"}:
        raise ValueError(
            f'Functional "{config.get("name")}": unexpected config keys {sorted(unexpected)}.'
        )
    layers, pending, outputs = {}, [], {}
    for entry in config["layers"]:
        if is_keras_op(entry):  # inputs / 127.5 - 1 saved by Keras
            layer, inbound = operation_from_keras(entry, _KERAS_TENSOR)
        else:
            layer, inbound = deserialize_layer(entry), entry.get("inbound_nodes")
        name = entry.get("name", layer.name)
        layers[name] = layer
        if isinstance(layer, InputLayer):
            outputs[name] = [layer.output]
        pending.append((name, list(inbound or [])))
    _call_layers(layers, pending, outputs)
    model = cls(
        _tensors(config["input_layers"], outputs),
        _tensors(config["output_layers"], outputs),
        name=config.get("name"),
    )
    model.trainable = config.get("trainable", True)
    return model


def _call_layers(layers: dict, pending: list, outputs: dict) -> None:
    """Call each layer on its nodes' inputs; a call whose inputs do not exist yet waits for a
    later round (a layer shared at different depths), as Keras rebuilds a graph."""
    while any(calls for _, calls in pending):
        progress = False
        for name, calls in pending:
            while calls:
                arguments = _node_arguments(calls[0], outputs, name)
                if arguments is None:
                    break
                first, args, kwargs = arguments
                outputs.setdefault(name, []).append(layers[name](first, *args, **kwargs))
                calls.pop(0)
                progress = True
        if not progress:
            left = sorted(name for name, calls in pending if calls)
            raise ValueError(
                f"The functional model's graph cannot be rebuilt: the calls of {left} take "
                "outputs no layer makes (a missing layer or a loop)."
            )


def _node_arguments(node, outputs: dict, name: str):
    """``(first, args, kwargs)`` of one call, symbolic tensors looked up among the outputs
    made so far; None while one of them is not made yet."""
    if not isinstance(node, dict) or not isinstance(node.get("args"), list) or not node["args"]:
        raise ValueError(
            f'Layer "{name}": inbound node {node!r} is not in Keras 3\'s layout '
            "({'args': [...], 'kwargs': {...}}); Keras 2 configs are not read."
        )
    kwargs = node.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ValueError(f'Layer "{name}": the call\'s kwargs must be a dict, received {kwargs!r}.')
    kwargs = {
        key: value
        for key, value in kwargs.items()
        if key not in _CALL_KWARGS_IGNORED or value != _CALL_KWARGS_IGNORED[key]
    }
    missing = []

    def decode(value):
        if isinstance(value, dict) and value.get("class_name") == _KERAS_TENSOR:
            history = (value.get("config") or {}).get("keras_history")
            if not isinstance(history, list) or len(history) != 3:
                raise ValueError(
                    f'Layer "{name}": a symbolic tensor without a valid keras_history: {value!r}.'
                )
            tensor = _lookup(history, outputs)
            if tensor is None:
                missing.append(history)
            return tensor
        if isinstance(value, list):
            return [decode(item) for item in value]
        if isinstance(value, dict):
            return {key: decode(item) for key, item in value.items()}
        return value

    first, *args = decode(node["args"])
    kwargs = decode(kwargs)
    if missing:
        return None
    if not isinstance(first, (KerasTensor, list)) or (
        isinstance(first, list) and not all(isinstance(t, KerasTensor) for t in first)
    ):
        raise ValueError(
            f'Layer "{name}": the first call argument must be a symbolic tensor or a list of '
            f"them, received {node['args'][0]!r}."
        )
    return first, args, kwargs


def _lookup(history, outputs: dict):
    layer_name, node_index, tensor_index = history
    made = outputs.get(layer_name, [])
    if not isinstance(node_index, int) or node_index >= len(made):
        return None
    result = made[node_index]
    several = result if isinstance(result, (list, tuple)) else [result]
    if not isinstance(tensor_index, int) or not 0 <= tensor_index < len(several):
        raise ValueError(
            f'Layer "{layer_name}": tensor index {tensor_index!r}, but that call made '
            f"{len(several)} output(s)."
        )
    return several[tensor_index]


def _tensors(structure, outputs: dict):
    """The model's inputs or outputs from Keras's ``[name, node, tensor]`` triples."""
    if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
        tensor = _lookup(structure, outputs)
        if tensor is None:
            raise ValueError(f"The functional model names the missing tensor {structure!r}.")
        return tensor
    if isinstance(structure, list):
        return [_tensors(item, outputs) for item in structure]
    raise ValueError(
        f"Model inputs and outputs must be [layer, node, tensor] triples or lists of them, "
        f"received {structure!r} (dicts of inputs are not supported)."
    )


def _old_functional_from_config(cls, config: dict):
    """The old convlens layout: each layer with the names of the layers it takes."""
    outputs = {}
    for item in config["layers"]:
        layer = deserialize_layer(item)
        if isinstance(layer, InputLayer):
            outputs[layer.name] = layer.output
            continue
        arguments = [outputs[name] for name in item["inbound"]]
        outputs[layer.name] = layer(arguments if item["takes_list"] else arguments[0])
    inputs = [outputs[name] for name in config["inputs"]]
    results = [outputs[name] for name in config["outputs"]]
    model = cls(
        inputs[0] if config["single_input"] else inputs,
        results[0] if config["single_output"] else results,
        name=config.get("name"),
    )
    model.trainable = config.get("trainable", True)
    return model


def _dtype_of(model) -> str:
    dtype = getattr(model, "dtype", None) or "float32"
    return dtype if isinstance(dtype, str) else getattr(dtype, "name", "float32")


def _check_dtype(config: dict, owner: str) -> None:
    name = registry.dtype_name(config.get("dtype"), f'{owner} "{config.get("name")}"')
    if name not in (None, "float32"):
        raise ValueError(
            f'{owner} "{config.get("name")}": a model dtype of {name!r} is not supported; '
            "give the layers their dtype instead."
        )


# ----- JSON -----
def model_to_json(model, **kwargs) -> str:
    """The model's architecture as Keras 3's JSON (``model.to_json()``); ``kwargs`` go to
    ``json.dumps`` (``indent=2``...)."""
    return json.dumps(serialize_layer(model), **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """A new model, with fresh weights, from :func:`model_to_json`'s or Keras's JSON.

    Args:
        json_string: the JSON text.
        custom_objects: name -> class or function, for user objects not registered.

    Raises:
        ValueError: for text that is not JSON, or an architecture convlens cannot rebuild.

    Example:
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> models.model_from_json(model_to_json(model)).output_shape
        (None, 2)
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: the text is not JSON ({error}).") from None
    return deserialize_model(config, custom_objects)


__all__ = [
    "functional_config",
    "functional_from_config",
    "model_from_json",
    "model_to_json",
    "sequential_config",
    "sequential_from_config",
]
