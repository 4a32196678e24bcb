"""Model: a graph of layers with Keras's interface (functional ``Model(inputs, outputs)``).

``Sequential`` (in sequential.py) is the special case of a chain. Both share the training
interface of :class:`~convlens.models.training.Trainer`, the summary and saving.
"""

from __future__ import annotations

import numpy

from .. import backend, saving
from ..layers.call_rules import call_context, flat
from ..layers.input_layer import InputLayer
from ..layers.layer import Layer, unique_name
from ..layers.symbolic import KerasTensor, format_shape, replace_symbols
from ..ops.dtype_cast import cast_float
from ..registry import snake_case
from ..tensor import Tensor, as_tensor, is_grad_enabled
from .graph_order import keras_order
from .serialization import functional_config, functional_from_config, model_to_json
from .structures import concatenate_tensors, slice_samples
from .training import PREDICT_CHUNK, Trainer


class Model(Trainer, Layer):
    """A network of layers, built in one of Keras's two ways.

    - Functional: ``Model(inputs, outputs)`` from symbolic tensors (``layers.Input``).
    - Subclassing: ``class MyModel(Model)`` with layers made in ``__init__`` (as attributes,
      tracked automatically) and the forward pass written in ``call``; weights are created by
      the first call (or by ``build(input_shape)``).

    Args:
        inputs: a KerasTensor from ``layers.Input`` (or a list or dict of them).
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

    def __call__(self, inputs, *args, **kwargs):
        """The model on data (or on symbolic inputs, recording a node), as a layer is called.

        Under ``no_grad`` and outside training, a top-level call on more than PREDICT_CHUNK
        samples runs PREDICT_CHUNK at a time, as ``predict`` does: 60,000 images cost the memory
        of 1,024, with the same outputs. With gradients recorded every activation is kept for
        ``backward``, as in PyTorch; use ``predict`` or ``no_grad`` for inference on many.
        """
        count = self._inference_samples(inputs, args, kwargs)
        if count <= PREDICT_CHUNK:
            return super().__call__(inputs, *args, **kwargs)
        parts = [
            super(Model, self).__call__(
                slice_samples(inputs, start, start + PREDICT_CHUNK), **kwargs
            )
            for start in range(0, count, PREDICT_CHUNK)
        ]
        return concatenate_tensors(parts)

    def _inference_samples(self, inputs, args, kwargs) -> int:
        """The samples of a top-level inference call on data (0 for any other call)."""
        if args or set(kwargs) - {"training"} or kwargs.get("training") or is_grad_enabled():
            return 0
        if getattr(call_context, "depth", 0):
            return 0
        leaves = flat(inputs)
        if not leaves or any(isinstance(t, KerasTensor) or numpy.ndim(t) == 0 for t in leaves):
            return 0
        return len(leaves[0])

    def __init__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.pop("inputs", None)
        outputs = args[1] if len(args) > 1 else kwargs.pop("outputs", None)
        name = kwargs.pop("name", None)
        if inputs is None and outputs is None and type(self) is not Model:
            # A subclassed model: its layers are attributes, its forward pass is its call().
            Layer.__init__(
                self, name=name or unique_name(snake_case(type(self).__name__)), **kwargs
            )
            self._functional = False
            self._single_input = self._single_output = True
            self.inputs = self.outputs = None
            return
        Layer.__init__(self, name=name or unique_name("functional"), **kwargs)
        if inputs is None or outputs is None:
            raise ValueError(
                "Model(inputs, outputs) needs both; use Sequential for a stack of layers, or "
                "subclass Model and write call() for a model of your own."
            )
        self._functional = True
        self._input_names = list(inputs) if isinstance(inputs, dict) else None
        self._output_names = list(outputs) if isinstance(outputs, dict) else None
        self._single_input = not isinstance(inputs, (list, tuple, dict))
        self._single_output = not isinstance(outputs, (list, tuple, dict))
        self.inputs = _as_list(inputs)
        self.outputs = _as_list(outputs)
        for value in self.inputs + self.outputs:
            if not isinstance(value, KerasTensor):
                raise TypeError(
                    f"Model inputs and outputs must come from layers.Input and layer "
                    f"calls, received {type(value).__name__}."
                )
        self._nodes = keras_order(self.inputs, self.outputs)[0]  # Keras's layer order
        self.built = True
        self.input_shape = _one_or_list([t.shape for t in self.inputs], self._single_input)
        self.output_shape = _one_or_list([t.shape for t in self.outputs], self._single_output)

    @property
    def layers(self) -> list[Layer]:
        """Every layer once: in the order they run (the InputLayers first, as Keras lists them)
        for a functional model; in the order they were assigned for a subclassed one."""
        if not self._functional:
            return self._sublayers()
        nodes = self._nodes
        cached = self.__dict__.get("_layers_of")
        if cached is None or cached[0] is not nodes:  # the graph is fixed once built
            seen, result = set(), []
            for node in nodes:
                if id(node.layer) not in seen:
                    seen.add(id(node.layer))
                    result.append(node.layer)
            cached = self.__dict__["_layers_of"] = (nodes, result)
        return list(cached[1])

    def _sublayers(self) -> list[Layer]:
        return self.layers if self._functional else Layer._sublayers(self)

    @property
    def input(self):
        """The symbolic input (a list for several), as ``model.input`` in Keras."""
        if self.inputs is None:
            raise AttributeError(f'Model "{self.name}" has no symbolic input (subclassed model).')
        return self.inputs[0] if self._single_input else list(self.inputs)

    @property
    def output(self):
        """The symbolic output (a list for several), as ``model.output`` in Keras."""
        if self.outputs is None:
            raise AttributeError(f'Model "{self.name}" has no symbolic output (subclassed model).')
        return self.outputs[0] if self._single_output else list(self.outputs)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`.

        Raises:
            ValueError: when no layer has that name, listing the names there are.
        """
        if index is not None:
            count = len(self.layers)
            if isinstance(index, bool) or not isinstance(index, int) or not -count <= index < count:
                raise ValueError(
                    f"get_layer: index must be an int in [{-count}, {count}) for model "
                    f'"{self.name}" of {count} layers, received {index!r}.'
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named {name!r}; the layers are: "
            f"{', '.join(layer.name for layer in self.layers)}."
        )

    def reset_weights(self, seed=None) -> None:
        """Re-initialise every layer's weights from one seeded stream: the same seed gives the
        same starting weights, run after run (an extension of Keras's interface).

        A compiled optimizer starts over too (``iterations`` 0, slots rebuilt on the next
        step), and the layers that draw noise (Dropout...) restart their stream: from their own
        int ``seed``, or, without one, from ``seed`` and their place in the model. Otherwise
        Adam's moments or the masks of a previous run would make ``fit(seed=...)`` differ from a
        fresh run (issue 14, item 10)."""
        from ..rng import rng_for

        Layer.reset_weights(self, seed)
        for index, layer in enumerate(self._flat_layers()):
            if not hasattr(layer, "_rng"):
                continue
            if isinstance(getattr(layer, "seed", None), int):
                layer._rng = rng_for(layer.seed)
            elif seed is not None:
                layer._rng = numpy.random.default_rng([int(seed), index])
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and getattr(optimizer, "built", False):
            optimizer.iterations = 0
            optimizer.built = False  # apply() builds fresh slots, with their initial values

    def build(self, input_shape=None) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis included). A
        subclassed model without its own ``build`` runs ``call`` once on zeros, as Keras
        traces it."""
        if not self._functional and input_shape is not None and not self.built:
            self.built = True
            self.input_shape = input_shape
            self.output_shape = self._traced_output_shape(_shape_or_list(input_shape))
        self.built = True

    def call(self, inputs, training=None):
        if not self._functional:
            raise NotImplementedError(
                f"{type(self).__name__} subclasses Model without inputs and outputs: it must "
                "define call(self, inputs)."
            )
        inputs = self._ordered_inputs(inputs)
        values = {id(symbol): value for symbol, value in zip(self.inputs, inputs)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            arguments = [values[id(symbol)] for symbol in node.inputs]
            # training reaches the layers through the call context (a node's own
            # training=False, as on a frozen base model, wins).
            kwargs = replace_symbols(node.kwargs, values)
            result = node.layer(
                arguments if node.takes_list else arguments[0],
                *replace_symbols(node.args, values),
                **kwargs,
            )
            results = result if len(node.outputs) > 1 else [result]
            for symbol, value in zip(node.outputs, results):
                values[id(symbol)] = value
        outputs = [values[id(symbol)] for symbol in self.outputs]
        if self._output_names is not None:
            return dict(zip(self._output_names, outputs))
        return outputs[0] if self._single_output else outputs

    def _ordered_inputs(self, inputs) -> list:
        """The call's inputs as a list in ``self.inputs`` order (a dict is read by name)."""
        if isinstance(inputs, dict):
            names = self._input_names or [t.node.layer.name for t in self.inputs]
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(
                    f'Model "{self.name}": the input dict lacks {missing}; expected keys {names}.'
                )
            inputs = [inputs[name] for name in names]
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != len(self.inputs):
            raise ValueError(
                f'Model "{self.name}": expected {len(self.inputs)} inputs, received {len(inputs)}.'
            )
        return inputs

    def _convert_inputs(self, inputs):
        """Data for the model: floats cast to the inputs' dtype (float64 arrays become
        float32 for a float32 model, as Keras's ``floatx`` policy), then checked."""
        if not self._functional:
            return Layer._convert_inputs(self, inputs)
        if isinstance(inputs, dict):
            inputs = self._ordered_inputs(inputs)
        listed = isinstance(inputs, (list, tuple))
        values = list(inputs) if listed else [inputs]
        tensors = [
            _as_input_tensor(value, symbol.dtype) for value, symbol in zip(values, self.inputs)
        ]
        tensors += [as_tensor(value) for value in values[len(self.inputs) :]]
        self._check_inputs(tensors)
        return tensors if listed else tensors[0]

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
        if not self._functional:
            return Layer.compute_output_shape(self, input_shape)
        return self.output_shape

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
        show_routes=False,
    ):
        """Print a table of layers, output shapes and parameter counts (as Keras), plus the
        padding each conv/pool layer applies and its receptive field.

        Args:
            expand_nested: also list the layers of nested models, indented.
            show_trainable: add a column saying whether each layer is trainable.
            show_routes: also show how each convolution and pooling is computed (which
                algorithm runs the forward pass, dX and dW: kernels/conv_plan.py), for a batch
                of 32, or of the batch size given instead of True.
            line_length, positions, layer_range: accepted for Keras compatibility; the
                columns size themselves to their contents.
        """
        from .summary import print_summary

        if not self.built:
            raise ValueError(
                f'Model "{self.name}" is not built yet: call it on data (or fit it), or call '
                "model.build(input_shape), before summary()."
            )
        print_summary(
            self,
            print_fn=print_fn,
            show_routes=show_routes,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
        )

    def get_config(self):
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """The model :meth:`get_config` describes, its layers found through the registry (and
        ``custom_objects``, name -> class, for user layers that were not registered)."""
        if custom_objects:
            from ..registry import custom_object_scope

            with custom_object_scope(custom_objects):
                return cls.from_config(config)
        return functional_from_config(cls, config)

    def to_json(self, **kwargs) -> str:
        """The architecture as Keras 3's JSON; ``kwargs`` go to ``json.dumps``."""
        return model_to_json(self, **kwargs)

    def save(self, filepath, overwrite=True):
        """Save architecture, compile configuration, weights and optimizer state in one file:
        Keras 3's ``.keras`` archive, or Keras 2's HDF5 for ``.h5`` (:mod:`convlens.saving`)."""
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights in Keras 3's ``.weights.h5`` layout."""
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=None, allow_nonfinite=False):
        """Load weights from a Keras 3 or Keras 2 file (:func:`convlens.saving.load_weights`)."""
        saving.load_weights(self, filepath, skip_mismatch, by_name, allow_nonfinite)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
        """Write the model for another runtime: ``format="onnx"`` (the default here; Keras's
        default is TensorFlow's SavedModel, which convlens does not write). See
        :func:`convlens.export.export_model`."""
        from ..export import export_model

        export_model(self, filepath, format, verbose, input_signature, **kwargs)


def _as_input_tensor(value, dtype) -> Tensor:
    """A Tensor for a model input: floats (and integer images) become ``dtype``, as Keras casts
    inputs to the Input's dtype (``floatx()``, float32, unless set)."""
    if isinstance(value, Tensor):
        return (
            value if value.dtype.kind != "f" or value.dtype == dtype else cast_float(value, dtype)
        )
    array = value if isinstance(value, backend.xp.ndarray) else numpy.asarray(value)
    if array.dtype != dtype and (array.dtype.kind in "fiub"):
        array = array.astype(dtype)
    return Tensor(backend.xp.asarray(array))


def _as_list(values) -> list:
    if isinstance(values, dict):
        return list(values.values())
    return list(values) if isinstance(values, (list, tuple)) else [values]


def _shape_or_list(shape):
    """A shape tuple, or a list of shapes for a model of several inputs."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _one_or_list(values, single):
    return values[0] if single else values
