"""``Normalization``: standardise features with a mean and variance given or learnt by
``adapt(data)`` (Keras 3's layer, arguments and weights)."""

from __future__ import annotations

import itertools
import math
import numbers

import numpy

from ... import backend, config, ops
from ...tensor import Tensor
from ..layer import Layer


def _batches(layer, data):
    """``data`` as an iterator of host arrays: one array (or nested lists of numbers), or an
    iterable of batches, where an ``(x, y)`` pair yields its ``x``."""
    if isinstance(data, Tensor) or hasattr(data, "shape"):
        return iter([backend.to_numpy(getattr(data, "data", data))])
    if isinstance(data, list) and data and isinstance(data[0], (list, numbers.Real)):
        return iter([numpy.asarray(data)])  # nested lists of numbers: one array
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f'{type(layer).__name__} "{layer.name}": adapt() expects an array or an iterable of '
            f"batches, received {type(data).__name__}."
        )

    def arrays():
        for batch in data:
            if isinstance(batch, (tuple, list)) and batch and hasattr(batch[0], "shape"):
                batch = batch[0]  # (x, y) or (x, y, sample_weight): the features
            yield backend.to_numpy(getattr(batch, "data", batch))

    return arrays()


class Normalization(Layer):
    """Map features to zero mean and unit variance: ``(x - mean) / sqrt(variance)``, or back
    with ``invert=True``.

    Args:
        axis: the axis or axes that keep their own mean and variance (per channel with -1,
            the default); the others are averaged over. ``None``: one mean for everything.
        mean, variance: fixed statistics (broadcast to the kept axes); else ``adapt`` learns
            them into the weights ``mean``, ``variance`` and ``count``, saved with the model.
        invert: map standardised values back (``x · sqrt(variance) + mean``).

    Example:
        >>> import numpy
        >>> from convlens import layers
        >>> layer = layers.Normalization()
        >>> layer.adapt(numpy.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(numpy.array([[1.0, 20.0]])).numpy().tolist()
        [[0.0, 0.0]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        accepted = "an int, a tuple of ints or None"
        axes = () if axis is None else (axis,) if isinstance(axis, int) else None
        axes = self.sequence(axis, "axis", accepted) if axes is None else axes
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": axis must be an int, a tuple of ints or '
                f"None, received {axis!r}."
            )
        self.axis, self.invert = axes, bool(invert)
        if (mean is None) != (variance is None):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": give both mean and variance or neither, '
                f"received mean={mean!r} and variance={variance!r}."
            )
        if mean is not None and numpy.shape(mean) != numpy.shape(variance):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": mean and variance must have the same '
                f"shape, received {numpy.shape(mean)} and {numpy.shape(variance)}."
            )
        if mean is not None and numpy.ndim(mean) > len(axes):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": mean has rank {numpy.ndim(mean)}, more '
                f"than the {len(axes)} kept axes {axes}."
            )
        self.input_mean = None if mean is None else numpy.asarray(mean, dtype=float).tolist()
        self.input_variance = (
            None if variance is None else numpy.asarray(variance, dtype=float).tolist()
        )

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise self.shape_error(f"an input with every axis of {self.axis}", input_shape)
        self.keep = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[a] is None for a in self.keep):
            raise self.shape_error(f"known sizes on the kept axes {self.axis}", input_shape)
        self.reduce = tuple(a for a in range(ndim) if a not in self.keep)
        self.broadcast_shape = tuple(input_shape[a] if a in self.keep else 1 for a in range(ndim))
        kept_shape = tuple(input_shape[a] for a in self.keep)
        if self.input_mean is None:  # learnt by adapt, saved with the model (Keras's names)
            self.mean = self.add_weight("mean", kept_shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", kept_shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", dtype="int32", trainable=False)
        else:
            self.fixed = [self._broadcast_fixed(v) for v in (self.input_mean, self.input_variance)]
        self.built = True

    def _broadcast_fixed(self, value):
        """A given mean or variance, its trailing axes aligned with the kept axes."""
        value = numpy.asarray(value, dtype=self.dtype)
        shape = [1] * len(self.broadcast_shape)
        for i in range(1, value.ndim + 1):
            shape[self.keep[-i]] = value.shape[-i]
        return numpy.broadcast_to(value.reshape(shape), self.broadcast_shape)

    def adapt(self, data) -> None:
        """Learn the mean and variance of ``data``: an array, or an iterable of batches whose
        statistics are merged exactly (Chan et al.'s parallel variance), as Keras's ``adapt``.

        Raises:
            ValueError: for an empty iterable or batches whose kept axes differ from the
                layer's.
        """
        batches = _batches(self, data)
        first = next(batches, None)
        if first is None:
            raise ValueError(f'{type(self).__name__} "{self.name}": adapt() received no data.')
        self.ensure_built((None,) + tuple(first.shape[1:]))
        if self.input_mean is not None:
            return
        total_mean = total_var = None
        total_count = 0
        for batch in itertools.chain([first], batches):
            batch = numpy.asarray(batch, dtype=numpy.float64)
            if batch.ndim != len(self.broadcast_shape) or any(
                batch.shape[a] != self.broadcast_shape[a] for a in self.keep
            ):
                raise self.shape_error(f"batches shaped like {self.input_shape}", batch.shape)
            count = math.prod(batch.shape[a] for a in self.reduce)
            mean, var = batch.mean(axis=self.reduce), batch.var(axis=self.reduce)
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            new_count = total_count + count
            weight = count / new_count  # the batch's share of all values seen
            new_mean = total_mean * (1 - weight) + mean * weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - weight) + (
                var + (mean - new_mean) ** 2
            ) * weight
            total_mean, total_count = new_mean, new_count
        self.mean.assign(backend.xp.asarray(total_mean, dtype=self.mean.dtype))
        self.variance.assign(backend.xp.asarray(total_var, dtype=self.variance.dtype))

    def call(self, inputs):
        inputs = inputs if inputs.dtype.kind == "f" else ops.cast(inputs, self.dtype)
        if self.input_mean is None:
            mean = ops.reshape(self.mean, self.broadcast_shape)
            variance = ops.reshape(self.variance, self.broadcast_shape)
        else:
            mean, variance = (backend.xp.asarray(v) for v in self.fixed)
        scale = ops.maximum(ops.sqrt(variance), config.epsilon())
        if self.invert:
            return ops.add(ops.multiply(inputs, scale), mean)
        return ops.divide(ops.subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": self.input_mean,
            "variance": self.input_variance,
        }
