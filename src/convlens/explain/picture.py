"""Pictures of a trace (matplotlib, the optional ``viz`` extra, imported lazily): one step
(:func:`render_png`), or every step (:func:`render_steps`): a sheet of all steps in one PNG,
or an animated GIF with one frame per step."""

from __future__ import annotations

import os
from itertools import product

import numpy

from ..atomic_files import write_atomically
from ..viz._figures import figure_image, write_gif
from ..viz._figures import pyplot as _pyplot
from .text import number_text
from .trace import ConvTrace, PoolTrace

SHEET_STEPS = 64  # a sheet of more steps is unreadable: a GIF holds any number
SHEET_COLUMNS = 4  # steps per row of a sheet


def _draw_grid(axis, values, title, shown=None, numbers=True):
    """``values`` as grey cells with their numbers; cells where ``shown`` is False stay blank."""
    shown = numpy.ones(values.shape, bool) if shown is None else shown
    visible = numpy.where(shown & ~numpy.isnan(values), values, numpy.nan)
    if numpy.nanmin(values, initial=0.0) < 0:  # signed: diverging colours, zero white
        limit = float(numpy.nanmax(numpy.abs(values))) or 1.0
        axis.imshow(visible, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=0.6)
    else:
        low, high = numpy.nanmin(values, initial=0.0), numpy.nanmax(values, initial=0.0)
        axis.imshow(visible, cmap="Greys", alpha=0.35, vmin=low, vmax=high or 1.0)  # fixed scale
    if numbers and values.size <= 400:
        for (i, j), value in numpy.ndenumerate(values):
            if shown[i, j]:
                axis.text(
                    j,
                    i,
                    number_text(value).replace("pad", ""),
                    ha="center",
                    va="center",
                    fontsize=8,
                )
    axis.set_xticks(numpy.arange(values.shape[1]))
    axis.set_yticks(numpy.arange(values.shape[0]))
    axis.set_xticks(numpy.arange(-0.5, values.shape[1]), minor=True)
    axis.set_yticks(numpy.arange(-0.5, values.shape[0]), minor=True)
    axis.grid(which="minor", color="0.6", linewidth=0.5)
    axis.tick_params(which="both", length=0, labelsize=6)
    axis.set_title(title, fontsize=9)


def _check(trace, step, op: str) -> int:
    if not isinstance(trace, (ConvTrace, PoolTrace)):
        raise TypeError(f"{op}: expected a ConvTrace or PoolTrace, received {trace!r}.")
    count = len(trace.steps)
    step = count - 1 if step is None else step
    if not 0 <= step < count:
        raise ValueError(f"{op}: step must be in 0..{count - 1}, received {step}.")
    return step


def _outline(axis, rows, cols) -> None:
    from matplotlib.patches import Rectangle

    for i, j in product(rows, cols):
        axis.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, color="red", lw=2))


def _step_title(trace, step: int) -> str:
    current = trace.steps[step]
    how = "sum of window x kernel" if isinstance(trace, ConvTrace) else f"{trace.mode} of window"
    return (
        f"step {step + 1}/{len(trace.steps)}: output[{current.row}, {current.col}] = {how} = "
        f"{number_text(current.value)}"
    )


def _draw_step(image_axis, output_axis, trace, step: int) -> None:
    """The (padded) image with the step's window outlined, and the output filled up to it."""
    current = trace.steps[step]
    padded = trace.padded.shape != trace.image.shape
    _draw_grid(image_axis, trace.padded, "padded image" if padded else "image")
    _outline(image_axis, current.rows, current.cols)
    filled = numpy.arange(len(trace.steps)).reshape(trace.output.shape) <= step
    _draw_grid(output_axis, trace.output, "output", shown=filled)
    _outline(output_axis, [current.row], [current.col])


