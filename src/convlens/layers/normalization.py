"""BatchNormalization: normalise each channel by batch statistics while training, by moving
averages of them at inference (Ioffe & Szegedy, 2015), with Keras's arguments and updates."""

from __future__ import annotations

from .. import ops
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
        if not 0 <= momentum <= 1 or epsilon <= 0:
            raise ValueError(
                f'BatchNormalization "{self.name}": momentum must be in [0, 1] and '
                f"epsilon positive, received momentum={momentum}, epsilon={epsilon}."
            )
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
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
