"""Convolution and pooling step by step, as the lecture works them by hand.

:func:`explain_conv` and :func:`explain_pool` return a trace (plain dataclasses): the output-size
formula with the numbers filled in, the padded image, and for every output cell, in order, the
window it reads and how its value is made. :func:`format_text` writes a trace as the slides do;
:func:`render_png` draws one step, :func:`render_steps` every step (a PNG sheet or an
animated GIF; matplotlib, the optional ``viz`` extra).

Example:
    >>> from convlens import explain
    >>> trace = explain.explain_conv([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]],
    ...                              [[1, 0], [1, -1]])
    >>> trace.output.tolist()
    [[4.0, 1.0, 6.0], [5.0, 8.0, 7.0], [5.0, 3.0, 3.0]]
"""

from .picture import render_png, render_steps, sheet_figure, step_figure
from .text import format_text
from .trace import (
    POOL_MODES,
    ConvStep,
    ConvTrace,
    OutputSize,
    PoolStep,
    PoolTrace,
    Step,
    Trace,
    explain_conv,
    explain_pool,
)

__all__ = [
    "POOL_MODES",
    "ConvStep",
    "ConvTrace",
    "OutputSize",
    "PoolStep",
    "PoolTrace",
    "Step",
    "Trace",
    "explain_conv",
    "explain_pool",
    "format_text",
    "render_png",
    "render_steps",
    "sheet_figure",
    "step_figure",
]
