"""Ops that move values without changing them: reshape, transpose, slicing, joining."""

from __future__ import annotations

import itertools

from .. import backend
from ..arguments import check_axes, check_axis
from ..tensor import Function, Tensor, as_tensor


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class Transpose(Function):
    def forward(self, a, axes):
        self.axes = axes
        return a.transpose(axes)

    def backward(self, grad):  # undo the permutation
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return grad.transpose(inverse)


class GetItem(Function):
    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad):
        xp = backend.xp
        a_grad = xp.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            a_grad[self.index] = grad  # basic slicing never repeats an element
        else:
            xp.add.at(a_grad, self.index, grad)  # integer arrays may pick an element twice
        return a_grad


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class Concatenate(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = list(itertools.accumulate([0] + [a.shape[axis] for a in arrays]))
        return backend.xp.concatenate(arrays, axis=axis)

    def backward(self, grad):  # each input takes back its own slab
        slabs = []
        for start, stop in zip(self.bounds[:-1], self.bounds[1:]):
            index = [slice(None)] * grad.ndim
            index[self.axis] = slice(start, stop)
            slabs.append(grad[tuple(index)])
        return tuple(slabs)


def reshape(a, shape) -> Tensor:
    """The same values in a new shape (one dimension may be -1).

    Raises:
        ValueError: when the sizes do not match.
    """
    a = as_tensor(a)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    try:
        return Reshape.apply(a, shape=shape)
    except ValueError as error:
        raise ValueError(f"cannot reshape a tensor of shape {a.shape} into {shape}.") from error


def transpose(a, axes=None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    a = as_tensor(a)
    axes = (
        tuple(reversed(range(a.ndim)))
        if axes is None
        else check_axes(tuple(axes), a.ndim, "transpose", "axes")
    )
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of {a.ndim} axes.")
    return Transpose.apply(a, axes=axes)


def getitem(a, index) -> Tensor:
    """``a[index]`` with NumPy's basic and advanced indexing."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem.apply(a, index=index)


def flatten(a, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge the axes from ``start_axis`` to ``end_axis`` into one (as ``torch.flatten``).

    Example:
        >>> import convlens as cl, numpy as np
        >>> cl.ops.flatten(np.zeros((2, 3, 4)), start_axis=1).shape
        (2, 12)
    """
    a = as_tensor(a)
    rank = max(a.ndim, 1)
    start = check_axis(start_axis, rank, "flatten", "start_axis")
    end = check_axis(end_axis, rank, "flatten", "end_axis")
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}.")
    merged = 1
    for n in a.shape[start : end + 1]:
        merged *= n
    return reshape(a, a.shape[:start] + (merged,) + a.shape[end + 1 :])


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    Raises:
        ValueError: for an empty list or shapes that differ off ``axis``.
    """
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor.")
    axis = check_axis(axis, tensors[0].ndim, "concatenate")
    first = tensors[0].shape
    for t in tensors[1:]:
        if t.ndim != len(first) or any(
            n != m for i, (n, m) in enumerate(zip(t.shape, first)) if i != axis
        ):
            raise ValueError(
                f"concatenate on axis {axis}: shapes {first} and {t.shape} differ off that axis."
            )
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor.")
    axis = check_axis(axis, tensors[0].ndim + 1, "stack")
    expanded = [reshape(t, t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}.")
    return concatenate(expanded, axis=axis)


def expand_dims(a, axis: int) -> Tensor:
    """Insert an axis of length 1."""
    a = as_tensor(a)
    axis = check_axis(axis, a.ndim + 1, "expand_dims")
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def squeeze(a, axis=None) -> Tensor:
    """Remove axes of length 1 (all of them when ``axis`` is None)."""
    a = as_tensor(a)
    if axis is None:
        axes = {i for i, n in enumerate(a.shape) if n == 1}
    else:
        axes = set(check_axes(axis, a.ndim, "squeeze"))
        for ax in sorted(axes):
            if a.shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} of shape {a.shape} has length {a.shape[ax]}.")
    return reshape(a, tuple(n for i, n in enumerate(a.shape) if i not in axes))
