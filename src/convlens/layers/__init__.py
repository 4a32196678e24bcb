"""Layers with Keras's names, arguments and weight layouts; the math stays in ``convlens.ops``."""

from .. import registry
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .conv import Conv1D, Conv2D
from .conv_transpose import Conv2DTranspose
from .core import Activation, Dense, Dropout, Rescaling
from .cropping import Cropping1D, Cropping2D, ZeroPadding1D
from .depthwise_conv import DepthwiseConv2D, SeparableConv2D
from .input_layer import Input, InputLayer
from .lambda_layer import Identity, Lambda
from .layer import InputSpec, Layer
from .merge import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .noise import AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from .normalization import BatchNormalization, GroupNormalization, LayerNormalization
from .operation import Operation
from .pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    MinPooling2D,
)
from .pooling1d import (
    AveragePooling1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    MaxPooling1D,
)
from .preprocessing import (
    CenterCrop,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from .reshaping import Flatten, Permute, RepeatVector, Reshape, ZeroPadding2D
from .serialization_api import deserialize, serialize
from .symbolic import KerasTensor
from .upsampling import UpSampling1D, UpSampling2D

LAYER_CLASSES = {
    cls.__name__: cls
    for cls in (
        Activation,
        Add,
        AlphaDropout,
        Average,
        AveragePooling1D,
        AveragePooling2D,
        BatchNormalization,
        Concatenate,
        Conv1D,
        Conv2D,
        Conv2DTranspose,
        Cropping1D,
        Cropping2D,
        Dense,
        DepthwiseConv2D,
        Dropout,
        ELU,
        Flatten,
        GaussianDropout,
        GaussianNoise,
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D,
        GroupNormalization,
        Identity,
        InputLayer,
        Lambda,
        LayerNormalization,
        LeakyReLU,
        MaxPooling1D,
        MaxPooling2D,
        Maximum,
        MinPooling2D,
        Minimum,
        Multiply,
        Operation,
        Permute,
        PReLU,
        ReLU,
        RepeatVector,
        Rescaling,
        Reshape,
        SeparableConv2D,
        Softmax,
        SpatialDropout1D,
        SpatialDropout2D,
        Subtract,
        UpSampling1D,
        UpSampling2D,
        ZeroPadding1D,
        ZeroPadding2D,
        # image preprocessing and augmentation (issue 13, item 2)
        CenterCrop,
        Normalization,
        RandomBrightness,
        RandomContrast,
        RandomCrop,
        RandomFlip,
        RandomRotation,
        RandomTranslation,
        RandomZoom,
        Resizing,
    )
}
"""Every layer class a model file may name: registered below, so loading finds them by name."""

registry.register_layers(LAYER_CLASSES)
