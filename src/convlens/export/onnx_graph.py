"""A convlens model as an ONNX graph: walk the model's nodes in the order it runs them and
convert each layer call with the converter the table below gives its class.

The layers stay in Keras's layout (channels last unless a layer says otherwise); each
converter handles its own layout. The batch axis is dynamic (``batch``). ``onnx`` is imported
here, lazily, so convlens works without it.
"""

from __future__ import annotations

import numpy

from .. import layers as L
from .. import registry
from . import onnx_conv as conv
from . import onnx_image as image
from . import onnx_layers as simple
from . import onnx_norm as norm
from .onnx_builder import Call, GraphBuilder, NotExportable

DEFAULT_OPSET = 19  # Pad's "wrap" mode (circular padding) needs 19


def _convert_model(g, call: Call):
    """A nested model: its graph inlined, its input names bound to the call's inputs."""
    return convert_graph(g, call.layer, call.inputs)


CONVERTERS = {
    # convolutions (onnx_conv.py)
    L.Conv1D: conv.convert_conv,
    L.Conv2D: conv.convert_conv,
    L.DepthwiseConv2D: conv.convert_depthwise,
    L.SeparableConv2D: conv.convert_separable,
    L.Conv2DTranspose: conv.convert_conv_transpose,
    # pooling
    L.MaxPooling1D: conv.pooling("MaxPool"),
    L.MaxPooling2D: conv.pooling("MaxPool"),
    L.AveragePooling1D: conv.pooling("AveragePool"),
    L.AveragePooling2D: conv.pooling("AveragePool"),
    L.MinPooling2D: conv.pooling("MaxPool", negate=True),
    L.GlobalMaxPooling1D: conv.global_pooling("ReduceMax"),
    L.GlobalMaxPooling2D: conv.global_pooling("ReduceMax"),
    L.GlobalAveragePooling1D: conv.global_pooling("ReduceMean"),
    L.GlobalAveragePooling2D: conv.global_pooling("ReduceMean"),
    # padding, cropping, upsampling
    L.ZeroPadding1D: conv.convert_zero_padding,
    L.ZeroPadding2D: conv.convert_zero_padding,
    L.Cropping1D: conv.convert_cropping,
    L.Cropping2D: conv.convert_cropping,
    L.UpSampling1D: conv.convert_upsampling,
    L.UpSampling2D: conv.convert_upsampling,
    # image sizing (onnx_image.py)
    L.Resizing: image.convert_resizing,
    L.CenterCrop: image.convert_center_crop,
    L.RandomCrop: image.convert_random_crop,
    # normalization (onnx_norm.py)
    L.BatchNormalization: norm.convert_batch_norm,
    L.LayerNormalization: norm.convert_layer_norm,
    L.GroupNormalization: norm.convert_group_norm,
    L.Normalization: norm.convert_normalization,
    # dense, activations (onnx_layers.py)
    L.Dense: simple.convert_dense,
    L.Rescaling: simple.convert_rescaling,
    L.Activation: simple.convert_activation,
    L.ReLU: simple.convert_relu,
    L.LeakyReLU: simple.convert_leaky_relu,
    L.ELU: simple.convert_elu,
    L.PReLU: simple.convert_prelu,
    L.Softmax: simple.convert_softmax,
    # merges
    L.Add: simple.merge("Add"),
    L.Subtract: simple.merge("Sub"),
    L.Multiply: simple.merge("Mul"),
    L.Maximum: simple.merge("Max"),
    L.Minimum: simple.merge("Min"),
    L.Average: simple.convert_average,
    L.Concatenate: simple.convert_concatenate,
    # reshaping
    L.Flatten: simple.convert_flatten,
    L.Reshape: simple.convert_reshape,
    L.Permute: simple.convert_permute,
    L.RepeatVector: simple.convert_repeat_vector,
    # the identity at inference
    L.Dropout: simple.identity,
    L.SpatialDropout1D: simple.identity,
    L.SpatialDropout2D: simple.identity,
    L.GaussianNoise: simple.identity,
    L.GaussianDropout: simple.identity,
    L.AlphaDropout: simple.identity,
    L.Identity: simple.identity,
    L.RandomFlip: simple.identity,  # the augmentations act only in training
    L.RandomRotation: simple.identity,
    L.RandomTranslation: simple.identity,
    L.RandomZoom: simple.identity,
    L.RandomContrast: simple.identity,
    L.RandomBrightness: simple.identity,
    # ops on symbolic tensors (x / 255.0, a + b)
    L.Operation: simple.convert_operation,
}
"""Layer class -> converter. Looked up by the exact class: a subclass may compute something
else in its call(), so it is refused rather than exported as its parent. A nested model
(Sequential or functional, found through the registry as saving.py finds them, so this module
imports no model) is inlined."""


