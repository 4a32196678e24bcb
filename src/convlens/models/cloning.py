"""``clone_model``: the same architecture with new layers and fresh weights, as Keras's.

Each layer is rebuilt from its config (``clone_function``, by default
``layer.__class__.from_config(layer.get_config())``), once, so a layer shared by two calls
stays shared in the clone; the graph is then called again on new inputs. Weights are not
copied: set them with ``clone.set_weights(model.get_weights())``, as in Keras.
"""

from __future__ import annotations

from ..layers.input_layer import Input, InputLayer
from ..layers.symbolic import KerasTensor


def _default_clone(layer):
    return layer.__class__.from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the architecture of ``model`` and freshly initialised weights.

    Args:
        model: a Sequential, a functional Model, or a subclassed model (rebuilt from its
            ``get_config``, which must then describe it, as in Keras).
        input_tensors: optional ``Input`` tensor(s) to build the clone on, instead of new ones
            of the same shapes.
        clone_function: ``layer -> new layer``, called once per layer (the InputLayers
            excepted); by default a layer is rebuilt from its config.

    Returns:
        The new model, of the same class (a Sequential stays a Sequential).

    Raises:
        ValueError: for ``input_tensors`` that do not match the model's inputs, or a
            ``clone_function`` on a subclassed model (Keras refuses it too).

    Example:
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
        >>> clone = models.clone_model(model)
        >>> clone.output_shape, clone.layers[0] is model.layers[0]
        ((None, 2), False)
    """
    from .model import Model
    from .sequential import Sequential

    function = clone_function or _default_clone
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, function)
    is_functional = isinstance(model, Model) and type(model).call is Model.call
    if is_functional and getattr(model, "_nodes", None):
        return _clone_functional(model, input_tensors, function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            f'clone_model: "{model.name}" is a subclassed model; it is rebuilt from its '
            "get_config(), so clone_function and input_tensors cannot apply."
        )
    return model.__class__.from_config(model.get_config())


def _clone_sequential(model, input_tensors, function):
    layers = [function(layer) for layer in model.layers]
    if input_tensors is not None:
        inputs = _as_list(input_tensors)
        if len(inputs) != 1:
            raise ValueError(
                f'clone_model: Sequential "{model.name}" takes one input, received '
                f"{len(inputs)} input tensors."
            )
        return type(model)([inputs[0].node.layer, *layers], name=model.name)
    if model._input_layer is not None:
        source = model._input_layer
        layers.insert(
            0, Input(source.shape, source.batch_size, source.dtype, source.name).node.layer
        )
    clone = type(model)(layers, name=model.name)
    clone.trainable = model.trainable
    return clone


def _clone_functional(model, input_tensors, function):
    if input_tensors is None:
        inputs = [_new_input(tensor) for tensor in model.inputs]
    else:
        inputs = _as_list(input_tensors)
        if len(inputs) != len(model.inputs) or not all(isinstance(t, KerasTensor) for t in inputs):
            raise ValueError(
                f'clone_model: Model "{model.name}" takes {len(model.inputs)} inputs; '
                f"input_tensors must be as many layers.Input tensors, received {input_tensors!r}."
            )
    made = {id(old): new for old, new in zip(model.inputs, inputs)}
    clones = {}
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        if id(node.layer) not in clones:
            clones[id(node.layer)] = function(node.layer)
        arguments = [made[id(tensor)] for tensor in node.inputs]
        result = clones[id(node.layer)](arguments if node.takes_list else arguments[0])
        made[id(node.outputs[0])] = result
    outputs = [made[id(tensor)] for tensor in model.outputs]
    clone = type(model)(
        inputs[0] if model._single_input else inputs,
        outputs[0] if model._single_output else outputs,
        name=model.name,
    )
    clone.trainable = model.trainable
    return clone


def _new_input(tensor):
    """A new Input like the model's, under the same name (as Keras's clone)."""
    layer = tensor.node.layer
    return Input(layer.shape, layer.batch_size, layer.dtype, layer.name)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
