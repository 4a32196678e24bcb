"""Sequential: a plain stack of layers, each feeding the next, as the lecture builds LeNet-5."""

from __future__ import annotations

import numpy

from ..layers.input_layer import Input, InputLayer
from ..layers.layer import Layer, unique_name
from ..layers.symbolic import KerasTensor
from .model import Model
from .serialization import sequential_config, sequential_from_config


class Sequential(Model):
    """A model that is a chain of layers.

    Layers come as a list or one by one with :meth:`add`. The first may be ``layers.Input(shape)``
    (or carry ``input_shape=``), in which case the model is built at once and ``summary()``
    works before training; otherwise it is built by the first batch it sees.

    Example:
        >>> from convlens import layers, models
        >>> model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
        >>> model.output_shape
        (None, 2)
        >>> model.count_params()
        10
    """

    def __init__(self, layers=None, name=None, trainable=True):
        Layer.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self._layers: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._single_input = self._single_output = True
        self._functional = True  # a chain is a graph: Input -> layer -> layer ...
        self._input_names = self._output_names = None
        self._nodes = []
        self.inputs = self.outputs = None
        self.built = False
        for layer in layers or []:
            self._append(layer)
        _check_unique_names(self.name, self._layers)  # once: linear in the number of layers
        self._build_graph()

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or ``layers.Input(shape)`` first).

        Raises:
            TypeError: for anything that is not a layer.
            ValueError: for a second input, or a layer name used twice.
        """
        if isinstance(layer, Layer):  # checked before appending: a refused layer is not added
            _check_unique_names(self.name, self._layers + [layer])
        self._append(layer)
        if rebuild:
            self._build_graph()

    def _append(self, layer) -> None:
        """``add`` without the name check and the rebuild, which the constructor runs once for
        all its layers (checking each addition against all the others is quadratic)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise ValueError(f'Sequential "{self.name}": an Input may only come first.')
            self._input_layer = layer
        elif not isinstance(layer, Layer):
            raise TypeError(
                f'Sequential "{self.name}": expected a layer, received {type(layer).__name__}.'
            )
        else:
            if not self._layers and self._input_layer is None and layer._declared_input_shape:
                self._input_layer = Input(layer._declared_input_shape).node.layer
            self._layers.append(layer)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise ValueError(f'Sequential "{self.name}": there is no layer to pop.')
        layer = self._layers.pop()
        self._build_graph()
        return layer

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input (as Keras 3 lists a Sequential's layers)."""
        return list(self._layers)

    def _sublayers(self):
        return list(self._layers)

    def _build_graph(self) -> None:
        """With a known input shape, run the layers symbolically: shapes, weights, checks."""
        if self._input_layer is None or not self._layers:
            self.built = False
            return
        x = self._input_layer.output
        self.inputs = [x]
        for layer in self._layers:
            x = layer(x)
        self.outputs = [x]
        self._nodes = [self._input_layer.output.node]
        node, chain = x.node, []
        while node.layer is not self._input_layer:
            chain.append(node)
            node = node.inputs[0].node
        self._nodes += list(reversed(chain))
        self.built = True
        self.input_shape = self.inputs[0].shape
        self.output_shape = x.shape

    def build(self, input_shape=None) -> None:
        """Build for samples of ``input_shape`` (batch axis included)."""
        if self._input_layer is None:
            self._input_layer = Input(tuple(input_shape)[1:]).node.layer
        self._build_graph()

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x)  # training reaches each layer through the call context
        return x

    def _convert_inputs(self, inputs):
        """Build for the first data's shape (when no input shape was given), then convert."""
        if not self.built:
            first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            shape = first.shape if hasattr(first, "shape") else numpy.shape(first)
            self.build((None,) + tuple(shape[1:]))
        return super()._convert_inputs(inputs)

    def summary(self, *args, **kwargs):
        if not self.built:
            raise ValueError(
                f'Sequential "{self.name}" is not built yet: give the first layer an input shape '
                "(layers.Input(shape) first), or call the model on data first."
            )
        super().summary(*args, **kwargs)

    def get_config(self):
        return sequential_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """The model :meth:`get_config` describes, its layers found through the registry (and
        ``custom_objects``, name -> class, for user layers that were not registered)."""
        if custom_objects:
            from ..registry import custom_object_scope

            with custom_object_scope(custom_objects):
                return cls.from_config(config)
        return sequential_from_config(cls, config)


def _check_unique_names(model_name: str, layers) -> None:
    seen = set()
    for layer in layers:
        if layer.name in seen:
            raise ValueError(
                f'Sequential "{model_name}": two layers are named "{layer.name}"; '
                "layer names must be unique."
            )
        seen.add(layer.name)
