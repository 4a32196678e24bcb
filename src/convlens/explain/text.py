"""A trace as text, step by step as the slides write it."""

from __future__ import annotations

from dataclasses import replace

import numpy

from .trace import ConvStep, ConvTrace, PoolTrace


def number_text(value) -> str:
    """A value as the slides write it: ``4``, ``-7``, ``3.25``; ``pad`` for pooling's padding."""
    if numpy.isnan(value):
        return "pad"
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.4g}"


def _matrix(values, indent: str = "  ") -> list[str]:
    cells = [[number_text(v).replace("pad", ".") for v in row] for row in values]
    width = max(len(c) for row in cells for c in row)
    return [indent + " ".join(c.rjust(width) for c in row) for row in cells]


def _span(indices) -> str:
    if len(indices) == 1:
        return str(indices[0])
    if all(b - a == 1 for a, b in zip(indices, indices[1:], strict=False)):
        return f"{indices[0]}-{indices[-1]}"
    return ",".join(str(i) for i in indices)


def _inline(window) -> str:
    return (
        "[" + ", ".join("[" + ", ".join(number_text(v) for v in row) + "]" for row in window) + "]"
    )


def _signed_sum(terms) -> str:
    text = number_text(terms[0])
    for term in terms[1:]:
        text += f" - {number_text(-term)}" if term < 0 else f" + {number_text(term)}"
    return text


def _step_text(step, trace) -> list[str]:
    where = f"step {step.index + 1}: output[{step.row}, {step.col}] <- window rows "
    where += f"{_span(step.rows)}, columns {_span(step.cols)} {_inline(step.window)}"
    if isinstance(step, ConvStep):
        pairs = [
            f"{number_text(w)}*{number_text(k) if k >= 0 else f'({number_text(k)})'}"
            for w, k in zip(step.window.ravel(), trace.kernel.ravel(), strict=True)
        ]
        sums = _signed_sum(step.products.ravel())
        return [where, f"    {' + '.join(pairs)} = {sums} = {number_text(step.value)}"]
    if trace.mode == "mean":
        real = step.window[~numpy.isnan(step.window)]
        return [
            where,
            f"    mean = ({_signed_sum(real)}) / {step.count} = "
            f"{number_text(step.total)} / {step.count} = {number_text(step.value)}",
        ]
    at = f"row {step.position[0]}, column {step.position[1]}"
    image = "padded image" if trace.padded.shape != trace.image.shape else "image"
    return [where, f"    {trace.mode} = {number_text(step.value)} (at {at} of the {image})"]


def _pair(symbol: str, pair) -> str:
    return f"{symbol}={pair[0]}" if pair[0] == pair[1] else f"{symbol}={tuple(pair)}"


def _settings(trace) -> str:
    (top, bottom), (left, right) = trace.padding
    if top == bottom == left == right:
        padding = f"P={top}"
    elif (top, left) == (bottom, right):
        padding = f"P=({top}, {left})"
    else:
        padding = f"padding ((top, bottom), (left, right)) = {trace.padding}"
    text = f"stride {_pair('S', trace.stride)}, {padding}"
    dilation = getattr(trace, "dilation", (1, 1))
    return text + (f", dilation {_pair('D', dilation)}" if dilation != (1, 1) else "")


def _header(trace) -> list[str]:
    (top, bottom), (left, right) = trace.padding
    height, width = trace.image.shape
    if isinstance(trace, ConvTrace):
        title = (
            f"Convolution (cross-correlation, as in the lecture) of a {height}x{width} image "
            f"with a {trace.kernel.shape[0]}x{trace.kernel.shape[1]} kernel, "
            f"{_settings(trace)}."
        )
        extra = ["", "kernel:"] + _matrix(trace.kernel)
    else:
        title = (
            f"{trace.mode.capitalize()} pooling of a {height}x{width} image with a "
            f"{trace.pool_size[0]}x{trace.pool_size[1]} window, {_settings(trace)}."
        )
        extra = []
    lines = [title, "", "image:"] + _matrix(trace.image) + extra
    if top or bottom or left or right:
        shape = trace.padded.shape
        fill = "zeros" if isinstance(trace, ConvTrace) else "'.': padding, never counted"
        lines += ["", f"padded image ({shape[0]}x{shape[1]}, {fill}):"] + _matrix(trace.padded)
    lines += [""]
    if replace(trace.sizes[1], axis="height") == trace.sizes[0]:
        lines += [f"output size: {trace.sizes[0].formula}"]
    else:
        lines += [f"output {size.axis}: {size.formula}" for size in trace.sizes]
    return lines + [f"output: {trace.output.shape[0]}x{trace.output.shape[1]}", ""]


def format_text(trace, max_steps: int | None = None) -> str:
    """A trace as readable text, step by step like the slides.

    Args:
        trace: a :class:`ConvTrace` or :class:`PoolTrace`.
        max_steps: show only the first steps (``None``: all), then how many were left out.

    Example:
        >>> from convlens.explain import explain_conv
        >>> trace = explain_conv([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]],
        ...                      [[1, 0], [1, -1]])
        >>> text = format_text(trace)
        >>> print(text[text.index("step 1:"):text.index("step 2:")])
        step 1: output[0, 0] <- window rows 0-1, columns 0-1 [[5, 2], [6, 7]]
            5*1 + 2*0 + 6*1 + 7*(-1) = 5 + 0 + 6 - 7 = 4
        <BLANKLINE>
    """
    if not isinstance(trace, (ConvTrace, PoolTrace)):
        raise TypeError(f"format_text: expected a ConvTrace or PoolTrace, received {trace!r}.")
    lines = _header(trace)
    shown = trace.steps if max_steps is None else trace.steps[:max_steps]
    for step in shown:
        lines += _step_text(step, trace)
    if len(shown) < len(trace.steps):
        left_out = len(trace.steps) - len(shown)
        lines += [f"... {left_out} more step{'s' if left_out > 1 else ''}"]
    return "\n".join(lines + ["", "output:"] + _matrix(trace.output))
