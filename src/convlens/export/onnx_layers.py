"""ONNX converters for the layers that need no spatial layout: activations, Dense, the
merges, the reshaping layers, the identities at inference and ops on symbolic tensors.

Each converter is ``convert(g, call) -> output name(s)`` (``g`` a GraphBuilder, ``call`` a
Call); onnx_graph.py holds the one table that maps layer classes to them. Where convlens
computes a value in a particular order (softplus without overflow), the graph repeats that
order so the outputs agree to float32 rounding.
"""

from __future__ import annotations

import math

from .. import activations
from ..ops.activation import SELU_ALPHA, SELU_SCALE
from .onnx_builder import Call, GraphBuilder, NotExportable, weight


# ----- activations, by Keras name -----
def _softplus(g, x):  # max(x, 0) + log(1 + e^-|x|), never overflowing (ops.softplus)
    tail = g.op("Log", [g.op("Add", [g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])]), _one(g)])])
    return g.op("Add", [g.op("Max", [x, g.const(0.0, "zero")]), tail])


def _hard_sigmoid(g, x):  # min(max(x + 3, 0), 6) / 6 (ops.hard_sigmoid)
    shifted = g.op("Add", [x, g.const(3.0, "three")])
    clipped = g.op("Min", [g.op("Max", [shifted, g.const(0.0, "zero")]), g.const(6.0, "six")])
    return g.op("Div", [clipped, g.const(6.0, "six")])


def _gelu(g, x):  # 0.5 x (1 + erf(x / sqrt 2)), Keras 3's exact gelu
    erf = g.op("Erf", [g.op("Div", [x, g.const(math.sqrt(2.0), "sqrt2")])])
    return g.op("Mul", [g.op("Mul", [x, g.const(0.5, "half")]), g.op("Add", [erf, _one(g)])])


def _one(g):
    return g.const(1.0, "one")