def import_onnx():
    """The ``onnx`` module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "Exporting to ONNX needs the onnx package: pip install 'convlens[onnx]'."
        ) from None
    return onnx


def convert_graph(g: GraphBuilder, model, input_names: list) -> list:
    """Append ``model``'s layer calls to ``g``; return the ONNX names of its outputs.

    Raises:
        ValueError: ``Cannot export layer 'x' (Foo) to ONNX: ...`` for a layer without a
            converter or a configuration ONNX cannot express.
    """
    _check_model(model)
    names = {id(symbol): name for symbol, name in zip(model.inputs, input_names)}
    for node in model._nodes:
        if isinstance(node.layer, L.InputLayer):
            continue
        if node.extra_inputs:
            _refuse(node.layer, "it takes symbolic tensors as further call arguments")
        call = Call(
            node.layer,
            [names[id(symbol)] for symbol in node.inputs],
            [symbol.shape for symbol in node.inputs],
        )
        outputs = _convert_call(g, call)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        names.update({id(symbol): name for symbol, name in zip(node.outputs, outputs)})
    return [names[id(symbol)] for symbol in model.outputs]


def _check_model(model) -> None:
    """Only a built graph of layers (Sequential or functional) can be walked: a subclassed
    model's forward pass is Python code in its call()."""
    functional = getattr(model, "_functional", False)
    if not functional or not model.built:
        problem = (
            "it is not built yet: call it on data or build it"
            if functional
            else ("it is subclassed, its call() is Python code")
        )
        raise ValueError(
            f"Cannot export model {model.name!r} ({type(model).__name__}) to ONNX: {problem}; "
            "built Sequential and functional models export."
        )


def _convert_call(g, call: Call):
    converter = CONVERTERS.get(type(call.layer))
    if converter is None and type(call.layer) in registry.model_classes().values():
        converter = _convert_model
    if converter is None:
        _refuse(call.layer, "no ONNX converter for this layer class")
    try:
        return converter(g, call)
    except NotExportable as error:
        _refuse(call.layer, str(error))


def _refuse(layer, reason: str):
    raise ValueError(
        f"Cannot export layer {layer.name!r} ({type(layer).__name__}) to ONNX: {reason}."
    )


def _value_info(helper, name: str, symbol, elem_type):
    """A graph input or output: the batch axis is named ``batch`` (dynamic), as are any other
    unknown sizes."""
    dims = [
        ("batch" if axis == 0 else f"{name}_{axis}") if size is None else size
        for axis, size in enumerate(symbol.shape)
    ]
    return helper.make_tensor_value_info(name, elem_type, dims)


def build_onnx_model(model, opset_version: int | None = None):
    """``model`` as an ``onnx.ModelProto`` (checked with ``onnx.checker``)."""
    onnx = import_onnx()
    from onnx import helper, numpy_helper

    opset_version = DEFAULT_OPSET if opset_version is None else opset_version
    if not isinstance(opset_version, int) or opset_version < DEFAULT_OPSET:
        raise ValueError(
            f"opset_version must be an int >= {DEFAULT_OPSET}, received {opset_version!r}."
        )
    _check_model(model)
    dtype = numpy.dtype(model.inputs[0].dtype)
    elem_type = helper.np_dtype_to_tensor_dtype(dtype)
    g = GraphBuilder(helper, numpy_helper, dtype)
    input_names = [g.fresh(symbol.node.layer.name) for symbol in model.inputs]
    outputs = convert_graph(g, model, input_names)
    output_names = [g.fresh(f"output_{i}") for i in range(len(outputs))]
    for inner, outer in zip(outputs, output_names):  # stable names, even for an input
        g.nodes.append(helper.make_node("Identity", [inner], [outer], name=outer))
    graph = helper.make_graph(
        g.nodes,
        model.name,
        [_value_info(helper, n, s, elem_type) for n, s in zip(input_names, model.inputs)],
        [_value_info(helper, n, s, elem_type) for n, s in zip(output_names, model.outputs)],
        initializer=g.initializers,
    )
    proto = helper.make_model(
        graph,
        producer_name="convlens",
        opset_imports=[helper.make_opsetid("", opset_version)],
    )
    # the oldest IR that holds the opset, so older ONNX Runtimes read the file too
    proto.ir_version = helper.find_min_ir_version_for(list(proto.opset_import))
    onnx.checker.check_model(proto)
    return proto
