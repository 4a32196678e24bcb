"""The traces: convolution and pooling worked cell by cell, as plain dataclasses.

Built with plain loops, for reading; the tests check that their outputs equal ``ops.conv2d``
and the pooling ops. Sizes come from :func:`~convlens.ops.conv_output_size`, never from a
second implementation of the formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy

from .. import filters
from ..arguments import check_fits_in_memory
from ..kernels.geometry import conv_output_size, resolve_padding
from ..ops.padding import to_pair

POOL_MODES = ("max", "min", "mean")


@dataclass(frozen=True)
class OutputSize:
    """The lecture's output-size formula along one axis, with its numbers.

    ``value`` comes from :func:`~convlens.ops.conv_output_size`; ``formula`` only writes
    it out, e.g. ``(N + 2P - D(F-1) - 1)/S + 1 = (4 + 0 - 1 - 1)/1 + 1 = 3``.
    """

    axis: str  # "height" or "width"
    n: int  # N: input length
    padding: tuple[int, int]  # P before and after (2P when equal)
    kernel_size: int  # F
    stride: int  # S
    dilation: int  # D
    value: int

    @property
    def formula(self) -> str:
        n, s, d, f = self.n, self.stride, self.dilation, self.kernel_size
        before, after = self.padding
        symbols = "N + 2P" if before == after else "N + P_before + P_after"
        filled = f"{n} + {before + after} - {d * (f - 1)} - 1"
        if (n + before + after - d * (f - 1) - 1) % s == 0:
            return f"({symbols} - D(F-1) - 1)/S + 1 = ({filled})/{s} + 1 = {self.value}"
        return f"floor(({symbols} - D(F-1) - 1)/S) + 1 = floor(({filled})/{s}) + 1 = {self.value}"


@dataclass(frozen=True)
class Step:
    """One output cell, in row-major order: the window it reads and the value placed there."""

    index: int  # 0, 1, ...
    row: int  # the output cell
    col: int
    rows: tuple[int, ...]  # rows of the padded image read (spaced by the dilation)
    cols: tuple[int, ...]
    window: numpy.ndarray  # the values read; NaN marks pooling's padding, which never counts
    value: float  # placed in output[row, col]


@dataclass(frozen=True)
class ConvStep(Step):
    """A convolution's cell: ``value = total = products.sum()``, ``products = window * kernel``."""

    products: numpy.ndarray
    total: float


@dataclass(frozen=True)
class PoolStep(Step):
    """A pooling's cell: max/min keep ``value`` from ``position`` (row, col of the padded
    image); mean divides ``total`` (of the real cells) by their ``count``."""

    position: tuple[int, int] | None = None
    total: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class Trace:
    """What both traces hold: the input, the geometry, the steps and the output."""

    image: numpy.ndarray
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    padded: numpy.ndarray  # convolution: zeros around; pooling: NaN (never counted)
    sizes: tuple[OutputSize, OutputSize]  # height, width
    steps: tuple[Step, ...]
    output: numpy.ndarray


@dataclass(frozen=True)
class ConvTrace(Trace):
    """A convolution worked step by step (see :func:`explain_conv`)."""

    kernel: numpy.ndarray
    dilation: tuple[int, int]


@dataclass(frozen=True)
class PoolTrace(Trace):
    """A pooling worked step by step (see :func:`explain_pool`)."""

    mode: str  # "max", "min" or "mean"
    pool_size: tuple[int, int]


def _grid(image, op: str) -> numpy.ndarray:
    values = numpy.asarray(image)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected an image of numbers, received dtype {values.dtype}.")
    if values.ndim != 2 or values.size == 0:
        raise ValueError(
            f"{op}: expected a non-empty 2-D image (H, W) (one channel), received shape "
            f"{values.shape}."
        )
    values = values.astype(numpy.float64)
    if not numpy.isfinite(values).all():
        raise ValueError(f"{op}: the image must hold finite numbers.")
    return values


def _sizes(op, shape, window, strides, amounts, dilation) -> tuple[OutputSize, OutputSize]:
    sizes = []
    for axis, n, f, s, p, d in zip(
        ("height", "width"), shape, window, strides, amounts, dilation, strict=True
    ):
        try:
            value = conv_output_size(n, f, s, p, d)
        except ValueError as error:
            raise ValueError(f"{op}: along the {axis}, {error}") from None
        sizes.append(OutputSize(axis, n, tuple(p), f, s, d, value))
    return tuple(sizes)


def _windows(sizes, strides, shape, dilation):
    """``(row, col, rows, cols)`` for every output cell, row by row: the rows and columns of the
    padded image that its window reads."""
    for row, col in product(range(sizes[0].value), range(sizes[1].value)):
        rows = tuple(row * strides[0] + i * dilation[0] for i in range(shape[0]))
        cols = tuple(col * strides[1] + j * dilation[1] for j in range(shape[1]))
        yield row, col, rows, cols


def _output(steps, sizes) -> numpy.ndarray:
    return numpy.array([step.value for step in steps]).reshape(sizes[0].value, sizes[1].value)