ACTIVATIONS = {
    "linear": lambda g, x: x,
    "relu": lambda g, x: g.op("Relu", [x]),
    "relu6": lambda g, x: g.op("Clip", [x, g.const(0.0, "zero"), g.const(6.0, "six")]),
    "sigmoid": lambda g, x: g.op("Sigmoid", [x]),
    "tanh": lambda g, x: g.op("Tanh", [x]),
    "softmax": lambda g, x: g.op("Softmax", [x], axis=-1),
    "log_softmax": lambda g, x: g.op("LogSoftmax", [x], axis=-1),
    "elu": lambda g, x: g.op("Elu", [x], alpha=1.0),
    "selu": lambda g, x: g.op("Selu", [x], alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "gelu": _gelu,
    "silu": lambda g, x: g.op("Mul", [x, g.op("Sigmoid", [x])]),
    "leaky_relu": lambda g, x: g.op("LeakyRelu", [x], alpha=0.2),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda g, x: g.op("Mul", [x, _hard_sigmoid(g, x)]),
    "softplus": _softplus,
    "softsign": lambda g, x: g.op("Softsign", [x]),
    "exponential": lambda g, x: g.op("Exp", [x]),
    "mish": lambda g, x: g.op("Mul", [x, g.op("Tanh", [_softplus(g, x)])]),
    "log_sigmoid": lambda g, x: g.op("Neg", [_softplus(g, g.op("Neg", [x]))]),
}


def apply_activation(g: GraphBuilder, function, x: str) -> str:
    """``function`` (a built-in activation) applied to ``x``; a function of the user's cannot
    be exported, since the graph can only hold ONNX operators."""
    try:
        name = activations.serialize(function)
    except ValueError:
        name = None
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise NotExportable(
            f"its activation {getattr(function, '__name__', function)!r} is not a built-in one "
            f"(exportable: {', '.join(sorted(ACTIVATIONS))})"
        )
    return ACTIVATIONS[name](g, x)


def convert_activation(g, call: Call):
    return apply_activation(g, call.layer.activation, call.x)


def convert_relu(g, call: Call):
    """ReLU(max_value, negative_slope, threshold), in the order ReLU.call computes it."""
    layer, x = call.layer, call.x
    if layer.negative_slope == 0 and layer.threshold == 0:
        out = g.op("Relu", [x])
    else:
        threshold = g.const(float(layer.threshold), "threshold")
        leaky = g.op("Mul", [g.op("Sub", [x, threshold]), g.const(layer.negative_slope)])
        out = g.op("Where", [g.op("GreaterOrEqual", [x, threshold]), x, leaky])
    if layer.max_value is not None:
        out = g.op("Min", [out, g.const(float(layer.max_value), "max_value")])
    return out


def convert_prelu(g, call: Call):
    # relu(x) - alpha relu(-x), as PReLU.call (alpha broadcasts over the batch axis)
    x, alpha = call.x, g.const(weight(call.layer.alpha), "alpha")
    negative = g.op("Mul", [alpha, g.op("Relu", [g.op("Neg", [x])])])
    return g.op("Sub", [g.op("Relu", [x]), negative])


def convert_leaky_relu(g, call: Call):
    return g.op("LeakyRelu", [call.x], alpha=call.layer.negative_slope)


def convert_softmax(g, call: Call):
    return g.op("Softmax", [call.x], axis=int(call.layer.axis))


def convert_elu(g, call: Call):
    return g.op("Elu", [call.x], alpha=call.layer.alpha)


# ----- Dense, Rescaling -----
def convert_dense(g, call: Call):
    layer = call.layer
    out = g.op("MatMul", [call.x, g.const(weight(layer.kernel), f"{layer.name}_kernel")])
    if layer.bias is not None:
        out = g.op("Add", [out, g.const(weight(layer.bias), f"{layer.name}_bias")])
    return apply_activation(g, layer.activation, out)


def convert_rescaling(g, call: Call):
    scaled = g.op("Mul", [call.x, g.const(call.layer.scale, "scale")])
    return g.op("Add", [scaled, g.const(call.layer.offset, "offset")])


# ----- merges -----
def _aligned(g, call: Call) -> list:
    """The inputs with Keras's rank rule applied: a lower-rank input gains axes right after
    the batch axis (Merge's broadcasting)."""
    rank = max(len(shape) for shape in call.input_shapes)
    return [
        x
        if len(shape) == rank
        else g.op("Unsqueeze", [x, g.ints(range(1, 1 + rank - len(shape)), "axes")])
        for x, shape in zip(call.inputs, call.input_shapes)
    ]


def merge(op_type):
    """The converter of a merge that folds ``op_type`` left to right over its inputs, as
    the layer folds its op with functools.reduce."""

    def convert(g, call: Call):
        inputs = _aligned(g, call)
        out = inputs[0]
        for x in inputs[1:]:
            out = g.op(op_type, [out, x])
        return out

    return convert


def convert_average(g, call: Call):
    return g.op("Div", [merge("Add")(g, call), g.const(float(len(call.inputs)), "count")])


def convert_concatenate(g, call: Call):
    return g.op("Concat", call.inputs, axis=int(call.layer.axis))


# ----- reshaping -----
def convert_flatten(g, call: Call):
    x, ndim = call.x, len(call.shape)
    if call.layer.data_format == "channels_first" and ndim > 2:  # channels move last first
        x = g.transpose(x, [0, *range(2, ndim), 1])
    return g.op("Flatten", [x], axis=1)


def convert_reshape(g, call: Call):
    # 0 copies the batch size (dynamic) from the input; -1 is inferred as in Keras
    shape = g.ints([0, *call.layer.target_shape], "shape")
    return g.op("Reshape", [call.x, shape])


def convert_repeat_vector(g, call: Call):
    expanded = g.op("Unsqueeze", [call.x, g.ints([1], "axes")])  # (N, 1, D)
    return g.op("Tile", [expanded, g.ints([1, call.layer.n, 1], "repeats")])  # (N, n, D)


def convert_permute(g, call: Call):
    return g.transpose(call.x, [0, *call.layer.dims])


def identity(g, call: Call):
    """A layer that returns its input at inference (Dropout and the noise layers)."""
    return g.op("Identity", [call.x])


# ----- ops on symbolic tensors -----
_BINARY_OPS = {
    "add": "Add",
    "subtract": "Sub",
    "multiply": "Mul",
    "divide": "Div",
    "true_divide": "Div",
    "maximum": "Max",
    "minimum": "Min",
    "power": "Pow",
}
_UNARY_OPS = {"negative": "Neg", "abs": "Abs", "exp": "Exp", "sqrt": "Sqrt", "log": "Log"}


def convert_operation(g, call: Call):
    """An op recorded on symbolic tensors (``inputs / 255.0``): the elementwise arithmetic
    and the activations, each argument a graph tensor or a number."""
    layer = call.layer
    arguments = [_operand(g, call, value) for value in layer.arguments]
    if layer.keywords:
        raise NotExportable(f"op {layer.op!r} with keyword arguments {sorted(layer.keywords)}")
    if layer.op in _BINARY_OPS and len(arguments) == 2:
        return g.op(_BINARY_OPS[layer.op], arguments)
    if layer.op in _UNARY_OPS and len(arguments) == 1:
        return g.op(_UNARY_OPS[layer.op], arguments)
    if layer.op in ACTIVATIONS and len(arguments) == 1:
        return ACTIVATIONS[layer.op](g, arguments[0])
    exportable = sorted({*_BINARY_OPS, *_UNARY_OPS, *ACTIVATIONS})
    raise NotExportable(f"op {layer.op!r} (exportable ops: {', '.join(exportable)})")


def _operand(g, call: Call, value) -> str:
    """An op argument: an input placeholder becomes that input's name, a number a constant."""
    if isinstance(value, dict) and "__input__" in value:
        return call.inputs[value["__input__"]]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return g.const(float(value), "scalar")
    raise NotExportable(f"an argument {value!r} that is neither a tensor nor a number")
