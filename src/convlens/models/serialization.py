"""Model architectures as JSON-able configs, and back: no code is ever executed on load.

A Sequential is its list of layer configs; a functional Model lists its layers with, for each,
the names of the layers whose outputs it takes. Layer classes are found by name in the registry
(``convlens.registry``), where layers/ and models/ register them, never imported by a name found
in a file. ``Sequential.from_config`` and ``Model.from_config`` call the functions here, so
saving rebuilds a model through the registry alone.
"""

from __future__ import annotations

from ..layers.input_layer import Input, InputLayer
from ..registry import layer_config, layer_from_config, model_from_config


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


def sequential_from_config(cls, config: dict):
    """A ``cls`` (Sequential) from :func:`sequential_config`'s dict."""
    layers = [layer_from_config(c) for c in config["layers"]]
    if config.get("input_shape") is not None:
        layers = [Input(tuple(config["input_shape"]))] + layers
    model = cls(layers, name=config.get("name"))
    model.trainable = config.get("trainable", True)
    return model


def functional_from_config(cls, config: dict):
    """A ``cls`` (functional Model) from :func:`functional_config`'s dict: each layer is called
    on the outputs of the layers it names, in the order saved (each after its inputs)."""
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
    model = cls(
        inputs[0] if config["single_input"] else inputs,
        results[0] if config["single_output"] else results,
        name=config.get("name"),
    )
    model.trainable = config.get("trainable", True)
    return model


__all__ = [
    "InputLayer",
    "functional_config",
    "functional_from_config",
    "layer_config",
    "layer_from_config",
    "model_from_config",
    "sequential_config",
    "sequential_from_config",
]
