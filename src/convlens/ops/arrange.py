"""Tiling, repeating, splitting, gathering and sorting, with Keras 3's ``keras.ops`` names.

Each primitive's backward sends every output gradient back to the element it was copied from:
tiles and repeats are summed, gathers are scattered with ``add.at`` (an index may repeat).
"""

from __future__ import annotations

import numpy

from .. import backend
from ..arguments import check_axes, check_axis, check_shape
from ..tensor import Function, Tensor, as_tensor
from .creation import _array, wrap
from .elementwise import unbroadcast
from .shape import getitem, reshape, squeeze, transpose


class Tile(Function):
    def forward(self, a, repeats):
        self.shape, self.repeats = a.shape, repeats
        return backend.xp.tile(a, repeats)

    def backward(self, grad):  # each tile's gradient adds up on the original
        split = []
        for r, n in zip(self.repeats, self.shape):
            split += [r, n]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))  # (r0, n0, r1, n1..)
        return summed


class Repeat(Function):
    def forward(self, a, repeats, axis):
        self.shape, self.dtype, self.axis = a.shape, a.dtype, axis
        counts = numpy.broadcast_to(numpy.asarray(repeats), (a.shape[axis],))
        self.source = numpy.repeat(numpy.arange(a.shape[axis]), counts)  # output -> input index
        return backend.xp.repeat(a, repeats, axis=axis)

    def backward(self, grad):  # each element collects the gradients of its copies
        xp = backend.xp
        a_grad = xp.zeros(self.shape, dtype=self.dtype)
        xp.add.at(a_grad, (slice(None),) * self.axis + (xp.asarray(self.source),), grad)
        return a_grad


