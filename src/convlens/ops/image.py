"""Image ops under Keras 3's ``keras.ops.image`` name: ``resize`` and ``rgb_to_grayscale``.

Resizing is linear in the pixels, so it is two small matrix products: one interpolation matrix
for the rows, ``A_h`` of shape (OH, H), one for the columns, ``A_w`` (OW, W), and
``out = A_h · image · A_wᵀ`` per channel. The gradient is the same products transposed.

Sampling follows Keras 3 on JAX (``jax.image.resize``): output pixel i looks at input
coordinate ``(i + 0.5) · H / OH - 0.5`` (half-pixel centres); bilinear weights fall off
linearly over one input pixel, and with ``antialias=True`` a downscale widens that triangle to
``H / OH`` pixels, so every input pixel contributes; weights are renormalised at the border.
"""

from __future__ import annotations

import numpy

from .. import backend, config
from ..tensor import Function, Tensor, as_tensor
from .linalg import tensordot
from .shape import getitem, reshape, transpose

INTERPOLATIONS = ("bilinear", "nearest")


def interpolation_matrix(size_in: int, size_out: int, interpolation: str, antialias: bool):
    """The (size_out, size_in) matrix that resamples one axis; each row sums to 1."""
    scale = size_in / size_out
    centres = (numpy.arange(size_out) + 0.5) * scale - 0.5  # (OH,) input coordinates
    if interpolation == "nearest":
        # jax.image.resize's nearest: the input pixel containing the sample point.
        source = numpy.clip(numpy.floor(centres + 0.5), 0, size_in - 1).astype(int)
        matrix = numpy.zeros((size_out, size_in))
        matrix[numpy.arange(size_out), source] = 1.0
        return matrix
    width = max(scale, 1.0) if antialias else 1.0  # a downscale widens the triangle
    distance = numpy.abs(centres[:, None] - numpy.arange(size_in)[None, :]) / width  # (OH, H)
    weights = numpy.maximum(0.0, 1.0 - distance)
    return weights / weights.sum(axis=1, keepdims=True)


class Resize(Function):
    def forward(self, images, rows, cols):
        xp = backend.xp
        self.rows = xp.asarray(rows, dtype=images.dtype)  # (OH, H)
        self.cols = xp.asarray(cols, dtype=images.dtype)  # (OW, W)
        return xp.einsum("ih,nhwc,jw->nijc", self.rows, images, self.cols, optimize=True)

    def backward(self, grad):  # d image = A_hᵀ · d out · A_w
        return backend.xp.einsum("ih,nijc,jw->nhwc", self.rows, grad, self.cols, optimize=True)


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
) -> Tensor:
    """Resize a batch (N, H, W, C) or one image (H, W, C) to ``size = (height, width)``.

    Differentiable in the images. ``data_format="channels_first"`` takes (N, C, H, W).

    Args:
        images: a Tensor or array, 3-D or 4-D.
        size: ``(height, width)`` of the output.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        antialias: widen the bilinear filter when downscaling (as Keras's).
        crop_to_aspect_ratio: crop the centre of each image to the output's aspect ratio first.
        pad_to_aspect_ratio: not supported (raises).
        fill_mode, fill_value: accepted for Keras's signature; used only with padding.
        data_format: ``"channels_last"`` (default: ``config.image_data_format()``) or
            ``"channels_first"``.

    Returns:
        A Tensor of the images' dtype (floatx for integer images).

    Raises:
        ValueError: for a bad ``size``, an unknown interpolation, images that are not 3-D or
            4-D, or ``pad_to_aspect_ratio=True``.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"resize: interpolation must be one of {INTERPOLATIONS}, received {interpolation!r}."
        )
    if len(tuple(size)) != 2 or any(int(n) < 1 for n in size):
        raise ValueError(f"resize: size must be (height, width) of positive ints, got {size!r}.")
    if pad_to_aspect_ratio:
        raise ValueError("resize: pad_to_aspect_ratio=True is not supported.")
    images = as_tensor(images)
    if images.dtype.kind != "f":
        images = Tensor(images.data, dtype=config.floatx())
    if images.ndim not in (3, 4):
        raise ValueError(
            f"resize: expected images of rank 3 (H, W, C) or 4 (N, H, W, C), received shape "
            f"{images.shape}."
        )
    data_format = data_format or config.image_data_format()
    single = images.ndim == 3
    x = reshape(images, (1,) + images.shape) if single else images
    if data_format == "channels_first":
        x = transpose(x, (0, 2, 3, 1))  # (N, H, W, C)
    height, width = int(size[0]), int(size[1])
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, height, width)
    rows = interpolation_matrix(x.shape[1], height, interpolation, antialias)
    cols = interpolation_matrix(x.shape[2], width, interpolation, antialias)
    out = Resize.apply(x, rows=rows, cols=cols)
    if data_format == "channels_first":
        out = transpose(out, (0, 3, 1, 2))
    return reshape(out, out.shape[1:]) if single else out


def _crop_to_aspect(x, height, width):
    """The centred window of (N, H, W, C) images with the output's aspect ratio (Keras's rule:
    whole pixels, rounded down)."""
    h, w = x.shape[1], x.shape[2]
    crop_h = max(1, min(h, int(w * height / width)))
    crop_w = max(1, min(w, int(h * width / height)))
    top, left = int((h - crop_h) / 2), int((w - crop_w) / 2)
    return getitem(x, (slice(None), slice(top, top + crop_h), slice(left, left + crop_w)))


RGB_WEIGHTS = (0.2989, 0.5870, 0.1140)  # ITU-R BT.601 luma, as tf.image and Keras


def rgb_to_grayscale(images, data_format=None) -> Tensor:
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` of one image or a batch, keeping a channel
    axis of length 1; a one-channel input is returned as it is. Differentiable.

    Raises:
        ValueError: for images that are not 3-D or 4-D, or have neither 1 nor 3 channels.
    """
    images = as_tensor(images)
    data_format = data_format or config.image_data_format()
    axis = -1 if data_format == "channels_last" else -3
    if images.ndim not in (3, 4):
        raise ValueError(
            f"rgb_to_grayscale: expected images of rank 3 or 4, received shape {images.shape}."
        )
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            f"rgb_to_grayscale: expected 3 (RGB) or 1 channels on axis {axis}, received shape "
            f"{images.shape}."
        )
    if images.shape[axis] == 1:
        return images
    weights = numpy.asarray(RGB_WEIGHTS, dtype=images.dtype)
    grey = tensordot(images, weights, axes=([images.ndim + axis], [0]))
    position = grey.ndim + 1 + axis  # where the channel axis was
    return reshape(grey, grey.shape[:position] + (1,) + grey.shape[position:])
