"""A picture of one step of a trace (matplotlib, the optional ``viz`` extra, imported lazily)."""

from __future__ import annotations

import os
from itertools import product

import numpy

from ..atomic_files import write_atomically
from .text import number_text
from .trace import ConvTrace, PoolTrace


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("Pictures need matplotlib: pip install convlens[viz]") from error
    matplotlib.use("Agg")  # files only: no window needed
    import matplotlib.pyplot as pyplot

    return pyplot


def _draw_grid(axis, values, title, shown=None, numbers=True):
    """``values`` as grey cells with their numbers; cells where ``shown`` is False stay blank."""
    shown = numpy.ones(values.shape, bool) if shown is None else shown
    visible = numpy.where(shown & ~numpy.isnan(values), values, numpy.nan)
    axis.imshow(visible, cmap="Greys", alpha=0.35)
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


def render_png(trace, path, step: int | None = None) -> str:
    """Draw one step of a trace: the (padded) image with the window outlined, the kernel, and
    the output filled up to that step.

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
    if not isinstance(trace, (ConvTrace, PoolTrace)):
        raise TypeError(f"render_png: expected a ConvTrace or PoolTrace, received {trace!r}.")
    count = len(trace.steps)
    step = count - 1 if step is None else step
    if not 0 <= step < count:
        raise ValueError(f"render_png: step must be in 0..{count - 1}, received {step}.")
    pyplot = _pyplot()
    from matplotlib.patches import Rectangle

    current = trace.steps[step]
    conv = isinstance(trace, ConvTrace)
    panels = 3 if conv else 2
    figure, axes = pyplot.subplots(1, panels, figsize=(3.2 * panels, 3.4))
    _draw_grid(
        axes[0],
        trace.padded,
        "padded image" if trace.padded.shape != trace.image.shape else "image",
    )
    for i, j in product(current.rows, current.cols):
        axes[0].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, color="red", lw=2))
    if conv:
        _draw_grid(axes[1], trace.kernel, "kernel")
    filled = numpy.arange(count).reshape(trace.output.shape) <= step
    _draw_grid(axes[-1], trace.output, "output", shown=filled)
    axes[-1].add_patch(
        Rectangle((current.col - 0.5, current.row - 0.5), 1, 1, fill=False, color="red", lw=2)
    )
    how = "sum of window x kernel" if conv else f"{trace.mode} of the window"
    figure.suptitle(
        f"step {step + 1}/{count}: output[{current.row}, {current.col}] = {how} = "
        f"{number_text(current.value)}",
        fontsize=10,
    )
    path = os.fspath(path)
    try:
        write_atomically(
            path, lambda stream: figure.savefig(stream, format="png", dpi=110, bbox_inches="tight")
        )
    finally:
        pyplot.close(figure)
    return path