class BroadcastTo(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return backend.xp.broadcast_to(a, shape).copy()

    def backward(self, grad):
        return unbroadcast(grad, self.shape)


class TakeAlongAxis(Function):
    def forward(self, a, indices, axis):
        self.shape, self.dtype, self.indices, self.axis = a.shape, a.dtype, indices, axis
        return backend.xp.take_along_axis(a, indices, axis=axis)

    def backward(self, grad):  # scatter back; repeated indices add up
        xp = backend.xp
        a_grad = xp.zeros(self.shape, dtype=self.dtype)
        index = list(xp.indices(self.indices.shape, sparse=True))
        index[self.axis] = self.indices
        xp.add.at(a_grad, tuple(index), grad)
        return a_grad, None


def tile(x, repeats) -> Tensor:
    """Repeat the whole of ``x`` ``repeats`` times along each axis (as ``numpy.tile``)."""
    x = as_tensor(x)
    repeats = check_shape(repeats, "repeats", "tile")
    rank = max(x.ndim, len(repeats))
    x = reshape(x, (1,) * (rank - x.ndim) + x.shape)
    repeats = (1,) * (rank - len(repeats)) + repeats
    return Tile.apply(x, repeats=repeats)


def repeat(x, repeats, axis=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (the flattened ``x`` when None).

    Raises:
        ValueError: for a ``repeats`` list whose length differs from the axis's.
    """
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = check_axis(axis, x.ndim, "repeat")
    repeats = _array(repeats) if not isinstance(repeats, int) else repeats
    if numpy.ndim(repeats) == 1 and len(repeats) not in (1, x.shape[axis]):
        raise ValueError(
            f"repeat: {len(repeats)} repeat counts for an axis of length {x.shape[axis]}."
        )
    if numpy.ndim(repeats) == 1:
        repeats = backend.to_numpy(repeats)
    return Repeat.apply(x, repeats=repeats, axis=axis)


def broadcast_to(x, shape) -> Tensor:
    """``x`` broadcast to ``shape`` (NumPy's rules); the gradient sums the copies."""
    x = as_tensor(x)
    shape = check_shape(shape, "shape", "broadcast_to")
    try:
        numpy.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(
            f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to {shape}; each axis "
            "must agree with the target or be 1."
        ) from None
    return BroadcastTo.apply(x, shape=shape)


def moveaxis(x, source, destination) -> Tensor:
    """Move axes to new positions, keeping the order of the others."""
    x = as_tensor(x)
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise ValueError(
            f"moveaxis: {len(source)} source axes but {len(destination)} destinations."
        )
    source = list(check_axes(tuple(source), x.ndim, "moveaxis", "source"))
    order = [a for a in range(x.ndim) if a not in source]
    targets = check_axes(tuple(destination), x.ndim, "moveaxis", "destination")
    for target, axis in sorted(zip(targets, source)):
        order.insert(target, axis)
    return transpose(x, tuple(order))


def swapaxes(x, axis1, axis2) -> Tensor:
    """Exchange two axes."""
    x = as_tensor(x)
    order = list(range(x.ndim))
    axis1 = check_axis(axis1, x.ndim, "swapaxes", "axis1")
    axis2 = check_axis(axis2, x.ndim, "swapaxes", "axis2")
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return transpose(x, tuple(order))


def ravel(x) -> Tensor:
    """``x`` as a 1-D tensor."""
    return reshape(x, (-1,))


def split(x, indices_or_sections, axis=0) -> list[Tensor]:
    """Cut ``x`` along ``axis`` into equal sections or at the given indices (as NumPy).

    Raises:
        ValueError: when a number of sections does not divide the axis.
    """
    x = as_tensor(x)
    axis = check_axis(axis, x.ndim, "split")
    length = x.shape[axis]
    if numpy.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections < 1 or length % sections:
            raise ValueError(
                f"split: {sections} sections do not divide axis {axis} of length {length} equally."
            )
        cuts = list(range(0, length, length // sections))[1:]
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0] + cuts + [length]
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index = (slice(None),) * axis + (slice(start, stop),)
        pieces.append(getitem(x, index))
    return pieces


def unstack(x, num=None, axis=0) -> list[Tensor]:
    """The slices of ``x`` along ``axis``, that axis removed.

    Raises:
        ValueError: when ``num`` is given and differs from the axis's length.
    """
    x = as_tensor(x)
    axis = check_axis(axis, x.ndim, "unstack")
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} but axis {axis} has length {x.shape[axis]}.")
    return [squeeze(p, axis) for p in split(x, x.shape[axis], axis)] if x.shape[axis] else []


def take(x, indices, axis=None) -> Tensor:
    """Gather elements (the flattened ``x`` when ``axis`` is None) at integer ``indices``."""
    x = as_tensor(x)
    indices = backend.xp.asarray(_array(indices)).astype(numpy.int64)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = check_axis(axis, x.ndim, "take")
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x, indices, axis=None) -> Tensor:
    """Pick one element per position along ``axis`` (as ``numpy.take_along_axis``)."""
    x = as_tensor(x)
    indices = backend.xp.asarray(_array(indices)).astype(numpy.int64)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = check_axis(axis, x.ndim, "take_along_axis")
    shape = numpy.broadcast_shapes(
        x.shape[:axis] + (1,) + x.shape[axis + 1 :],
        indices.shape[:axis] + (1,) + indices.shape[axis + 1 :],
    )
    indices = backend.xp.broadcast_to(
        indices, shape[:axis] + (indices.shape[axis],) + shape[axis + 1 :]
    )
    if x.shape[:axis] + x.shape[axis + 1 :] != shape[:axis] + shape[axis + 1 :]:
        x = broadcast_to(x, shape[:axis] + (x.shape[axis],) + shape[axis + 1 :])
    return TakeAlongAxis.apply(x, wrap(indices), axis=axis)


def sort(x, axis=-1) -> Tensor:
    """The values sorted ascending along ``axis``; the gradient follows each value."""
    x = as_tensor(x)
    axis = check_axis(axis, x.ndim, "sort")
    order = backend.xp.argsort(x.data, axis=axis, kind="stable")
    return take_along_axis(x, order, axis=axis)


def argsort(x, axis=-1) -> Tensor:
    """The indices that sort ``x`` along ``axis`` (int32)."""
    array = _array(x)
    order = backend.xp.argsort(array, axis=check_axis(axis, array.ndim, "argsort"), kind="stable")
    return wrap(order.astype(numpy.int32))


def flip(x, axis=None) -> Tensor:
    """Reverse the order of the elements along ``axis`` (every axis when None)."""
    x = as_tensor(x)
    index = [slice(None)] * x.ndim
    for a in check_axes(axis, x.ndim, "flip"):
        index[a] = slice(None, None, -1)
    return getitem(x, tuple(index))


def top_k(x, k, sorted=True) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their int32 indices.

    Ties keep the lower index first, as Keras's. The values are differentiable.

    Raises:
        ValueError: when ``k`` exceeds the last axis's length.
    """
    x = as_tensor(x)
    if not 0 < int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k={k} must be in [1, {x.shape[-1]}] for shape {x.shape}.")
    order = backend.xp.argsort(-x.data, axis=-1, kind="stable")[..., : int(k)]
    return take_along_axis(x, order, axis=-1), wrap(order.astype(numpy.int32))