def explain_conv(image, kernel, stride=1, padding=0, dilation=1) -> ConvTrace:
    """A convolution (cross-correlation, as the lecture) of a grey image, worked step by step.

    Args:
        image: a 2-D array or nested list (H, W).
        kernel: a 2-D array or list (KH, KW), or a name of :data:`convlens.filters.KERNELS`.
        stride: S, an int or a pair.
        padding: P zeros on every side (an int), a pair ``(P_h, P_w)``,
            ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"``.
        dilation: D, an int or a pair: the kernel reads every D-th pixel.

    Returns:
        A :class:`ConvTrace`; its ``output`` equals ``ops.conv2d`` with the same arguments.

    Raises:
        ValueError: for a non-2-D image or kernel, a bad stride, padding or dilation, or a
            kernel larger than the padded image.

    Example:
        >>> trace = explain_conv([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]],
        ...                      [[1, 0], [1, -1]])
        >>> trace.steps[0].products.ravel().tolist(), trace.steps[0].value
        ([5.0, 0.0, 6.0, -7.0], 4.0)
        >>> trace.sizes[0].formula
        '(N + 2P - D(F-1) - 1)/S + 1 = (4 + 0 - 1 - 1)/1 + 1 = 3'
    """
    image = _grid(image, "explain_conv")
    kernel = filters.get_kernel(kernel)
    strides = to_pair(stride, "explain_conv: stride")
    dilation = to_pair(dilation, "explain_conv: dilation")
    amounts = resolve_padding(padding, image.shape, kernel.shape, strides, dilation)
    sizes = _sizes("explain_conv", image.shape, kernel.shape, strides, amounts, dilation)
    padded = _padded(image, amounts, 0.0, "explain_conv")  # zeros, as on "Stride & Padding"
    steps = []
    for row, col, rows, cols in _windows(sizes, strides, kernel.shape, dilation):
        window = padded[numpy.ix_(rows, cols)]
        products = window * kernel
        total = float(products.sum())
        steps.append(ConvStep(len(steps), row, col, rows, cols, window, total, products, total))
    return ConvTrace(
        image,
        strides,
        amounts,
        padded,
        sizes,
        tuple(steps),
        _output(steps, sizes),
        kernel=kernel,
        dilation=dilation,
    )


def _pool_step(index, row, col, rows, cols, window, mode) -> PoolStep:
    if mode == "mean":
        real = ~numpy.isnan(window)
        total, count = float(window[real].sum()), int(real.sum())
        return PoolStep(
            index, row, col, rows, cols, window, total / count, total=total, count=count
        )
    # nanargmax/nanargmin: padding never wins; among equal values the first, row by row
    k = int(numpy.nanargmax(window) if mode == "max" else numpy.nanargmin(window))
    i, j = divmod(k, window.shape[1])
    value = float(window[i, j])
    return PoolStep(index, row, col, rows, cols, window, value, position=(rows[i], cols[j]))


def explain_pool(image, pool_size=2, stride=None, padding="valid", mode="max") -> PoolTrace:
    """Max, min or mean pooling of a grey image, worked step by step.

    Args:
        image: a 2-D array or nested list (H, W).
        pool_size: an int or a pair.
        stride: an int or a pair; ``None`` means the pool size (as Keras).
        padding: ``"valid"`` or ``"same"`` (as the pooling ops: padded cells never win and the
            mean counts real cells only).
        mode: ``"max"``, ``"min"`` or ``"mean"``.

    Returns:
        A :class:`PoolTrace`; its ``output`` equals ``ops.max_pool2d`` / ``min_pool2d`` /
        ``avg_pool2d``.

    Raises:
        ValueError: for an unknown mode or padding, a non-2-D image, a pool larger than it.

    Example:
        >>> image = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
        >>> explain_pool(image, 2, mode="max").output.tolist()
        [[6.0, 8.0], [3.0, 4.0]]
    """
    if mode not in POOL_MODES:
        raise ValueError(f"explain_pool: unknown mode {mode!r}; expected one of {POOL_MODES}.")
    if not (isinstance(padding, str) and padding.lower() in ("valid", "same")):
        raise ValueError(f'explain_pool: padding must be "valid" or "same", received {padding!r}.')
    image = _grid(image, "explain_pool")
    pool = to_pair(pool_size, "explain_pool: pool_size")
    strides = pool if stride is None else to_pair(stride, "explain_pool: stride")
    amounts = resolve_padding(padding.lower(), image.shape, pool, strides)
    sizes = _sizes("explain_pool", image.shape, pool, strides, amounts, (1, 1))
    padded = _padded(image, amounts, numpy.nan, "explain_pool")
    steps = []
    for row, col, rows, cols in _windows(sizes, strides, pool, (1, 1)):
        window = padded[numpy.ix_(rows, cols)]
        steps.append(_pool_step(len(steps), row, col, rows, cols, window, mode))
    return PoolTrace(
        image,
        strides,
        amounts,
        padded,
        sizes,
        tuple(steps),
        _output(steps, sizes),
        mode=mode,
        pool_size=pool,
    )


def _padded(image, amounts, fill, owner):
    """``image`` padded by ``amounts`` with ``fill``, refused first when it cannot fit."""
    shape = [n + sum(pair) for n, pair in zip(image.shape, amounts)]
    check_fits_in_memory(8 * shape[0] * shape[1], f"padding {amounts}", owner)
    return numpy.pad(image, amounts, constant_values=fill)
