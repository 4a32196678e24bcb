"""1-D pooling of sequences ``(N, L, C)``: MaxPooling1D, AveragePooling1D and the global
poolings. A sequence is pooled as an image of one row by the 2-D ops, whose routes, padding
rules and gradients it shares."""

from __future__ import annotations

from .. import ops
from ..kernels.geometry import conv_output_size, same_padding
from .layer import InputSpec, Layer
from .reshaping import check_data_format


class _Pooling1D(Layer):
    """Walk a window of ``pool_size`` steps with ``strides`` along each sequence."""

    op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = self.positive_ints(pool_size, 1, "pool_size")[0]
        self.strides = (
            self.pool_size if strides is None else self.positive_ints(strides, 1, "strides")[0]
        )
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": padding must be "valid" or "same", '
                f"received {padding!r}."
            )
        self.padding = padding
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs, training=False):
        first = self.data_format == "channels_first"
        n, a, b = inputs.shape
        rows = ops.reshape(inputs, (n, a, 1, b) if first else (n, 1, a, b))  # one-row images
        pooled = type(self).op(
            rows,
            pool_size=(1, self.pool_size),
            strides=(1, self.strides),
            padding=self.padding,
            data_format=self.data_format,
        )
        return ops.reshape(pooled, (n, a, -1) if first else (n, -1, b))

    def compute_output_shape(self, input_shape):
        axis = 2 if self.data_format == "channels_first" else 1
        shape, steps = list(input_shape), input_shape[axis]
        if steps is not None:
            amounts = (
                same_padding(steps, self.pool_size, self.strides)
                if self.padding == "same"
                else (0, 0)
            )
            try:
                shape[axis] = conv_output_size(steps, self.pool_size, self.strides, amounts)
            except ValueError as error:
                raise self.shape_error(
                    f"a sequence at least as long as the pool ({error})", input_shape
                ) from None
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": [self.pool_size],
            "strides": [self.strides],
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling1D(_Pooling1D):
    """Keep the largest value of each window of steps (stride defaults to the pool size).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> x = np.array([1.0, 3.0, 2.0, 5.0]).reshape(1, 4, 1)
        >>> layers.MaxPooling1D(2)(x).numpy()[0, :, 0].tolist()
        [3.0, 5.0]
    """

    op = staticmethod(ops.max_pool2d)


class AveragePooling1D(_Pooling1D):
    """Keep the mean of each window of steps; with ``"same"`` only real steps are averaged."""

    op = staticmethod(ops.avg_pool2d)


class _GlobalPooling1D(Layer):
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=3)

    def _axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs, training=False):
        return type(self).reduce(inputs, axis=self._axis(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if self.keepdims:
            shape[self._axis()] = 1
        else:
            del shape[self._axis()]
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean over the steps of each sequence: ``(N, L, C) -> (N, C)``."""

    reduce = staticmethod(ops.mean)


class GlobalMaxPooling1D(_GlobalPooling1D):
    """The maximum over the steps of each sequence: ``(N, L, C) -> (N, C)``."""

    reduce = staticmethod(ops.max)
