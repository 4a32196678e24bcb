"""Lambda, a layer that calls a function of yours, and Identity, which returns its input.

A model file holds configuration, never code (no pickle, no marshal; loading executes nothing).
So a Lambda is saved by the name its function was registered under with
``saving.register_keras_serializable``, and loading looks that name up; an unregistered
function or a Python ``lambda`` cannot be saved, and ``get_config`` says how to fix that.
"""

from __future__ import annotations

import inspect

import numpy

from .. import backend, registry
from ..tensor import Tensor, no_grad
from .layer import Layer


def _function_config(layer, function, argument: str):
    """``{"class_name": "function", "config": name, "registered_name": name}`` for a
    registered function (Keras's form of a function in a config)."""
    name = registry.get_registered_name(function)
    if name is None:
        what = getattr(function, "__name__", repr(function))
        raise ValueError(
            f'Lambda "{layer.name}": cannot save its {argument} {what!r}: a model file stores '
            "no code, only the registered name of a function. Register the function with "
            "@convlens.saving.register_keras_serializable() (a named def, not a lambda), or "
            "write a Layer subclass with get_config()."
        )
    return {"class_name": "function", "config": name, "registered_name": name}


def _function_from_config(config, argument: str, custom_objects=None):
    """The function a :func:`_function_config` dict (or a plain name) names."""
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        raise ValueError(
            f"Lambda: the saved {argument} is Python code (a Keras lambda); convlens never "
            "loads code. Register a named function with "
            "@convlens.saving.register_keras_serializable() and save again."
        )
    name = config
    if isinstance(config, dict):
        name = config.get("registered_name") or config.get("config")
    function = (
        registry.get_registered_object(name, custom_objects) if isinstance(name, str) else None
    )
    if function is None:
        raise ValueError(
            f"Lambda: the {argument} {name!r} is not registered: register it with "
            "@convlens.saving.register_keras_serializable(), or pass it in custom_objects "
            "(or a custom_object_scope) when loading."
        )
    return function


class Lambda(Layer):
    """Wrap a function of tensors as a layer: ``Lambda(lambda x: x / 255.0)``.

    Args:
        function: called as ``function(inputs, **arguments)`` (and with ``training=`` when
            its signature names it). Use ``convlens.ops`` inside, so gradients flow.
        output_shape: the output shape without the batch axis, or a function of the input
            shape (batch included). By default the function is run once on zeros (batch 1,
            unknown sizes as 1) without recording gradients.
        mask: accepted for Keras compatibility and saved; convlens has no masking.
        arguments: extra keyword arguments for ``function`` (JSON values, to be saved).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Lambda(lambda x: x * 2.0)(np.ones((1, 2))).numpy().tolist()
        [[2.0, 2.0]]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(
                f'Lambda "{self.name}": function must be callable, received {function!r}.'
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(
                f'Lambda "{self.name}": arguments must be a dict of keyword arguments, '
                f"received {arguments!r}."
            )
        self.function, self.mask = function, mask
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        try:
            self._takes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            self._takes_training = False

    def call(self, inputs, training=False):
        options = dict(self.arguments)
        if self._takes_training:
            options["training"] = training
        return self.function(inputs, **options)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        if self._output_shape is not None:
            batch = (input_shape[0] if isinstance(input_shape, list) else input_shape)[0]
            return (batch,) + tuple(self._output_shape)
        return self._infer_output_shape(input_shape)

    def _infer_output_shape(self, input_shape):
        """Run the function once on zeros (batch 1, unknown sizes read as 1) to read its output
        shape; the batch axis stays the input's."""

        def zeros(shape):
            filled = tuple(1 if d is None else d for d in shape)
            return Tensor(backend.xp.zeros(filled, dtype=self.dtype))

        is_list = isinstance(input_shape, list)
        sample = [zeros(s) for s in input_shape] if is_list else zeros(input_shape)
        try:
            with no_grad():
                output = self.call(sample)
        except Exception as error:
            raise ValueError(
                f'Lambda "{self.name}": could not infer the output shape by calling the '
                f"function on zeros of shape {input_shape} ({type(error).__name__}: {error}). "
                "Pass output_shape=."
            ) from error
        shape = tuple(numpy.shape(output.data if isinstance(output, Tensor) else output))
        batch = (input_shape[0] if is_list else input_shape)[0]
        return (batch,) + shape[1:] if shape else shape

    def get_config(self):
        config = {
            **super().get_config(),
            "function": _function_config(self, self.function, "function"),
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_config(self, self._output_shape, "output_shape")
                if callable(self._output_shape)
                else list(self._output_shape)
            )
        if self.mask is not None:
            config["mask"] = (
                _function_config(self, self.mask, "mask") if callable(self.mask) else self.mask
            )
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["function"] = _function_from_config(config["function"], "function", custom_objects)
        for argument in ("output_shape", "mask"):
            value = config.get(argument)
            if isinstance(value, (dict, str)):
                config[argument] = _function_from_config(value, argument, custom_objects)
        return cls(**config)


class Identity(Layer):
    """Return the input unchanged (a placeholder in a graph, as Keras's).

    Example:
        >>> from convlens import layers
        >>> layers.Identity()(layers.Input((3,))).shape
        (None, 3)
    """

    def call(self, inputs, training=False):
        return inputs
