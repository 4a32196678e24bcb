"""Affine resampling of images, Keras 3's ``keras.ops.image.affine_transform``, and the
matrices of the augmentation layers (rotation, translation, zoom).

A transform is Keras's 8 numbers ``[a0, a1, a2, b0, b1, b2, c0, c1]``: the output pixel at
column ``x``, row ``y`` reads the input at

    x_in = (a0 x + a1 y + a2) / k,   y_in = (b0 x + b1 y + b2) / k,   k = c0 x + c1 y + 1,

so the matrix maps *output* points to *input* points (the inverse of the motion one sees). The
input is read with bilinear or nearest interpolation; points outside it follow ``fill_mode``
as in ``jax.scipy.ndimage.map_coordinates``, which Keras 3 on JAX uses:

- ``reflect``: ``d c b a | a b c d | d c b a`` (the edge pixel repeats once);
- ``wrap``: ``a b c d | a b c d | a b c d``;
- ``nearest``: ``a a a a | a b c d | d d d d``;
- ``constant``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``; each of the bilinear
  corners outside the image contributes ``fill_value`` with its weight.

Every output pixel is a weighted sum of at most four input pixels, so the op is linear in the
image; its gradient scatters the output's gradient back with the same weights (the sampler's
transpose), one ``bincount`` for the whole batch.
"""

from __future__ import annotations

import numpy

from .. import backend, config
from ..tensor import Function, Tensor, as_tensor
from .shape import reshape, transpose

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _fixed_index(index, size: int, fill_mode: str, xp):
    """Indices outside ``[0, size)`` mapped back inside by ``fill_mode``."""
    if fill_mode == "reflect":  # period 2·size: i, then the mirror image 2·size - 1 - i
        folded = index % (2 * size)
        return xp.where(folded < size, folded, 2 * size - 1 - folded)
    if fill_mode == "wrap":
        return index % size
    return xp.clip(index, 0, size - 1)  # nearest; constant masks these points out


def _axis_nodes(coordinate, interpolation: str, xp):
    """The integer sample positions along one axis and their weights."""
    if interpolation == "nearest":  # JAX rounds halves away from zero
        index = (xp.sign(coordinate) * xp.floor(xp.abs(coordinate) + 0.5)).astype(xp.int64)
        return [(index, 1.0)]
    lower = xp.floor(coordinate)
    upper_weight = coordinate - lower
    lower = lower.astype(xp.int64)
    return [(lower, 1.0 - upper_weight), (lower + 1, upper_weight)]


def sample_points(transforms, height: int, width: int, interpolation: str, fill_mode: str):
    """Where each output pixel of each image reads, and with which weights.

    Args:
        transforms: (N, 8) host array of Keras's transform numbers.
        height, width: the images' size (the output's too).

    Returns:
        ``(corners, fill)``: ``corners`` a list of ``(flat_index, weight)`` pairs, both
        (N, H, W) arrays of ``backend.xp`` indexing the batch flattened to (N*H*W,), and
        ``fill`` (N, H, W), the weight ``fill_value`` takes (zero except in constant mode).
    """
    xp = backend.xp
    t = xp.asarray(numpy.asarray(transforms, dtype=numpy.float64))  # (N, 8), in float64
    count = t.shape[0]
    rows, cols = xp.meshgrid(xp.arange(height), xp.arange(width), indexing="ij")  # (H, W)
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))  # (N, 1, 1)
    k = c0 * cols + c1 * rows + 1.0
    x_in = (a0 * cols + a1 * rows + a2) / k  # (N, H, W)
    y_in = (b0 * cols + b1 * rows + b2) / k
    image = xp.arange(count)[:, None, None]  # (N, 1, 1)
    corners, fill = [], xp.zeros(x_in.shape)
    for y, wy in _axis_nodes(y_in, interpolation, xp):
        for x, wx in _axis_nodes(x_in, interpolation, xp):
            weight = wy * wx * xp.ones(x_in.shape)
            if fill_mode == "constant":
                inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
                fill = fill + xp.where(inside, 0.0, weight)
                weight = xp.where(inside, weight, 0.0)
            fy = _fixed_index(y, height, fill_mode, xp)
            fx = _fixed_index(x, width, fill_mode, xp)
            corners.append(((image * height + fy) * width + fx, weight))
    return corners, fill


