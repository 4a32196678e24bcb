"""Random photometric augmentations with Keras 3's arguments: ``RandomContrast`` and
``RandomBrightness``. One factor per image; differentiable in the images."""

from __future__ import annotations

from ... import ops
from .base import RandomImageLayer, error, factor_range, host_array, is_number


def value_range_of(layer, value_range) -> tuple[float, float]:
    """``(low, high)`` with low < high; a ValueError naming the layer otherwise."""
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(is_number(v) for v in value_range)
        or value_range[0] == value_range[1]
    ):
        raise error(layer, "value_range", "a pair of different numbers (low, high)", value_range)
    low, high = sorted(float(v) for v in value_range)
    return low, high


class RandomContrast(RandomImageLayer):
    """Scale each image's deviation from its mean by a random factor, in training.

    ``out = clip((x - mean) · c + mean, *value_range)`` with ``mean`` taken over each image's
    height and width (per channel) and one ``c`` per image.

    Args:
        factor: ``f`` draws ``c`` in ``[1 - f, 1 + f]``; a pair ``(lower, upper)`` in
            ``[1 - lower, 1 + upper]``. Each in ``[0, 1]``. (Keras 3.15 reads a single number
            as ``(0, f)``, contrary to its documentation; this layer follows the documentation
            and saves the pair, so files mean the same in both.)
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: an int for reproducible draws.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if is_number(factor):
            factor = (factor, factor)
        self.factor = factor_range(self, factor, "factor", 0.0, 1.0)
        self.value_range = value_range_of(self, value_range)

    def augment(self, images):
        c = self.uniform(1.0 - self.factor[0], 1.0 + self.factor[1], (images.shape[0], 1, 1, 1))
        return self.adjust(images, host_array(c, images.dtype))

    def adjust(self, images, contrast):
        """The contrast change for given factors ``contrast`` (N, 1, 1, 1)."""
        mean = ops.mean(images, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        out = ops.add(ops.multiply(ops.subtract(images, mean), contrast), mean)
        return ops.clip(out, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(RandomImageLayer):
    """Add a random amount to every pixel of each image, in training.

    ``out = clip(x + d · (high - low), low, high)`` with ``(low, high) = value_range`` and one
    ``d`` per image.

    Args:
        factor: ``f`` draws ``d`` in ``[-f, f]``; a pair ``(lower, upper)`` in
            ``[lower, upper]``; each in ``[-1, 1]``.
        value_range: the range of the pixel values, ``(0, 255)`` by default.
        seed: an int for reproducible draws.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> brighter = layers.RandomBrightness((0.1, 0.1), value_range=(0, 1))
        >>> brighter(numpy.full((1, 1, 1), 0.5)).numpy().round(3).tolist()
        [[[0.6]]]
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self, factor, "factor", -1.0, 1.0)
        self.value_range = value_range_of(self, value_range)

    def augment(self, images):
        delta = self.uniform(*self.factor, (images.shape[0], 1, 1, 1))
        return self.adjust(images, host_array(delta, images.dtype))

    def adjust(self, images, delta):
        """The brightness change for given fractions ``delta`` (N, 1, 1, 1)."""
        low, high = self.value_range
        return ops.clip(ops.add(images, ops.multiply(delta, high - low)), low, high)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
