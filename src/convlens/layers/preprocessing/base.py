"""What every image preprocessing layer shares: images of rank 3 or 4 in either data format,
cast to floats, and, for the random layers, a seeded stream and Keras's ``training`` rule.

Keras's rule for the random layers (``RandomFlip`` ... ``RandomCrop``): their ``call`` defaults
to ``training=True``, so a layer called directly on arrays augments (the keras.io guides plot
augmented samples this way), while ``training=False``, ``predict`` and ``evaluate`` give the
input unchanged, and inside ``fit`` they augment. Called inside a model, they inherit the
model's flag, as every convlens layer does.
"""

from __future__ import annotations

import numbers

from ... import backend, ops
from ...rng import rng_for
from ...tensor import Tensor
from ..layer import Layer
from ..reshaping import check_data_format


class ImageLayer(Layer):
    """A layer on channels-last (or channels-first) images ``(H, W, C)`` or ``(N, H, W, C)``.

    Subclasses write ``transform(images, training)`` on a channels-last float batch
    ``(N, H, W, C)``; this class adds and removes the batch axis and the transposes.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self, data_format)

    def call(self, inputs, training=None):
        images = inputs if inputs.dtype.kind == "f" else ops.cast(inputs, self.dtype)
        if images.ndim not in (3, 4):
            raise self.shape_error("images of rank 3 (H, W, C) or 4 (N, H, W, C)", images.shape)
        single = images.ndim == 3
        x = ops.expand_dims(images, 0) if single else images
        first = self.data_format == "channels_first"
        x = ops.transpose(x, (0, 2, 3, 1)) if first else x  # (N, H, W, C)
        out = self.transform(x, bool(training))
        out = ops.transpose(out, (0, 3, 1, 2)) if first else out
        return ops.squeeze(out, 0) if single else out

    def transform(self, images: Tensor, training: bool) -> Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def resized_shape(self, input_shape, height: int, width: int):
        """``input_shape`` with its height and width replaced (either data format)."""
        shape = list(input_shape)
        axes = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        shape[axes[0]], shape[axes[1]] = height, width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class RandomImageLayer(ImageLayer):
    """An augmentation: ``augment(images)`` in training, the input (as floats) otherwise.

    Draws come from one generator per layer: ``seed=`` an int repeats them exactly; ``None``
    takes a child of the global stream (``utils.set_random_seed``).
    """

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
        ):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": seed must be a non-negative int or None, '
                f"received {seed!r}."
            )
        self.seed = None if seed is None else int(seed)
        self.rng = rng_for(self.seed)

    def call(self, inputs, training=True):
        # Keras's default: a direct call on data augments; predict, evaluate and training=False
        # give the input; inside a model the model's flag reaches the layer.
        return super().call(inputs, training=training)

    def transform(self, images, training):
        return self.augment(images) if training else images

    def augment(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def uniform(self, low: float, high: float, size) -> object:
        """Host draws in ``[low, high)`` from this layer's stream (``low`` when they are equal)."""
        return self.rng.uniform(low, high, size=size)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def error(layer, argument: str, expected: str, value) -> ValueError:
    """The one format of argument errors: layer, argument, what was expected, what came."""
    return ValueError(
        f'{type(layer).__name__} "{layer.name}": {argument} must be {expected}, received {value!r}.'
    )


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def factor_range(layer, value, argument: str, low: float, high: float, open_low=False):
    """Keras's ``factor``: a number ``f`` (meaning ``(-f, f)``, clipped below at ``low``) or a
    pair ``(lower, upper)``, every bound in ``[low, high]`` (``(low, high]`` if ``open_low``).

    Returns:
        ``(lower, upper)`` as floats, sorted.
    """
    interval = f"{'(' if open_low else '['}{low}, {high}]"
    expected = f"a number or a pair of numbers in {interval}"

    def inside(v):
        return is_number(v) and (low < v if open_low else low <= v) and v <= high

    if is_number(value):
        if not inside(value):
            raise error(layer, argument, expected, value)
        return max(-abs(float(value)), low), abs(float(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(inside(v) for v in value):
        lower, upper = sorted(float(v) for v in value)
        return lower, upper
    raise error(layer, argument, expected, value)


def as_config_factor(value):
    """A factor as given (a number or a pair), in a form JSON gives back unchanged."""
    return float(value) if is_number(value) else tuple(float(v) for v in value)


def choice(layer, value, argument: str, options: tuple) -> str:
    if value not in options:
        raise error(layer, argument, f"one of {options}", value)
    return value


def host_array(values, dtype):
    """Host draws as an array of the active backend."""
    return backend.xp.asarray(values, dtype=dtype)
