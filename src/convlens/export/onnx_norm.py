"""ONNX converters for the normalizations: BatchNormalization (inference: the moving
statistics), LayerNormalization, GroupNormalization and the Normalization preprocessing layer.

Each repeats the order in which convlens computes its values (ops/nn.py, ops/normalization.py,
layers/preprocessing/normalization.py), and folds constants with the same NumPy expressions,
so the outputs agree to float32 rounding.
"""

from __future__ import annotations

import numpy

from .. import config
from .onnx_builder import Call, NotExportable, weight


def convert_batch_norm(g, call: Call):
    """x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale,
    computed here exactly as ops.batch_norm computes them (the same dtype and order)."""
    layer, ndim = call.layer, len(call.shape)
    mean, variance = weight(layer.moving_mean), weight(layer.moving_variance)
    gamma = numpy.ones_like(mean) if layer.gamma is None else weight(layer.gamma)
    beta = numpy.zeros_like(mean) if layer.beta is None else weight(layer.beta)
    scale = gamma * (1 / numpy.sqrt(variance + layer.epsilon))
    shape = [1] * ndim
    shape[layer.axis % ndim] = -1
    shift = beta.reshape(shape) - mean.reshape(shape) * scale.reshape(shape)
    scaled = g.op("Mul", [call.x, g.const(scale.reshape(shape), f"{layer.name}_scale")])
    return g.op("Add", [scaled, g.const(shift, f"{layer.name}_shift")])


def _standardize(g, x: str, axes, epsilon: float) -> str:
    """(x - mean) / sqrt(var + epsilon) over ``axes`` (biased variance), as ops does."""
    axes = g.ints(axes, "axes")
    centered = g.op("Sub", [x, g.op("ReduceMean", [x, axes], keepdims=1)])
    squares = g.op("Mul", [centered, centered])
    variance = g.op("ReduceMean", [squares, axes], keepdims=1)
    return g.op("Div", [centered, g.op("Sqrt", [g.op("Add", [variance, g.const(epsilon)])])])


def _scale_and_shift(g, layer, y: str, shape) -> str:
    """y * gamma + beta, each reshaped to ``shape`` (1 on the axes it is shared over)."""
    if layer.gamma is not None:
        y = g.op("Mul", [y, g.const(weight(layer.gamma).reshape(shape), f"{layer.name}_gamma")])
    if layer.beta is not None:
        y = g.op("Add", [y, g.const(weight(layer.beta).reshape(shape), f"{layer.name}_beta")])
    return y


def convert_layer_norm(g, call: Call):
    layer, shape = call.layer, call.shape
    axes = layer._axes(shape)
    y = _standardize(g, call.x, axes, layer.epsilon)
    return _scale_and_shift(g, layer, y, [n if i in axes else 1 for i, n in enumerate(shape)])


def convert_group_norm(g, call: Call):
    """Channels split into (groups, C/groups), each sample's group standardized over its
    channels and every other non-batch axis, then reshaped back."""
    layer, shape = call.layer, call.shape
    if None in shape[1:]:
        raise NotExportable("group normalization needs known sizes on every non-batch axis")
    axis = layer.axis % len(shape)
    channels = shape[axis]
    grouped = [0, *shape[1:axis], layer.groups, channels // layer.groups, *shape[axis + 1 :]]
    x = g.op("Reshape", [call.x, g.ints(grouped, "grouped_shape")])  # (N, ..., G, C/G, ...)
    axes = [i for i in range(1, len(grouped)) if i != axis]  # all but batch and group
    y = _standardize(g, x, axes, layer.epsilon)
    y = g.op("Reshape", [y, g.ints([0, *shape[1:]], "shape")])
    return _scale_and_shift(g, layer, y, [n if i == axis else 1 for i, n in enumerate(shape)])


def convert_normalization(g, call: Call):
    """(x - mean) / max(sqrt(variance), epsilon), or x * that + mean with invert=True."""
    layer = call.layer
    if layer.input_mean is None:
        mean = weight(layer.mean).reshape(layer.broadcast_shape)
        variance = weight(layer.variance).reshape(layer.broadcast_shape)
    else:
        mean, variance = (numpy.asarray(v) for v in layer.fixed)
    scale = g.const(numpy.maximum(numpy.sqrt(variance), config.epsilon()), f"{layer.name}_scale")
    mean = g.const(mean, f"{layer.name}_mean")
    if layer.invert:
        return g.op("Add", [g.op("Mul", [call.x, scale]), mean])
    return g.op("Div", [g.op("Sub", [call.x, mean]), scale])
