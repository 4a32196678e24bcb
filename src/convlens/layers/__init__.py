"""Layers with Keras's names, arguments and weight layouts; the math stays in ``convlens.ops``."""

from .. import registry
from .activation_layers import LeakyReLU, ReLU, Softmax
from .conv import Conv1D, Conv2D
from .conv_transpose import Conv2DTranspose
from .core import Activation, Dense, Dropout, Rescaling
from .depthwise_conv import DepthwiseConv2D, SeparableConv2D
from .input_layer import Input, InputLayer
from .layer import InputSpec, Layer
from .merge import Add, Concatenate
from .normalization import BatchNormalization
from .pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    MinPooling2D,
)
from .reshaping import Flatten, Reshape, ZeroPadding2D
from .symbolic import KerasTensor

LAYER_CLASSES = {
    cls.__name__: cls
    for cls in (
        Activation,
        Add,
        AveragePooling2D,
        BatchNormalization,
        Concatenate,
        Conv1D,
        Conv2D,
        Conv2DTranspose,
        Dense,
        DepthwiseConv2D,
        Dropout,
        Flatten,
        GlobalAveragePooling2D,
        GlobalMaxPooling2D,
        InputLayer,
        LeakyReLU,
        MaxPooling2D,
        MinPooling2D,
        ReLU,
        Rescaling,
        Reshape,
        SeparableConv2D,
        Softmax,
        ZeroPadding2D,
    )
}
"""Every layer class a model file may name: registered below, so loading finds them by name."""

registry.register_layers(LAYER_CLASSES)
