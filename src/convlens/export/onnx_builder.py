"""The pieces every ONNX converter uses: a graph builder, the call being converted, and the
error a converter raises for a layer configuration ONNX cannot express.

This module imports no ``onnx``: the builder receives ``onnx.helper`` and ``onnx.numpy_helper``
from onnx_graph.py, which imports them lazily, so the converters (onnx_conv.py, onnx_layers.py)
stay plain Python that a reader can follow without the library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy


class NotExportable(Exception):
    """Raised by a converter with the reason a layer cannot be exported; the walker adds the
    layer's name and class (``Cannot export layer 'x' (Foo) to ONNX: <reason>``)."""


@dataclass
class Call:
    """One call of a layer in the graph: the layer, the ONNX names of its inputs, and their
    Keras shapes (batch axis None)."""

    layer: object
    inputs: list
    input_shapes: list

    @property
    def x(self) -> str:
        """The single input's name (most layers take one)."""
        return self.inputs[0]

    @property
    def shape(self) -> tuple:
        """The single input's Keras shape."""
        return self.input_shapes[0]


class GraphBuilder:
    """Collects ONNX nodes and initializers with unique names.

    Args:
        helper, numpy_helper: ``onnx.helper`` and ``onnx.numpy_helper``.
        dtype: the model's float dtype (a NumPy dtype); weights are stored in it.
    """

    def __init__(self, helper, numpy_helper, dtype):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.dtype = numpy.dtype(dtype)
        self.nodes, self.initializers = [], []
        self._used: set = set()

    def fresh(self, hint: str) -> str:
        """A name not used before in this graph, ``hint`` or ``hint_2``, ``hint_3``..."""
        name, number = hint, 1
        while name in self._used:
            number += 1
            name = f"{hint}_{number}"
        self._used.add(name)
        return name

    def const(self, value, hint: str = "const", dtype=None) -> str:
        """An initializer holding ``value``: in ``dtype`` if given, else floats in the model's
        dtype and ints as int64."""
        array = numpy.asarray(value)
        if dtype is None:
            dtype = numpy.int64 if array.dtype.kind in "iub" else self.dtype
        array = array.astype(dtype)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint: str = "ints") -> str:
        """A 1-D int64 initializer (shapes, axes, pads, slice bounds)."""
        return self.const(numpy.asarray(list(values), dtype=numpy.int64), hint)

    def op(self, op_type: str, inputs, hint: str | None = None, **attributes) -> str:
        """Append one node of ``op_type`` with one output; its name is returned.

        Args:
            inputs: the input names ("" for an omitted optional input).
            hint: a base for the output's name (``op_type`` lower-cased by default).
            attributes: the node's attributes; None values are left out.
        """
        output = self.fresh(hint or op_type.lower())
        attributes = {key: value for key, value in attributes.items() if value is not None}
        self.nodes.append(
            self.helper.make_node(op_type, list(inputs), [output], name=output, **attributes)
        )
        return output

    def transpose(self, x: str, perm, hint: str = "transpose") -> str:
        """``x`` with its axes permuted (skipped when ``perm`` is the identity)."""
        perm = [int(p) for p in perm]
        if perm == sorted(perm):
            return x
        return self.op("Transpose", [x], hint, perm=perm)


def channels_first_perm(ndim: int) -> list:
    """(N, *spatial, C) -> (N, C, *spatial): ONNX's convolution and pooling layout."""
    return [0, ndim - 1, *range(1, ndim - 1)]


def channels_last_perm(ndim: int) -> list:
    """(N, C, *spatial) -> (N, *spatial, C): back to Keras's default layout."""
    return [0, *range(2, ndim), 1]


def in_channels_first(g: GraphBuilder, layer, x: str, ndim: int, compute) -> str:
    """``compute(x)`` run on ``x`` in ONNX's channels-first layout, transposing in and out
    when ``layer.data_format`` is channels_last (ONNX Runtime removes back-to-back pairs)."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return compute(x)
    inside = compute(g.transpose(x, channels_first_perm(ndim), "to_channels_first"))
    return g.transpose(inside, channels_last_perm(ndim), "to_channels_last")


def spatial_axes(layer, ndim: int) -> list:
    """The spatial axes of a Keras-layout tensor of ``ndim`` axes for ``layer``'s format."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return list(range(2, ndim))
    return list(range(1, ndim - 1))


def weight(value) -> numpy.ndarray:
    """A layer weight (a convlens Variable, Tensor or array) as a NumPy array."""
    from .. import backend

    return numpy.asarray(backend.to_numpy(getattr(value, "data", value)))