def step_figure(trace, step: int | None = None):
    """The figure of one step (:func:`render_png`), left open; close it when done."""
    step = _check(trace, step, "step_figure")
    conv = isinstance(trace, ConvTrace)
    panels = 3 if conv else 2
    figure, axes = _pyplot().subplots(1, panels, figsize=(3.2 * panels, 3.4))
    _draw_step(axes[0], axes[-1], trace, step)
    if conv:
        _draw_grid(axes[1], trace.kernel, "kernel")
    figure.suptitle(_step_title(trace, step), fontsize=10)
    return figure


def render_png(trace, path, step: int | None = None) -> str:
    """Draw one step of a trace: the (padded) image with the window outlined, the kernel, and
    the output filled up to that step. Signed numbers are coloured red (> 0) and blue (< 0).

    Args:
        trace: a :class:`ConvTrace` or :class:`PoolTrace`.
        path: the PNG file to write (written to a temporary name, then renamed).
        step: the step to draw, 0-based (default: the last, the whole output).

    Returns:
        ``path``, as a string.

    Raises:
        ImportError: when matplotlib is not installed (``pip install convlens[viz]``).
        ValueError: for a step out of range.
    """
    _check(trace, step, "render_png")
    figure = step_figure(trace, step)
    try:
        return _write(figure, path)
    finally:
        _pyplot().close(figure)


def _write(figure, path) -> str:
    path = os.fspath(path)
    write_atomically(
        path, lambda stream: figure.savefig(stream, format="png", dpi=110, bbox_inches="tight")
    )
    return path


def sheet_figure(trace):
    """Every step of a trace on one figure: the kernel first (convolution), then one cell per
    step, the image with its window beside the output so far, :data:`SHEET_COLUMNS` a row."""
    _check(trace, None, "sheet_figure")
    count, conv = len(trace.steps), isinstance(trace, ConvTrace)
    if count > SHEET_STEPS:
        raise ValueError(
            f"a sheet of {count} steps would be unreadable (at most {SHEET_STEPS}); write a .gif "
            "instead (one frame per step) or use a smaller image"
        )
    cells = count + conv
    rows, columns = -(-cells // SHEET_COLUMNS), min(cells, SHEET_COLUMNS)
    side = max(1.6, 0.38 * max(trace.padded.shape))  # inches per grid: ~0.38 per number
    figure = _pyplot().figure(
        figsize=(columns * 2 * side, rows * (side + 0.6)), layout="constrained"
    )
    subfigures = numpy.atleast_1d(figure.subfigures(rows, columns, squeeze=False)).ravel()
    if conv:
        axis = subfigures[0].subplots(1, 1)
        _draw_grid(axis, trace.kernel, "kernel")
        subfigures[0].suptitle("the kernel slides over the image", fontsize=9)
    for step in range(count):
        cell = subfigures[step + conv]
        image_axis, output_axis = cell.subplots(1, 2)
        _draw_step(image_axis, output_axis, trace, step)
        cell.suptitle(_step_title(trace, step), fontsize=8)
    for cell in subfigures[cells:]:
        cell.set_visible(False)
    return figure


def render_steps(trace, path) -> str:
    """Draw every step of a trace: an animated GIF (one frame per step) when ``path`` ends with
    ``.gif``, else a PNG sheet of all steps (:func:`sheet_figure`, up to :data:`SHEET_STEPS`).

    Returns:
        ``path``, as a string.

    Raises:
        ValueError: for a sheet of more than :data:`SHEET_STEPS` steps (a GIF takes any number).
        ImportError: without matplotlib (or Pillow, for a GIF).
    """
    _check(trace, None, "render_steps")
    if os.fspath(path).lower().endswith(".gif"):
        frames = []
        for step in range(len(trace.steps)):
            figure = step_figure(trace, step)
            try:
                frames.append(figure_image(figure))
            finally:
                _pyplot().close(figure)
        return write_gif(frames, path, seconds_per_frame=0.7, last_frame_seconds=2.5)
    figure = sheet_figure(trace)
    try:
        return _write(figure, path)
    finally:
        _pyplot().close(figure)
