"""Dense, Activation, Dropout and Rescaling: the classifier end of the lecture's networks."""

from __future__ import annotations

from .. import activations, backend, ops, registry
from ..rng import rng_for
from .layer import InputSpec, Layer


def serialize(obj):
    """A JSON-able form of an initializer, regularizer or constraint (None stays None)."""
    from ..registry import serialize as serialize_object

    return None if obj is None else serialize_object(obj)


def weight_options(layer, *prefixes) -> dict:
    """The serialized ``<prefix>_initializer``, ``_regularizer`` and ``_constraint`` arguments
    of ``layer`` for each weight prefix (``"kernel"``, ``"bias"``, ``"depthwise"``...)."""
    config = {}
    for prefix in prefixes:
        config[f"{prefix}_initializer"] = serialize(
            _get_initializer(getattr(layer, f"{prefix}_initializer"))
        )
        config[f"{prefix}_regularizer"] = serialize(
            _get_regularizer(getattr(layer, f"{prefix}_regularizer"))
        )
        config[f"{prefix}_constraint"] = serialize(
            _get_constraint(getattr(layer, f"{prefix}_constraint"))
        )
    return config


class Dense(Layer):
    """A fully connected layer: ``activation(inputs @ kernel + bias)`` ("every value gets a vote").

    Args:
        units: the number of outputs, a positive int.
        activation: a name (``"relu"``, ``"softmax"``...), a function, or None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: names or initializer objects.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each update.
        input_dim: Keras 2's way of giving a first layer ``input_shape=(input_dim,)``.

    Input shape:
        ``(batch, ..., input_dim)``.

    Output shape:
        ``(batch, ..., units)``.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Dense(3)(np.ones((2, 4))).shape
        (2, 3)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        input_dim=None,
        **kwargs,
    ):
        if input_dim is not None and kwargs.get("input_shape") is None:
            kwargs["input_shape"] = (input_dim,)  # Keras 2's habit: Dense(64, input_dim=784)
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(
                f'Dense "{self.name}": units must be a positive int, received {units!r}.'
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = self.boolean(use_bias, "use_bias")
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise self.shape_error("a known size on the last axis", input_shape)
        self.kernel = self.add_weight(
            "kernel",
            (input_dim, self.units),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                "bias",
                (self.units,),
                self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs, training=False):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "activity_regularizer": serialize(self.activity_regularizer),
            **weight_options(self, "kernel", "bias"),
        }


def _get_initializer(identifier):
    from .. import initializers

    return initializers.get(identifier)


def _get_regularizer(identifier):
    from .. import regularizers

    return None if identifier is None else regularizers.get(identifier)


def _get_constraint(identifier):
    from .. import constraints

    return None if identifier is None else constraints.get(identifier)


class Activation(Layer):
    """Apply an activation function by name or as a function.

    A function of your own is saved by the name it was registered under with
    ``saving.register_keras_serializable`` (a model file stores no code).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Activation("relu")(np.array([[-1.0, 2.0]])).numpy().tolist()
        [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = _activation_or_registered(activation)

    def call(self, inputs, training=False):
        return self.activation(inputs)

    def get_config(self):
        try:
            name = activations.serialize(self.activation)
        except ValueError:
            name = registry.get_registered_name(self.activation)
            if name is None:
                raise ValueError(
                    f'Activation "{self.name}": cannot save the function {self.activation!r}: '
                    "a model file stores no code. Use a built-in activation name, or register "
                    "the function with @convlens.saving.register_keras_serializable()."
                ) from None
        return {**super().get_config(), "activation": name}


def _activation_or_registered(identifier):
    """A built-in activation by name or dict, a callable, or a registered function's name."""
    name = identifier
    if isinstance(identifier, dict):
        name = identifier.get("registered_name") or identifier.get("config")
    if isinstance(name, str):
        registered = registry.get_registered_object(name)
        if registered is not None and callable(registered):
            return registered
    return activations.get(identifier)


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs during training, scaling the rest by
    1/(1 - rate) so the expected value is unchanged; the identity at inference.

    Args:
        rate: the fraction to drop, in [0, 1).
        noise_shape: a shape to broadcast the mask over (e.g. ``(None, 1, 1, C)``).
        seed: an int for a reproducible mask sequence.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f'Dropout "{self.name}": rate must be in [0, 1), received {rate!r}.')
        if noise_shape is not None:
            accepted = "a tuple of sizes (None: the input's)"
            noise_shape = self.int_tuple(noise_shape, "noise_shape", accepted, allow_none=True)
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed
        self._rng = rng_for(seed)  # None: the global stream (utils.set_random_seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            noise_shape = tuple(
                n if d is None else d for d, n in zip(self.noise_shape, inputs.shape)
            )
        return ops.dropout(inputs, self.rate, rng=self._rng, training=True, noise_shape=noise_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }


class Rescaling(Layer):
    """``inputs * scale + offset``, e.g. ``Rescaling(1/255)`` for 8-bit images; a list scales
    (or offsets) each channel of the last axis, as in Keras (EfficientNet's ImageNet stem)."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _number_or_list(self, scale, "scale")
        self.offset = _number_or_list(self, offset, "offset")

    def call(self, inputs, training=False):
        scale, offset = (
            backend.xp.asarray(v, dtype=inputs.dtype) if isinstance(v, list) else v
            for v in (self.scale, self.offset)
        )
        return inputs * scale + offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


def _number_or_list(layer, value, name):
    """A float, or a list of floats for per-channel values (JSON-able for get_config)."""
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0):
        return [layer.number(v, name) for v in value]
    return layer.number(value, name)
