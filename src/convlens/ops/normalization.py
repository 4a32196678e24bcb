"""Layer and group normalisation: statistics of each sample, not of the batch.

Layer normalisation (Ba, Kiros & Hinton, 2016) normalises each sample over ``axis``; group
normalisation (Wu & He, 2018) splits the channels into groups and normalises each sample's group
over the group's channels and all spatial positions. Both behave the same in training and at
inference, keep no state, and are composed of differentiable ops (mean, subtract, multiply,
sqrt, divide), so the gradient, including through the statistics, needs no rule of its own.
"""

from __future__ import annotations

import numbers

from ..tensor import Tensor, as_tensor
from .elementwise import add, divide, multiply, sqrt, subtract
from .reduce import mean, normalize_axes
from .shape import reshape


def _standardize(x, axes, epsilon):
    """``(x - mean) / sqrt(var + epsilon)`` with the statistics over ``axes`` (biased var)."""
    centered = subtract(x, mean(x, axis=axes, keepdims=True))
    variance = mean(multiply(centered, centered), axis=axes, keepdims=True)
    return divide(centered, sqrt(add(variance, epsilon)))


def _scale_and_shift(op, y, gamma, beta, shape):
    """``y * gamma + beta``, each reshaped to ``shape`` (1 on the axes it is shared over)."""
    size = 1
    for n in shape:
        size *= n
    for name, value in (("gamma", gamma), ("beta", beta)):
        if value is not None and as_tensor(value).size != size:
            raise ValueError(
                f"{op}: expected {name} with {size} values (shape "
                f"{tuple(n for n in shape if n != 1) or (1,)}), received shape "
                f"{as_tensor(value).shape}."
            )
    if gamma is not None:
        y = multiply(y, reshape(gamma, shape))
    if beta is not None:
        y = add(y, reshape(beta, shape))
    return y


def _check_epsilon(op, epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or epsilon < 0:
        raise ValueError(f"{op}: epsilon must be a non-negative number, received {epsilon!r}.")


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3) -> Tensor:
    """Normalise each sample over ``axis``, then scale by ``gamma`` and shift by ``beta``.

    Args:
        x: a Tensor or array.
        gamma, beta: the sizes of ``x`` on ``axis`` (in increasing axis order), or None.
        axis: an int or a sequence of ints, the normalised axes.
        epsilon: added to the variance (Keras's default 1e-3).

    Returns:
        A Tensor of ``x``'s shape.

    Raises:
        ValueError: for an axis out of range, a negative epsilon, or gamma/beta of the wrong
            size.

    Example:
        >>> import numpy as np
        >>> layer_norm(np.array([[1.0, 3.0]]), epsilon=0.0).numpy().tolist()
        [[-1.0, 1.0]]
    """
    x = as_tensor(x)
    _check_epsilon("layer_norm", epsilon)
    try:
        axes = normalize_axes(axis, x.ndim, "layer_norm")
    except ValueError as error:
        raise ValueError(f"layer_norm: {error} Received input shape {x.shape}.") from None
    shape = tuple(n if i in axes else 1 for i, n in enumerate(x.shape))
    return _scale_and_shift("layer_norm", _standardize(x, axes, epsilon), gamma, beta, shape)


def group_norm(x, groups, gamma=None, beta=None, axis=-1, epsilon=1e-3) -> Tensor:
    """Normalise each sample's channel groups over their channels and every other axis.

    Args:
        x: a Tensor or array with a batch axis first.
        groups: the number of groups; it must divide the channels on ``axis``.
        gamma, beta: (C,) scale and offset per channel, or None.
        axis: the channel axis.
        epsilon: added to the variance.

    Returns:
        A Tensor of ``x``'s shape.

    Raises:
        ValueError: for an axis out of range or the batch axis, groups that do not divide the
            channels, a negative epsilon, gamma/beta not of shape (C,).

    Example:
        >>> import numpy as np
        >>> group_norm(np.array([[1.0, 3.0, 0.0, 2.0]]), 2, epsilon=0.0).numpy().tolist()
        [[-1.0, 1.0, -1.0, 1.0]]
    """
    x = as_tensor(x)
    _check_epsilon("group_norm", epsilon)
    if not -x.ndim <= axis < x.ndim or axis % x.ndim == 0:
        raise ValueError(
            f"group_norm: axis {axis} must name a channel axis of the input, not the batch "
            f"axis; received input shape {x.shape}."
        )
    axis = axis % x.ndim
    channels = x.shape[axis]
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1 or channels % groups:
        raise ValueError(
            f"group_norm: groups must be a positive int dividing the {channels} channels, "
            f"received {groups!r}."
        )
    grouped_shape = x.shape[:axis] + (groups, channels // groups) + x.shape[axis + 1 :]
    grouped = reshape(x, grouped_shape)  # (N, ..., G, C/G, ...)
    axes = tuple(i for i in range(1, grouped.ndim) if i != axis)  # all but batch and group
    y = reshape(_standardize(grouped, axes, epsilon), x.shape)
    shape = tuple(n if i == axis else 1 for i, n in enumerate(x.shape))
    return _scale_and_shift("group_norm", y, gamma, beta, shape)
