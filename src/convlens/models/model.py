"""Model: a graph of layers with Keras's interface (functional ``Model(inputs, outputs)``).

``Sequential`` (in sequential.py) is the special case of a chain. Both share the training
interface of :class:`~convlens.models.training.Trainer`, the summary and saving.
"""

from __future__ import annotations

from .. import saving
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, unique_name
from ..layers.symbolic import KerasTensor, Node, format_shape
from .serialization import functional_config, functional_from_config
from .training import Trainer


class Model(Trainer, Layer):
    """A network of layers from symbolic inputs to outputs (Keras's functional API).

    Args:
        inputs: a KerasTensor from ``layers.Input`` (or a list of them).
        outputs: the KerasTensor(s) the layers produced from the inputs.
        name: the model's name.

    Example:
        >>> from convlens import layers, models
        >>> inputs = layers.Input((8,))
        >>> hidden = layers.Dense(4, activation="relu")(inputs)
        >>> outputs = layers.Add()([hidden, layers.Dense(4)(hidden)])
        >>> models.Model(inputs, outputs).output_shape
        (None, 4)
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        Layer.__init__(self, name=name or unique_name("functional"), **kwargs)
        if inputs is None or outputs is None:
            raise ValueError(
                "Model(inputs, outputs) needs both; use Sequential for a stack of layers."
            )
        self._single_input = not isinstance(inputs, (list, tuple))
        self._single_output = not isinstance(outputs, (list, tuple))
        self.inputs = [inputs] if self._single_input else list(inputs)
        self.outputs = [outputs] if self._single_output else list(outputs)
        for value in self.inputs + self.outputs:
            if not isinstance(value, KerasTensor):
                raise TypeError(
                    f"Model inputs and outputs must come from layers.Input and layer "
                    f"calls, received {type(value).__name__}."
                )
        self._nodes = _nodes_between(self.inputs, self.outputs)
        self.built = True
        self.input_shape = _one_or_list([t.shape for t in self.inputs], self._single_input)
        self.output_shape = _one_or_list([t.shape for t in self.outputs], self._single_output)

    @property
    def layers(self) -> list[Layer]:
        """Every layer once, in the order they run (the InputLayers first, as Keras lists them)."""
        seen, result = set(), []
        for node in self._nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                result.append(node.layer)
        return result

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`.

        Raises:
            ValueError: when no layer has that name, listing the names there are.
        """
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named {name!r}; the layers are: "
            f"{', '.join(layer.name for layer in self.layers)}."
        )

    def _flat_layers(self) -> list[Layer]:
        """The layers that hold weights or losses, nested models opened up."""
        result = []
        for layer in self.layers:
            result.extend(layer._flat_layers() if isinstance(layer, Model) else [layer])
        return result

    @property
    def _weights(self):
        return [w for layer in self._flat_layers() for w in layer._weights]

    @_weights.setter
    def _weights(self, value):  # Layer.__init__ assigns []; a model's weights are its layers'
        pass

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self._flat_layers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self._weights
        return [w for layer in self._flat_layers() for w in layer.non_trainable_weights]

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = value

    def get_weights(self):
        return [array for layer in self._flat_layers() for array in layer.get_weights()]

    def set_weights(self, values) -> None:
        """Set all weights from a list in :meth:`get_weights` order.

        Raises:
            ValueError: when the count or a shape differs (naming the layer and weight).
        """
        values = list(values)
        expected = sum(len(layer._weights) for layer in self._flat_layers())
        if len(values) != expected:
            raise ValueError(
                f'Model "{self.name}": expected {expected} weight arrays, received {len(values)}.'
            )
        start = 0
        for layer in self._flat_layers():
            count = len(layer._weights)
            layer.set_weights(values[start : start + count])
            start += count

    def reset_weights(self, seed=None) -> None:
        """Re-initialise every layer's weights from one seeded stream: the same seed gives the
        same starting weights, run after run (an extension of Keras's interface)."""
        import numpy

        rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
        for layer in self._flat_layers():
            layer.reset_weights(rng)

    def regularization_losses(self):
        return [p for layer in self._flat_layers() for p in layer.regularization_losses()]

    def apply_constraints(self):
        for layer in self._flat_layers():
            layer.apply_constraints()

    def call(self, inputs, training=False):
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}": expected {len(self.inputs)} inputs, received {len(inputs)}.'
            )
        values = {id(symbol): value for symbol, value in zip(self.inputs, inputs)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            arguments = [values[id(symbol)] for symbol in node.inputs]
            result = node.layer(arguments if node.takes_list else arguments[0], training=training)
            values[id(node.outputs[0])] = result
        outputs = [values[id(symbol)] for symbol in self.outputs]
        return outputs[0] if self._single_output else outputs

    def __call__(self, inputs, training=None):
        first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        if isinstance(first, KerasTensor):
            return self.symbolic_call(inputs)
        inputs = _as_tensors(inputs)
        self._check_inputs(inputs)
        return self.call(inputs, training=bool(training))

    def _check_inputs(self, inputs):
        inputs = inputs if isinstance(inputs, list) else [inputs]
        for symbol, value in zip(self.inputs, inputs):
            expected = symbol.shape
            if len(value.shape) != len(expected) or any(
                e is not None and e != r for e, r in zip(expected[1:], value.shape[1:])
            ):
                layer = symbol.node.layer
                raise ValueError(
                    f'Model "{self.name}": input "{layer.name}" expects shape '
                    f"{format_shape(expected)}, received {format_shape(value.shape)}."
                )

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def summary(self, line_length=None, print_fn=None, show_trainable=False, show_routes=False):
        """Print a table of layers, output shapes and parameter counts (as Keras), plus the
        padding each conv/pool layer applies and its receptive field.

        Args:
            show_routes: also show how each convolution and pooling is computed (which
                algorithm runs the forward pass, dX and dW: kernels/conv_plan.py), for a batch
                of 32, or of the batch size given instead of True.
        """
        from .summary import print_summary

        print_summary(self, print_fn=print_fn, show_routes=show_routes)

    def get_config(self):
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict):
        """The model :meth:`get_config` describes, its layers found through the registry."""
        return functional_from_config(cls, config)

    def save(self, filepath, overwrite=True):
        """Save architecture, compile configuration, weights and optimizer state in one file."""
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        saving.load_weights(self, filepath)


def _nodes_between(inputs, outputs) -> list[Node]:
    """The nodes from ``inputs`` to ``outputs``, each after the nodes it depends on.

    Raises:
        ValueError: when an output depends on an Input that is not among ``inputs``.
    """
    allowed = {id(t) for t in inputs}
    order, done = [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        if isinstance(node.layer, InputLayer) and id(node.outputs[0]) not in allowed:
            raise ValueError(
                f'The model\'s outputs depend on the input "{node.layer.name}", '
                "which is not among the model's inputs."
            )
        stack.append((node, True))
        stack.extend((t.node, False) for t in node.inputs if id(t.node) not in done)
    return order


def _as_tensors(inputs):
    from .training import _tensor

    return _tensor(list(inputs) if isinstance(inputs, (list, tuple)) else inputs)


def _one_or_list(values, single):
    return values[0] if single else values
