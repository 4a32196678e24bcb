"""BatchNormalization: normalise each channel by batch statistics while training, by moving
averages of them at inference (Ioffe & Szegedy, 2015), with Keras's arguments and updates;
LayerNormalization and GroupNormalization: statistics of each sample, the same in training and
at inference (ops/normalization.py holds their math)."""

from __future__ import annotations

from .. import ops
from ..ops.normalization import group_norm, layer_norm
from .core import _get_constraint, _get_initializer, _get_regularizer, serialize
from .layer import InputSpec, Layer


class BatchNormalization(Layer):
    """Normalise the inputs channel by channel, then scale by ``gamma`` and shift by ``beta``.

    Training: the batch's mean and (biased) variance normalise it, and the moving averages
    follow ``moving = moving * momentum + batch * (1 - momentum)``. Inference: the moving
    averages normalise. Weights, in Keras's order: gamma, beta, moving_mean, moving_variance.

    Args:
        axis: the channel axis (-1 for channels_last).
        momentum: of the moving averages.
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(
                f'BatchNormalization "{self.name}": axis must be an int, received {axis!r}.'
            )
        self.axis = axis
        self.momentum = self.number(momentum, "momentum", minimum=0, maximum=1)
        self.epsilon = self.number(epsilon, "epsilon", minimum=0, strict=True)
        self.center, self.scale = bool(center), bool(scale)
        self.initializers = dict(
            beta=beta_initializer,
            gamma=gamma_initializer,
            moving_mean=moving_mean_initializer,
            moving_variance=moving_variance_initializer,
        )
        self.regularizers = dict(beta=beta_regularizer, gamma=gamma_regularizer)
        self.constraints = dict(beta=beta_constraint, gamma=gamma_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise self.shape_error(f"an input with an axis {self.axis}", input_shape)
        channels = input_shape[self.axis]
        if channels is None:
            raise self.shape_error(f"a known size on axis {self.axis}", input_shape)
        shape = (channels,)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                "gamma",
                shape,
                self.initializers["gamma"],
                regularizer=self.regularizers["gamma"],
                constraint=self.constraints["gamma"],
            )
        if self.center:
            self.beta = self.add_weight(
                "beta",
                shape,
                self.initializers["beta"],
                regularizer=self.regularizers["beta"],
                constraint=self.constraints["beta"],
            )
        self.moving_mean = self.add_weight(
            "moving_mean", shape, self.initializers["moving_mean"], trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", shape, self.initializers["moving_variance"], trainable=False
        )
        self.input_spec = InputSpec(min_ndim=2, axes={self.axis: channels})

    def call(self, inputs, training=False):
        if not training or not self.trainable:  # a frozen layer uses its moving statistics
            return ops.batch_norm(
                inputs,
                self.moving_mean.data,
                self.moving_variance.data,
                self.gamma,
                self.beta,
                epsilon=self.epsilon,
                axis=self.axis,
            )
        outputs, mean, variance = ops.batch_norm_train(
            inputs, self.gamma, self.beta, epsilon=self.epsilon, axis=self.axis
        )
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.data *= self.momentum
            moving.data += (1 - self.momentum) * batch.astype(moving.dtype, copy=False)
        return outputs

    def get_config(self):
        config = {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }
        for name, value in self.initializers.items():
            config[f"{name}_initializer"] = serialize(_get_initializer(value))
        for name, value in self.regularizers.items():
            config[f"{name}_regularizer"] = serialize(_get_regularizer(value))
        for name, value in self.constraints.items():
            config[f"{name}_constraint"] = serialize(_get_constraint(value))
        return config


class _SampleNormalization(Layer):
    """The weights and configuration LayerNormalization and GroupNormalization share: a
    ``gamma`` (when ``scale``) then a ``beta`` (when ``center``), in Keras's order."""

    def __init__(
        self,
        axis,
        epsilon,
        center,
        scale,
        beta_initializer,
        gamma_initializer,
        beta_regularizer,
        gamma_regularizer,
        beta_constraint,
        gamma_constraint,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ValueError(
                f'{type(self).__name__} "{self.name}": epsilon must be a non-negative number, '
                f"received {epsilon!r}."
            )
        self.axis, self.epsilon = axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.initializers = dict(beta=beta_initializer, gamma=gamma_initializer)
        self.regularizers = dict(beta=beta_regularizer, gamma=gamma_regularizer)
        self.constraints = dict(beta=beta_constraint, gamma=gamma_constraint)
        self.gamma = self.beta = None

    def add_scale_and_center(self, shape):
        for name, wanted in (("gamma", self.scale), ("beta", self.center)):
            if wanted:
                weight = self.add_weight(
                    name,
                    shape,
                    self.initializers[name],
                    regularizer=self.regularizers[name],
                    constraint=self.constraints[name],
                )
                setattr(self, name, weight)

    def get_config(self):
        config = {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
        }
        for name in ("beta", "gamma"):
            config[f"{name}_initializer"] = serialize(_get_initializer(self.initializers[name]))
        for name in ("beta", "gamma"):
            config[f"{name}_regularizer"] = serialize(_get_regularizer(self.regularizers[name]))
        for name in ("beta", "gamma"):
            config[f"{name}_constraint"] = serialize(_get_constraint(self.constraints[name]))
        return config


class LayerNormalization(_SampleNormalization):
    """Normalise each sample over ``axis`` (Ba et al., 2016), then scale by ``gamma`` and
    shift by ``beta``, both of the sizes on ``axis``: the normalisation of transformers and
    ConvNeXt; the same in training and at inference.

    Args:
        axis: an int or a list of ints, the axes normalised (the last by default).
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]])).numpy().tolist()
        [[-1.0, 1.0]]
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(
            list(axis) if isinstance(axis, (list, tuple)) else axis,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            **kwargs,
        )
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(
                f'LayerNormalization "{self.name}": axis must be an int or a list of ints, '
                f"received {axis!r}."
            )

    def _axes(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in axes):
            raise self.shape_error(f"an input with axis {self.axis}", input_shape)
        return sorted({a % rank for a in axes})

    def build(self, input_shape):
        axes = self._axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise self.shape_error(f"known sizes on axis {self.axis}", input_shape)
        self.add_scale_and_center(shape)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={a: input_shape[a] for a in axes})
        if not isinstance(self.axis, list):
            self.axis = [self.axis]  # Keras's config holds a list once built

    def call(self, inputs, training=False):
        return layer_norm(
            inputs, self.gamma, self.beta, axis=self._axes(inputs.shape), epsilon=self.epsilon
        )

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return input_shape


class GroupNormalization(_SampleNormalization):
    """Split the channels into ``groups`` and normalise each sample's group over its channels
    and positions (Wu & He, 2018): batch-size independent, for small batches.

    Args:
        groups: the number of groups, dividing the channels; -1 for one group per channel
            (instance normalisation).
        axis: the channel axis.
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma`` (one value per channel).

    Example:
        >>> from convlens import layers
        >>> layers.GroupNormalization(groups=4)(layers.Input((8, 8, 16))).shape
        (None, 8, 8, 16)
    """

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(
            axis,
            epsilon,
            center,
            scale,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
            **kwargs,
        )
        if isinstance(groups, bool) or not isinstance(groups, int) or (groups < 1 and groups != -1):
            raise ValueError(
                f'GroupNormalization "{self.name}": groups must be a positive int, or -1 for '
                f"one group per channel, received {groups!r}."
            )
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f'GroupNormalization "{self.name}": axis must be an int, received {axis!r}.'
            )
        self.groups = groups

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise self.shape_error(f"a channel axis {self.axis} (not the batch axis)", input_shape)
        channels = input_shape[self.axis]
        if channels is None:
            raise self.shape_error(f"a known size on axis {self.axis}", input_shape)
        if self.groups == -1:
            self.groups = channels
        if channels % self.groups:
            raise ValueError(
                f'GroupNormalization "{self.name}": groups ({self.groups}) must divide the '
                f"{channels} channels on axis {self.axis}, received input shape "
                f"{tuple(input_shape)}."
            )
        self.add_scale_and_center((channels,))
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})

    def call(self, inputs, training=False):
        return group_norm(
            inputs, self.groups, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon
        )

    def get_config(self):
        return {**super().get_config(), "groups": self.groups}
