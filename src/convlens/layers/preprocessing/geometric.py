"""Random geometric augmentations with Keras 3's arguments: ``RandomFlip``, ``RandomRotation``,
``RandomTranslation`` and ``RandomZoom``.

The lecture asks recognition to be robust to rotation, translation and scaling; these layers
show the network each training image moved a little, drawn afresh at every step. Rotation,
translation and zoom are one affine transform per image, resampled by
:func:`convlens.ops.affine.affine_transform` (bilinear or nearest, four fill modes, as Keras on
JAX); all are differentiable in the images.
"""

from __future__ import annotations

from ... import ops
from ...ops.affine import (
    FILL_MODES,
    INTERPOLATIONS,
    affine_transform,
    rotation_transforms,
    translation_transforms,
    zoom_transforms,
)
from .base import (
    RandomImageLayer,
    as_config_factor,
    choice,
    error,
    factor_range,
    host_array,
    is_number,
)

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(RandomImageLayer):
    """Flip each image left-right and/or top-bottom with probability 1/2, in training.

    As in Keras 3, ``"horizontal_and_vertical"`` draws once per image and applies both flips
    or neither (a 180° rotation or the identity).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: an int for reproducible draws.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> image = numpy.arange(4.0).reshape(1, 2, 2, 1)
        >>> out = layers.RandomFlip("horizontal", seed=0)(image, training=True).numpy()
        >>> out[0, 0, :, 0].tolist() in ([0.0, 1.0], [1.0, 0.0])
        True
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = choice(self, mode, "mode", FLIP_MODES)

    def augment(self, images):
        flips = host_array(self.rng.uniform(size=(images.shape[0], 1, 1, 1)) <= 0.5, bool)
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = ops.where(flips, ops.flip(out, axis=2), out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = ops.where(flips, ops.flip(out, axis=1), out)
        return out

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(RandomImageLayer):
    """A random affine transform per image: subclasses write ``transforms(N, H, W)``."""

    def __init__(
        self,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = choice(self, fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = choice(self, interpolation, "interpolation", INTERPOLATIONS)
        if not is_number(fill_value):
            raise error(self, "fill_value", "a number", fill_value)
        self.fill_value = float(fill_value)

    def augment(self, images):
        N, H, W, _ = images.shape
        return affine_transform(
            images,
            self.transforms(N, H, W),
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format="channels_last",
        )

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
        }


class RandomRotation(_AffineLayer):
    """Rotate each image about its centre by a random angle, in training.

    Args:
        factor: a fraction of a full turn: ``f`` draws angles in ``[-f·360°, f·360°]``, a pair
            ``(lower, upper)`` in ``[lower·360°, upper·360°]``; positive angles turn
            counter-clockwise. Each bound in ``[-1, 1]``.
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``: how
            the corners the rotation uncovers are filled.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: an int for reproducible draws.
        fill_value: the value of uncovered points with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> image = numpy.arange(9.0).reshape(3, 3, 1)
        >>> turn = layers.RandomRotation((0.25, 0.25))  # always a quarter turn
        >>> bool(numpy.allclose(turn(image)[..., 0], numpy.rot90(image[..., 0]), atol=1e-5))
        True
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_range(self, factor, "factor", -1.0, 1.0)

    def transforms(self, N, H, W):
        degrees = self.uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, N)  # (N,)
        return rotation_transforms(degrees, H, W)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomTranslation(_AffineLayer):
    """Shift each image by a random fraction of its height and width, in training.

    Args:
        height_factor: ``f`` shifts by up to ``f·H`` rows either way; a pair
            ``(lower, upper)`` shifts by ``[lower·H, upper·H]`` (positive: down). In
            ``[-1, 1]``.
        width_factor: the same for columns (positive: right).
        fill_mode, interpolation, seed, fill_value, data_format: as in
            :class:`RandomRotation`.
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_range = factor_range(self, height_factor, "height_factor", -1.0, 1.0)
        self.width_range = factor_range(self, width_factor, "width_factor", -1.0, 1.0)
        self.height_factor = as_config_factor(height_factor)
        self.width_factor = as_config_factor(width_factor)

    def transforms(self, N, H, W):
        dy = self.uniform(*self.height_range, N) * H  # (N,) rows; Keras draws rows first
        dx = self.uniform(*self.width_range, N) * W  # (N,) columns
        return translation_transforms(dx, dy)

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }


class RandomZoom(_AffineLayer):
    """Zoom each image in or out about its centre by a random factor, in training.

    Args:
        height_factor: ``f`` draws vertical zooms in ``[1 - f, 1 + f]``, a pair
            ``(lower, upper)`` in ``[1 + lower, 1 + upper]``; positive values zoom *out*
            (the output shows a larger window), negative values zoom in. In ``(-1, 1]``.
        width_factor: the same horizontally; ``None`` (default) keeps the aspect ratio (the
            vertical zoom is used for both).
        fill_mode, interpolation, seed, fill_value, data_format: as in
            :class:`RandomRotation`.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_range = factor_range(
            self, height_factor, "height_factor", -1.0, 1.0, open_low=True
        )
        self.width_range = None
        if width_factor is not None:
            self.width_range = factor_range(
                self, width_factor, "width_factor", -1.0, 1.0, open_low=True
            )
        self.height_factor = as_config_factor(height_factor)
        self.width_factor = None if width_factor is None else as_config_factor(width_factor)

    def transforms(self, N, H, W):
        zoom_y = 1.0 + self.uniform(*self.height_range, N)  # (N,)
        zoom_x = zoom_y if self.width_range is None else 1.0 + self.uniform(*self.width_range, N)
        return zoom_transforms(zoom_x, zoom_y, H, W)

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
