"""Flatten, Reshape, ZeroPadding2D, Permute and RepeatVector: layers that rearrange values
without weights."""

from __future__ import annotations

import math

from .. import config, ops
from ..kernels.geometry import resolve_padding
from ..ops.upsampling import repeat
from .layer import InputSpec, Layer


def check_data_format(layer: Layer, data_format) -> str:
    """``"channels_last"`` or ``"channels_first"`` (by default ``config.image_data_format()``);
    a ValueError otherwise."""
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f'{type(layer).__name__} "{layer.name}": data_format must be "channels_last" or '
            f'"channels_first", received {data_format!r}.'
        )
    return data_format


class Flatten(Layer):
    """Flatten each sample to a vector, keeping the batch axis: ``(N, H, W, C) -> (N, H*W*C)``.

    With ``data_format="channels_first"`` the channels move last first, so a model keeps its
    Dense weights when switched between data formats (Keras's rule).

    Example:
        >>> from convlens import layers
        >>> import numpy as np
        >>> layers.Flatten()(np.zeros((2, 5, 5, 16))).shape
        (2, 400)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs, training=False):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one size may be -1); the batch axis stays."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        accepted = "a tuple of positive sizes and at most one -1"
        self.target_shape = self.sequence(target_shape, "target_shape", accepted)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
            not isinstance(d, int) or d == 0 or d < -1 for d in self.target_shape
        ):
            raise ValueError(
                f'Reshape "{self.name}": target_shape must hold positive sizes and at most one -1, '
                f"received {target_shape!r}."
            )

    def call(self, inputs, training=False):
        return ops.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def compute_output_shape(self, input_shape):
        if -1 not in self.target_shape:
            known = math.prod(self.target_shape)
            size = None if any(d is None for d in input_shape[1:]) else math.prod(input_shape[1:])
            if size is not None and size != known:
                raise self.shape_error(f"an input of {known} values per sample", input_shape)
            return (input_shape[0],) + self.target_shape
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(input_shape[1:])
        known = -math.prod(self.target_shape)
        if size % known:
            raise self.shape_error(f"a number of values divisible by {known}", input_shape)
        return (input_shape[0],) + tuple(size // known if d == -1 else d for d in self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around each image (the lecture's padding P).

    Args:
        padding: an int P, a pair ``(P_h, P_w)``, or ``((top, bottom), (left, right))``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, str):
            raise ValueError(
                f'ZeroPadding2D "{self.name}": padding must be an int or pairs, '
                f"received {padding!r}."
            )
        try:
            self.padding = resolve_padding(padding, None, None)
        except (TypeError, ValueError) as error:
            raise ValueError(f'ZeroPadding2D "{self.name}": {error}') from None
        self.data_format = check_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=False):
        return ops.pad(inputs, self.padding, mode="zeros", data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        n, a, b, c = input_shape
        (top, bottom), (left, right) = self.padding
        if self.data_format == "channels_first":
            n, c, a, b = input_shape
        a = None if a is None else a + top + bottom
        b = None if b is None else b + left + right
        return (n, c, a, b) if self.data_format == "channels_first" else (n, a, b, c)

    def get_config(self):
        return {
            **super().get_config(),
            "padding": [list(p) for p in self.padding],
            "data_format": self.data_format,
        }


class Permute(Layer):
    """Reorder the axes of each sample: ``dims`` numbers them from 1 (the batch axis stays).

    Example:
        >>> from convlens import layers
        >>> layers.Permute((2, 1))(layers.Input((10, 64))).shape
        (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f'Permute "{self.name}": dims must be a permutation of 1..{len(dims)} (the '
                f"batch axis 0 is never moved), received {dims!r}."
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs, training=False):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat each input vector ``n`` times: ``(N, D) -> (N, n, D)``.

    Example:
        >>> from convlens import layers
        >>> layers.RepeatVector(3)(layers.Input((5,))).shape
        (None, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = self.positive_ints(n, 1, "n")[0]
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs, training=False):
        return repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
