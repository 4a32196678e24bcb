"""Model architectures as JSON-able configs, and back: no code is ever executed on load.

A Sequential is its list of layer configs; a functional Model lists its layers with, for each,
the names of the layers whose outputs it takes. Layer classes are looked up in one table of
the classes convlens defines, never imported by a name found in a file.
"""

from __future__ import annotations

from ..layers.input_layer import Input, InputLayer
from ..layers.layer import Layer


def layer_config(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def layer_from_config(config: dict) -> Layer:
    """A new layer from ``{"class_name", "config"}``.

    Raises:
        ValueError: for a class convlens does not define (listing those it does).
    """
    from .. import layers as layers_module
    from . import model as model_module
    from . import sequential as sequential_module

    classes = dict(layers_module.LAYER_CLASSES)
    classes.update(
        Sequential=sequential_module.Sequential,
        Functional=model_module.Model,
        Model=model_module.Model,
    )
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in classes:
        raise ValueError(
            f"Unknown layer class {name!r}; known classes: {', '.join(sorted(classes))}."
        )
    cls = classes[name]
    if cls in (sequential_module.Sequential, model_module.Model):
        return model_from_config(config)
    return cls.from_config(dict(config.get("config", {})))


def sequential_config(model) -> dict:
    layers = [layer_config(layer) for layer in model.layers]
    input_layer = model._input_layer
    return {
        "name": model.name,
        "trainable": model.trainable,
        "input_shape": None if input_layer is None else list(input_layer.shape),
        "layers": layers,
    }


def functional_config(model) -> dict:
    entries = []
    for node in model._nodes:
        entries.append(
            {
                **layer_config(node.layer),
                "inbound": [t.node.layer.name for t in node.inputs],
                "takes_list": node.takes_list,
            }
        )
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": entries,
        "inputs": [t.node.layer.name for t in model.inputs],
        "outputs": [t.node.layer.name for t in model.outputs],
        "single_input": model._single_input,
        "single_output": model._single_output,
    }


def model_from_config(entry: dict):
    """A Sequential or functional Model from ``{"class_name", "config"}``."""
    from .model import Model
    from .sequential import Sequential

    config = entry["config"]
    if entry["class_name"] == "Sequential":
        layers = [layer_from_config(c) for c in config["layers"]]
        if config.get("input_shape") is not None:
            layers = [Input(tuple(config["input_shape"]))] + layers
        model = Sequential(layers, name=config.get("name"))
        model.trainable = config.get("trainable", True)
        return model
    outputs = {}
    for item in config["layers"]:
        if item["class_name"] == "InputLayer":
            options = dict(item["config"])
            outputs[options["name"]] = Input(
                tuple(options["shape"]),
                options.get("batch_size"),
                options.get("dtype"),
                options["name"],
            )
            continue
        layer = layer_from_config(item)
        arguments = [outputs[name] for name in item["inbound"]]
        outputs[layer.name] = layer(arguments if item["takes_list"] else arguments[0])
    inputs = [outputs[name] for name in config["inputs"]]
    results = [outputs[name] for name in config["outputs"]]
    model = Model(
        inputs[0] if config["single_input"] else inputs,
        results[0] if config["single_output"] else results,
        name=config.get("name"),
    )
    model.trainable = config.get("trainable", True)
    return model


__all__ = ["InputLayer", "layer_config", "layer_from_config", "model_from_config"]
