"""What every picture shares: matplotlib loaded lazily, panel sizes in pixels, one way to draw a
map (diverging colours centred on zero for signed values, always a colour bar), and atomic PNG
and GIF writes."""

from __future__ import annotations

import math
import os
import sys

import numpy

from ..atomic_files import write_atomically

DPI = 100  # figure inches x DPI = pixels: panel sizes below are promised in pixels
SIGNED_CMAP = "RdBu_r"  # red positive, blue negative, white zero


def pyplot():
    """matplotlib.pyplot, on the Agg backend (files only: no window, works on servers and CI)
    unless the user's program or notebook already chose one: switching a Jupyter kernel's
    inline backend to Agg would stop the learner's own ``plt.show()`` from drawing anything."""
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("Pictures need matplotlib: pip install convlens[viz]") from error
    chosen = "matplotlib.pyplot" in sys.modules or "ipykernel" in sys.modules
    if not chosen and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def grid(count: int, max_columns: int | None = None) -> tuple[int, int]:
    """Rows and columns of a near-square grid of ``count`` panels."""
    columns = math.ceil(math.sqrt(count))
    columns = min(columns, max_columns) if max_columns else columns
    return math.ceil(count / columns), columns


def panel_pixels(height: int, width: int, smallest: int, largest: int) -> tuple[int, int]:
    """The drawn size (h, w) in pixels of a ``height x width`` picture: its longest side
    scaled to ``smallest..largest`` (a digit is enlarged, a 12-megapixel photo reduced),
    proportions kept."""
    longest = max(height, width)
    scale = min(max(longest, smallest), largest) / longest
    return max(1, round(height * scale)), max(1, round(width * scale))


def symmetric_limit(values, robust: bool = False) -> float:
    """``m`` for the colour limits ``-m..m`` of a signed map: ``max |v|``, or for a photo's
    response (``robust``) the 99.5th percentile of ``|v|`` so that a few strong edges do not
    wash out the rest (the colour bar then says the ends extend)."""
    magnitudes = numpy.abs(numpy.asarray(values, dtype=numpy.float64))
    if magnitudes.size == 0:
        return 1.0
    limit = float(numpy.percentile(magnitudes, 99.5) if robust else magnitudes.max())
    return limit or float(magnitudes.max()) or 1.0


def show_map(axis, values, title: str, signed=None, cmap="viridis", limit=None, colorbar=True):
    """Draw a 2-D map with a colour bar of its values.

    Signed values (``signed=None``: any value below 0) get ``RdBu_r`` with limits ``-m..m``, so
    zero is white and the two signs read at a glance; the others ``cmap`` over their range.

    Returns:
        The matplotlib ``AxesImage`` (its ``get_clim()`` gives the limits, ``colorbar`` the bar).
    """
    values = numpy.asarray(values, dtype=numpy.float64)
    signed = bool(values.size and values.min() < 0) if signed is None else signed
    options = {"interpolation": "nearest"}
    if signed:
        limit = symmetric_limit(values) if limit is None else limit
        options.update(cmap=SIGNED_CMAP, vmin=-limit, vmax=limit)
    else:
        options.update(cmap=cmap)
        if limit is not None:
            options.update(vmin=limit[0], vmax=limit[1])
    image = axis.imshow(values, **options)
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    if colorbar:
        add_colorbar(axis, image)
    return image


def add_colorbar(axis, image, label: str | None = None):
    """A colour bar beside ``axis`` with a few value ticks; ``extend`` marks clipped ends."""
    low, high = image.get_clim()
    values = image.get_array()
    extend_low = values.size and float(values.min()) < low - 1e-12
    extend_high = values.size and float(values.max()) > high + 1e-12
    extend = {(1, 1): "both", (1, 0): "min", (0, 1): "max"}.get(
        (int(bool(extend_low)), int(bool(extend_high))), "neither"
    )
    bar = axis.figure.colorbar(image, ax=axis, fraction=0.046, pad=0.03, extend=extend)
    bar.ax.tick_params(labelsize=7)
    if label:
        bar.set_label(label, fontsize=7)
    return bar


def scale_text(figure, factor: float) -> None:
    """Enlarge every title, label and tick of ``figure`` by ``factor``: text stays legible
    beside 1024-pixel panels, where the usual 9-point titles are lost."""
    if factor <= 1.0:
        return
    texts = [getattr(figure, "_suptitle", None)]
    for axis in figure.axes:
        texts += [axis.title, axis.xaxis.label, axis.yaxis.label, *axis.texts]
        texts += axis.get_xticklabels() + axis.get_yticklabels()
    for text in texts:
        if text is not None:
            text.set_fontsize(text.get_fontsize() * factor)


def figure_image(figure):
    """The figure rendered to a Pillow RGB image (for the frames of a GIF)."""
    from PIL import Image

    figure.canvas.draw()
    rgba = numpy.asarray(figure.canvas.buffer_rgba())  # (H, W, 4)
    return Image.fromarray(rgba[..., :3].copy())


def write_png(figure, path) -> str:
    """Write ``figure`` to ``path`` through a temporary file, leaving the figure open."""
    path = os.fspath(path)
    write_atomically(
        path, lambda stream: figure.savefig(stream, format="png", dpi=DPI, bbox_inches="tight")
    )
    return path


def save(figure, path) -> str:
    """Write the figure to ``path`` (a temporary file renamed into place) and close it."""
    try:
        return write_png(figure, path)
    finally:
        pyplot().close(figure)


def write_gif(frames, path, seconds_per_frame: float = 0.5, last_frame_seconds: float = 2.0):
    """Write Pillow images as an animated GIF that loops, the last frame held longer."""
    if not frames:
        raise ValueError(f"{path}: an animation needs at least one frame, received none.")
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError("Animated pictures need Pillow: pip install convlens[viz]") from error
    # One palette for all frames, from the last (it holds every colour drawn): quantizing each
    # frame on its own would cost most of the time and make colours flicker between frames.
    palette = frames[-1].convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    frames = [f.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    first, rest = frames[0], frames[1:]
    durations = [round(seconds_per_frame * 1000)] * (len(frames) - 1)
    durations.append(round(last_frame_seconds * 1000))
    path = os.fspath(path)
    write_atomically(
        path,
        lambda stream: first.save(
            stream,
            format="GIF",
            save_all=True,
            append_images=rest,
            duration=durations,
            loop=0,
            disposal=1,
        ),
    )
    return path