class AffineSample(Function):
    """out[n, i, j, :] = Σ_k w_k · image[corner_k] + fill · fill_value, on (N, H, W, C)."""

    def forward(self, images, corners, fill, fill_value):
        xp = backend.xp
        N, H, W, C = images.shape
        self.shape, self.corners = images.shape, corners
        flat = images.reshape(N * H * W, C)  # (N*H*W, C)
        out = xp.zeros(images.shape, dtype=images.dtype)
        for index, weight in corners:
            out += weight.astype(images.dtype)[..., None] * flat[index]  # (N, H, W, C)
        if fill_value != 0:
            out += (fill * fill_value).astype(images.dtype)[..., None]
        return out

    def backward(self, grad):
        # d image[p] = Σ over output pixels and corners reading p of w · d out (the transpose)
        xp = backend.xp
        N, H, W, C = self.shape
        channel = xp.arange(C)
        positions = xp.concatenate(
            [((index[..., None] * C) + channel).ravel() for index, _ in self.corners]
        )
        values = xp.concatenate([(weight[..., None] * grad).ravel() for _, weight in self.corners])
        summed = xp.bincount(positions, weights=values, minlength=N * H * W * C)
        return summed.reshape(self.shape).astype(grad.dtype)


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
) -> Tensor:
    """Resample one image (H, W, C) or a batch (N, H, W, C) through affine transforms.

    Differentiable in the images (the gradient is the sampler's transpose); the transform is
    a constant. Output sizes equal input sizes, as in Keras.

    Args:
        images: a Tensor or array of rank 3 or 4.
        transform: 8 numbers, or (N, 8) for one transform per image (see the module text).
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        fill_value: the value outside the image in ``"constant"`` mode.
        data_format: ``"channels_last"`` (default: ``config.image_data_format()``) or
            ``"channels_first"``.

    Returns:
        A Tensor of the images' dtype (floatx for integer images).

    Raises:
        ValueError: for an unknown interpolation or fill mode, or bad ranks or sizes.

    Example:
        >>> import numpy
        >>> image = numpy.arange(9.0).reshape(3, 3, 1)
        >>> shift = [1, 0, -1, 0, 1, 0, 0, 0]  # content moves one column right
        >>> affine_transform(image, shift, fill_mode="constant").numpy()[..., 0].tolist()
        [[0.0, 0.0, 1.0], [0.0, 3.0, 4.0], [0.0, 6.0, 7.0]]
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"affine_transform: interpolation must be one of {INTERPOLATIONS}, received "
            f"{interpolation!r}."
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"affine_transform: fill_mode must be one of {FILL_MODES}, received {fill_mode!r}."
        )
    images = as_tensor(images)
    if images.dtype.kind != "f":
        images = Tensor(images.data.astype(config.floatx()))
    if images.ndim not in (3, 4):
        raise ValueError(
            "affine_transform: expected images of rank 3 (H, W, C) or 4 (N, H, W, C), "
            f"received shape {images.shape}."
        )
    transforms = numpy.asarray(backend.to_numpy(getattr(transform, "data", transform)))
    transforms = transforms.reshape(1, -1) if transforms.ndim == 1 else transforms
    single = images.ndim == 3
    x = reshape(images, (1,) + images.shape) if single else images
    if (data_format or config.image_data_format()) == "channels_first":
        x = transpose(x, (0, 2, 3, 1))  # (N, H, W, C)
    if transforms.ndim != 2 or transforms.shape[1] != 8 or transforms.shape[0] not in (1, len(x)):
        raise ValueError(
            "affine_transform: expected a transform of 8 numbers or one per image, shape "
            f"({x.shape[0]}, 8), received shape {transforms.shape}."
        )
    transforms = numpy.broadcast_to(transforms, (x.shape[0], 8))
    corners, fill = sample_points(transforms, x.shape[1], x.shape[2], interpolation, fill_mode)
    out = AffineSample.apply(x, corners=corners, fill=fill, fill_value=float(fill_value))
    if (data_format or config.image_data_format()) == "channels_first":
        out = transpose(out, (0, 3, 1, 2))
    return reshape(out, out.shape[1:]) if single else out


# ----- the transforms of the augmentation layers (host arrays, float64, one row per image) -----


def rotation_transforms(degrees, height: int, width: int) -> numpy.ndarray:
    """Rotations by ``degrees`` (N,) about the image centre, counter-clockwise for positive
    angles as displayed (Keras's ``RandomRotation``)."""
    theta = numpy.deg2rad(numpy.asarray(degrees, dtype=numpy.float64))  # (N,)
    cos, sin = numpy.cos(theta), numpy.sin(theta)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    zero = numpy.zeros_like(theta)
    a2 = cx - cx * cos + cy * sin
    b2 = cy - cx * sin - cy * cos
    return numpy.stack([cos, -sin, a2, sin, cos, b2, zero, zero], axis=1)  # (N, 8)


def translation_transforms(dx, dy) -> numpy.ndarray:
    """Shifts of the content by ``dx`` columns and ``dy`` rows (N,) each."""
    dx, dy = numpy.asarray(dx, dtype=numpy.float64), numpy.asarray(dy, dtype=numpy.float64)
    one, zero = numpy.ones_like(dx), numpy.zeros_like(dx)
    return numpy.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)  # (N, 8)


def zoom_transforms(zoom_x, zoom_y, height: int, width: int) -> numpy.ndarray:
    """Zooms about the centre: the output reads an input window ``zoom`` times its size, so
    ``zoom > 1`` zooms out and ``zoom < 1`` zooms in (Keras's ``RandomZoom``)."""
    zx, zy = numpy.asarray(zoom_x, dtype=numpy.float64), numpy.asarray(zoom_y, dtype=numpy.float64)
    zero = numpy.zeros_like(zx)
    x_offset = 0.5 * (width - 1) * (1.0 - zx)
    y_offset = 0.5 * (height - 1) * (1.0 - zy)
    return numpy.stack([zx, zero, x_offset, zero, zy, y_offset, zero, zero], axis=1)  # (N, 8)
