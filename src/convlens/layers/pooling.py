"""Pooling layers: max, min (the lecture pools with max, min or mean) and average, and the
global poolings. No trainable parameters, as the lecture stresses."""

from __future__ import annotations

from .. import ops
from ..kernels.geometry import conv_output_size, same_padding
from ..kernels.pool_plan import PoolPlan, pool_plan
from .layer import InputSpec, Layer
from .reshaping import check_data_format


class _Pooling2D(Layer):
    """Walk a window over each feature map and keep one value per window."""

    op = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = self.positive_ints(pool_size, 2, "pool_size")
        self.strides = (
            self.pool_size if strides is None else self.positive_ints(strides, 2, "strides")
        )
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": padding must be "valid" or '
                f'"same", received {padding!r}.'
            )
        self.padding = padding
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=False):
        return type(self).op(
            inputs,
            pool_size=self.pool_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
        )

    def pool_plan(self, batch_size: int = 32, dtype="float32"):
        """How max or min pooling runs for a batch of ``batch_size`` (kernels/conv_plan.py:
        compiled 2×2 loops, contiguous NumPy passes, or strided window views), and why; average
        pooling has one route, the window views. None until the layer is built."""
        if self.input_shape is None:
            return None
        axes = (2, 3) if self.data_format == "channels_first" else (1, 2)
        padded = [batch_size, *self.input_shape[1:]]
        for axis, n, f, s in zip(axes, (padded[a] for a in axes), self.pool_size, self.strides):
            before, after = same_padding(n, f, s) if self.padding == "same" else (0, 0)
            padded[axis] = n + before + after
        if type(self).op is ops.avg_pool2d:
            return PoolPlan("windows", "windows", "average pooling has one route")
        return pool_plan(tuple(padded), self.pool_size, self.strides, axes, dtype)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:3]
        sizes = []
        for n, f, s in zip(spatial, self.pool_size, self.strides):
            if n is None:
                sizes.append(None)
                continue
            amounts = same_padding(n, f, s) if self.padding == "same" else (0, 0)
            try:
                sizes.append(conv_output_size(n, f, s, amounts))
            except ValueError as error:
                raise self.shape_error(
                    f"an input at least as large as the pool ({error})", input_shape
                ) from None
        channels = input_shape[1] if first else input_shape[3]
        return (input_shape[0], channels, *sizes) if first else (input_shape[0], *sizes, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }


class MaxPooling2D(_Pooling2D):
    """Keep the largest value of each window (stride defaults to the pool size).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> image = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
        >>> layers.MaxPooling2D()(image.reshape(1, 4, 4, 1)).numpy()[0, :, :, 0].tolist()
        [[6.0, 8.0], [3.0, 4.0]]
    """

    op = staticmethod(ops.max_pool2d)


class MinPooling2D(_Pooling2D):
    """Keep the smallest value of each window: the lecture's min pooling (no framework has it)."""

    op = staticmethod(ops.min_pool2d)


class AveragePooling2D(_Pooling2D):
    """Keep the mean of each window; with ``"same"`` padding only real cells are averaged."""

    op = staticmethod(ops.avg_pool2d)


class _GlobalPooling2D(Layer):
    op = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=False):
        return type(self).op(inputs, data_format=self.data_format, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        channels = input_shape[1] if first else input_shape[3]
        if not self.keepdims:
            return (input_shape[0], channels)
        return (input_shape[0], channels, 1, 1) if first else (input_shape[0], 1, 1, channels)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each feature map: ``(N, H, W, C) -> (N, C)``."""

    op = staticmethod(ops.global_avg_pool2d)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The maximum of each feature map: ``(N, H, W, C) -> (N, C)``."""

    op = staticmethod(ops.global_max_pool2d)
