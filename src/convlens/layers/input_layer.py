"""``Input`` and the layer behind it, ``InputLayer``: where a functional graph starts."""

from __future__ import annotations

import numpy

from .layer import Layer
from .symbolic import KerasTensor, Node


def _resolve_shape(layer_name, shape, batch_size, batch_shape):
    """``(shape, batch_size)`` from either ``shape`` (+ ``batch_size``) or ``batch_shape``.

    Raises:
        ValueError: naming the layer when both or neither are given, or sizes are not ints.
    """
    if (shape is None) == (batch_shape is None):
        given = "both" if shape is not None else "neither"
        raise ValueError(
            f'InputLayer "{layer_name}": pass either shape (one sample, e.g. (28, 28, 1)) or '
            f"batch_shape (batch axis first, e.g. (None, 28, 28, 1)), received {given}: "
            f"shape={shape!r}, batch_shape={batch_shape!r}."
        )
    if batch_shape is not None:
        if batch_size is not None:
            raise ValueError(
                f'InputLayer "{layer_name}": batch_shape already gives the batch size; '
                f"received batch_size={batch_size!r} too."
            )
        if isinstance(batch_shape, int) or len(tuple(batch_shape)) < 1:
            raise ValueError(
                f'InputLayer "{layer_name}": batch_shape must be a tuple starting with the batch '
                f"size (or None), received {batch_shape!r}."
            )
        batch_size, shape = tuple(batch_shape)[0], tuple(batch_shape)[1:]
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    sizes = shape + (batch_size,)
    if any(
        d is not None and (not isinstance(d, int) or isinstance(d, bool) or d < 1) for d in sizes
    ):
        raise ValueError(
            f'InputLayer "{layer_name}": shape and batch size must be positive ints or None, '
            f"received shape={shape!r}, batch_size={batch_size!r}."
        )
    return shape, batch_size


class InputLayer(Layer):
    """The layer behind ``Input``: it holds the shape and passes data through unchanged.

    Args:
        shape: the shape of one sample (without the batch axis).
        batch_size: an optional fixed batch size.
        dtype: the input dtype, ``config.floatx()`` (float32) by default.
        sparse: accepted as Keras's; only ``None``/``False`` (convlens has no sparse tensors).
        batch_shape: the shape with the batch axis first, instead of ``shape`` and
            ``batch_size``.
        name: an optional name.

    Raises:
        ValueError: when both or neither of ``shape`` and ``batch_shape`` are given.
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        batch_shape=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                f'InputLayer "{self.name}": sparse inputs are not supported; received '
                "sparse=True. Pass dense arrays."
            )
        self.shape, self.batch_size = _resolve_shape(self.name, shape, batch_size, batch_shape)
        self.built = True
        self.input_shape = self.output_shape = (self.batch_size,) + self.shape
        output = KerasTensor(self.output_shape, self.dtype, name=self.name)
        output.node = Node(self, [], [output])  # registers itself: self.output is now output

    def call(self, inputs, training=False):
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("trainable")
        return {**config, "shape": list(self.shape), "batch_size": self.batch_size}


def Input(  # noqa: N802 - Keras name
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    batch_shape=None,
    name=None,
    tensor=None,
) -> KerasTensor:
    """The start of a model: a symbolic tensor of ``shape`` (without the batch axis).

    Args:
        shape: the shape of one sample, e.g. ``(28, 28, 1)``; ``None`` for a free size.
        batch_size: an optional fixed batch size.
        dtype: the input dtype, ``config.floatx()`` (float32) by default.
        sparse: Keras's flag; only ``None``/``False`` are accepted.
        batch_shape: the shape with the batch axis first (``(None, 28, 28, 1)``), instead of
            ``shape`` and ``batch_size``.
        name: an optional name.
        tensor: a symbolic tensor whose shape and dtype the input takes (when ``shape`` and
            ``batch_shape`` are not given).

    Raises:
        ValueError: when both or neither of ``shape`` and ``batch_shape`` are given.

    Example:
        >>> from convlens import layers
        >>> layers.Input((28, 28, 1)).shape
        (None, 28, 28, 1)
        >>> layers.Input(batch_shape=(32, 10)).shape
        (32, 10)
    """
    if isinstance(sparse, str) and name is None:
        # The older positional form Input(shape, batch_size, dtype, name) (models/serialization.py
        # calls it so): the fourth argument is then the name, not Keras's ``sparse`` flag.
        sparse, name = None, sparse
    if tensor is not None:
        if not isinstance(tensor, KerasTensor):
            raise ValueError(
                f"Input: tensor must be a symbolic tensor (a KerasTensor), received {tensor!r}."
            )
        if shape is None and batch_shape is None:
            batch_shape = tensor.shape
        dtype = dtype or tensor.dtype
    dtype = None if dtype is None else numpy.dtype(dtype).name  # None: config.floatx()
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
    )
    return layer.output
