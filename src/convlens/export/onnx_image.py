"""ONNX converters for the image-sizing preprocessing layers: Resizing, CenterCrop and
RandomCrop (at inference: the centre window of the target's aspect ratio, resized).

convlens resizes with two interpolation matrices, rows (h, H) and columns (w, W)
(``ops.image.interpolation_matrix``: half-pixel centres, bilinear, nearest or antialiased);
the graph holds the same matrices and applies them with the same Einsum, so every
interpolation option exports exactly. The sizes must be known.
"""

from __future__ import annotations

from ..ops.image import interpolation_matrix
from .onnx_builder import Call, NotExportable, spatial_axes


def _as_nhwc(g, layer, x: str, compute) -> str:
    """``compute(x)`` on channels-last images, whatever the layer's data_format."""
    if layer.data_format == "channels_last":
        return compute(x)
    inside = compute(g.transpose(x, [0, 2, 3, 1], "to_channels_last"))
    return g.transpose(inside, [0, 3, 1, 2], "to_channels_first")


def _known_sizes(call: Call) -> tuple:
    sizes = tuple(call.shape[a] for a in spatial_axes(call.layer, len(call.shape)))
    if None in sizes:
        raise NotExportable("it needs images of known height and width")
    return sizes


def _crop(g, x: str, top: int, left: int, height: int, width: int) -> str:
    """The window of (N, H, W, C) images from (top, left), ``height`` × ``width``."""
    starts, ends = g.ints([top, left], "starts"), g.ints([top + height, left + width], "ends")
    return g.op("Slice", [x, starts, ends, g.ints([1, 2], "axes")])


def _crop_to_aspect(g, x: str, sizes, target) -> tuple:
    """The centred window of the target's aspect ratio (ops.image's rule: whole pixels,
    rounded down), and its size."""
    (h, w), (height, width) = sizes, target
    crop_h = max(1, min(h, int(w * height / width)))
    crop_w = max(1, min(w, int(h * width / height)))
    top, left = int((h - crop_h) / 2), int((w - crop_w) / 2)
    return _crop(g, x, top, left, crop_h, crop_w), (crop_h, crop_w)


def _pad_to_aspect(g, x: str, sizes, target, fill_value: float) -> tuple:
    """Equal bands of ``fill_value`` on two sides to reach the target's aspect ratio
    (Resizing's letterboxing rule), and the padded size."""
    (h, w), (height, width) = sizes, target
    top = int((max(h, int(w * height / width)) - h) / 2)
    left = 0 if top > 0 else int((max(w, int(h * width / height)) - w) / 2)
    if top == 0 and left == 0:
        return x, sizes
    pads = g.ints([0, top, left, 0, 0, top, left, 0], "pads")
    padded = g.op("Pad", [x, pads, g.const(fill_value, "fill_value")], mode="constant")
    return padded, (h + 2 * top, w + 2 * left)


def _resize(g, x: str, sizes, target, interpolation: str, antialias: bool) -> str:
    """out[n, i, j, c] = sum_h,w rows[i, h] x[n, h, w, c] cols[j, w], as ops.image.resize."""
    rows = interpolation_matrix(sizes[0], target[0], interpolation, antialias)  # (h, H)
    cols = interpolation_matrix(sizes[1], target[1], interpolation, antialias)  # (w, W)
    inputs = [g.const(rows, "resize_rows"), x, g.const(cols, "resize_cols")]
    return g.op("Einsum", inputs, "resize", equation="ih,nhwc,jw->nijc")


def convert_resizing(g, call: Call):
    layer, sizes = call.layer, _known_sizes(call)
    target = (layer.height, layer.width)

    def compute(x):
        shape = sizes
        if layer.pad_to_aspect_ratio:
            x, shape = _pad_to_aspect(g, x, shape, target, layer.fill_value)
        if layer.crop_to_aspect_ratio:
            x, shape = _crop_to_aspect(g, x, shape, target)
        return _resize(g, x, shape, target, layer.interpolation, layer.antialias)

    return _as_nhwc(g, layer, call.x, compute)


def convert_center_crop(g, call: Call):
    """The centre window when the image is large enough, else Keras's rule: the centred window
    of the target's aspect ratio, resized (bilinear)."""
    layer, sizes = call.layer, _known_sizes(call)
    target = (layer.height, layer.width)

    def compute(x):
        if all(n >= t for n, t in zip(sizes, target)):
            top, left = ((n - t) // 2 for n, t in zip(sizes, target))
            return _crop(g, x, top, left, *target)
        return _crop_and_resize(g, x, sizes, target)

    return _as_nhwc(g, layer, call.x, compute)


def convert_random_crop(g, call: Call):
    """RandomCrop at inference: the centred window of the target's aspect ratio, resized."""
    layer, sizes = call.layer, _known_sizes(call)
    target = (layer.height, layer.width)
    return _as_nhwc(g, layer, call.x, lambda x: _crop_and_resize(g, x, sizes, target))


def _crop_and_resize(g, x, sizes, target):
    x, shape = _crop_to_aspect(g, x, sizes, target)
    return _resize(g, x, shape, target, "bilinear", False)
