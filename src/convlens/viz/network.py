"""Pictures of a network: the feature maps of a layer for one input, the filters of a conv layer.

Maps and kernels are small (5x5 kernels, 28x28 maps), so each panel is enlarged to a legible
size with visible pixels; signed values are drawn in diverging colours centred on zero, and
every panel has a colour bar. A dense layer's output is a bar chart, one bar per unit.
"""

from __future__ import annotations

import numpy

from .. import backend
from ._figures import DPI, grid, panel_pixels, pyplot, save, show_map, symmetric_limit

MAP_PIXELS = (192, 320)  # smallest and largest drawn side of one feature map
FILTER_PIXELS = (160, 240)  # of one kernel


def _find_layer(model, layer):
    if isinstance(layer, int):
        return model.layers[layer]
    if isinstance(layer, str):
        return model.get_layer(layer)
    return layer


def target_output(model, layer):
    """The symbolic output of ``layer`` in ``model``'s graph."""
    for node in model._nodes:
        if node.layer is layer:
            return node.outputs[0]
    raise ValueError(f'Layer "{layer.name}" is not in model "{model.name}".')


def _layer_title(layer) -> str:
    return f'{type(layer).__name__} "{layer.name}"'


def feature_maps_figure(model, layer, image, max_maps: int = 64):
    """The figure of :func:`feature_maps` (left open: a notebook shows it; close it when done)."""
    from ..models import Model

    target = _find_layer(model, layer)
    probe = Model(model.inputs[0], target_output(model, target))
    maps = numpy.asarray(probe.predict(numpy.asarray(image)[None], verbose=0)[0])
    if maps.ndim == 1:
        return _bar_chart(maps, target)
    if maps.ndim == 2:
        maps = maps[:, :, None]  # (H, W) -> one map
    total = maps.shape[-1]
    maps = numpy.moveaxis(maps, -1, 0)[:max_maps]  # (C, H, W)
    height, width = panel_pixels(*maps.shape[1:], *MAP_PIXELS)
    rows, columns = grid(len(maps), max_columns=8)
    figure, axes = pyplot().subplots(
        rows,
        columns,
        figsize=(columns * (width + 90) / DPI, rows * (height + 40) / DPI + 0.5),
        squeeze=False,
        layout="constrained",
    )
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(maps):
            axis.axis("on")
            show_map(axis, maps[index], f"map {index}")
    shown = f"the first {len(maps)} of " if len(maps) < total else ""
    figure.suptitle(
        f"{_layer_title(target)}: {shown}{total} feature maps of {maps.shape[1]}x"
        f"{maps.shape[2]} (red > 0 > blue where signed)",
        fontsize=11,
    )
    return figure


def _bar_chart(values, layer):
    """A dense layer's activations: one bar per unit, red above zero and blue below."""
    units = len(values)
    figure, axis = pyplot().subplots(
        figsize=(min(max(6.0, 0.12 * units + 2), 16.0), 4.0), layout="constrained"
    )
    colours = numpy.where(values >= 0, "#b2182b", "#2166ac")
    axis.bar(numpy.arange(units), values, color=colours, width=0.8)
    axis.axhline(0.0, color="black", linewidth=0.8)
    best = int(numpy.argmax(values))
    axis.annotate(
        f"unit {best}: {values[best]:.3g}",
        (best, values[best]),
        textcoords="offset points",
        xytext=(0, 6),
        ha="center",
        fontsize=8,
    )
    axis.set_xlabel("unit")
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    axis.set_ylabel("probability (softmax)" if activation == "softmax" else "activation")
    if units <= 20:
        axis.set_xticks(numpy.arange(units))
    axis.grid(axis="y", alpha=0.3)
    axis.set_title(f"{_layer_title(layer)}: {units} activations for this input", fontsize=11)
    return figure


def feature_maps(model, layer, image, path, max_maps: int = 64) -> str:
    """The feature maps that ``layer`` (a name, an index or a layer) produces for ``image``.

    A conv or pooling layer: one enlarged panel per channel with its colour bar, diverging
    colours centred on 0 where a map is signed. A dense layer: a bar chart of its units.

    Args:
        model: a built model.
        layer: which layer's output to show.
        image: one sample, shaped like the model's input without the batch axis.
        path: the PNG file to write.
        max_maps: show at most this many channels.

    Returns:
        ``path``.
    """
    return save(feature_maps_figure(model, layer, image, max_maps), path)


def conv_filters_figure(layer, channel: int | None = None):
    """The figure of :func:`conv_filters` (left open; close it when done)."""
    kernel = backend.to_numpy(layer.kernel.data)  # (KH, KW, C_in, C_out)
    if kernel.ndim != 4:
        raise ValueError(f"{_layer_title(layer)} has no 2-D conv kernel.")
    filters = numpy.moveaxis(kernel, -1, 0)  # (C_out, KH, KW, C_in)
    colour = channel is None and filters.shape[-1] == 3
    if channel is not None:
        images, what = [f[:, :, channel] for f in filters], f"input channel {channel}"
    elif colour:  # colour filters shown as colours, scaled to [0, 1]
        low, high = float(filters.min()), float(filters.max())
        images = [(f - low) / ((high - low) or 1.0) for f in filters]
        what = f"RGB, weights {low:.3g}..{high:.3g} scaled to 0..1"
    else:
        images = [f.mean(axis=-1) for f in filters]
        count = filters.shape[-1]
        what = "one input channel" if count == 1 else f"mean over {count} input channels"
    height, width = panel_pixels(*filters.shape[1:3], *FILTER_PIXELS)
    rows, columns = grid(len(images), max_columns=8)
    figure, axes = pyplot().subplots(
        rows,
        columns,
        figsize=(columns * (width + 20) / DPI + 1.2, rows * (height + 30) / DPI + 0.6),
        squeeze=False,
        layout="constrained",
    )
    limit = symmetric_limit(numpy.stack(images)) if not colour else None
    drawn = None
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        if colour:
            axis.imshow(images[index], interpolation="nearest")
            axis.set_title(f"filter {index}", fontsize=9)
        else:  # one scale for all filters, so their strengths compare
            drawn = show_map(axis, images[index], f"filter {index}", True, limit=limit, colorbar=0)
    if drawn is not None:
        bar = figure.colorbar(drawn, ax=axes, fraction=0.03, pad=0.02)
        bar.set_label("weight", fontsize=8)
    figure.suptitle(
        f"{_layer_title(layer)}: {len(images)} filters {filters.shape[1]}x{filters.shape[2]} "
        f"({what})",
        fontsize=11,
    )
    return figure


def conv_filters(layer, path, channel: int | None = None) -> str:
    """A grid of a conv layer's kernels: one panel per filter (per input channel, or the
    mean over input channels, or RGB when the layer reads 3 channels), in diverging colours
    centred on zero with one colour bar of weights shared by all filters."""
    return save(conv_filters_figure(layer, channel), path)


__all__ = [
    "conv_filters",
    "conv_filters_figure",
    "feature_maps",
    "feature_maps_figure",
    "target_output",
]
