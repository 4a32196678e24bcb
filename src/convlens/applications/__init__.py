"""Ready-made networks: the lecture's (``lenet5``, ``colour_cnn``, listed in ``MODELS``) and
Keras's ImageNet applications with Keras's arguments and layer names (``VGG16``, ``ResNet50``,
``MobileNet``, ``MobileNetV2``, ``EfficientNetB0``...), one module per family as in
``keras.applications``, each with its ``preprocess_input`` and ``decode_predictions``."""

from . import efficientnet, imagenet_utils, mobilenet, mobilenet_v2, resnet, vgg16
from .efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from .lecture import MODELS, colour_cnn, lenet5
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .resnet import ResNet50, ResNet101, ResNet152
from .vgg16 import VGG16

resnet50 = resnet  # Keras's keras.applications.resnet50 is the same module as .resnet

__all__ = [
    "MODELS",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "MobileNet",
    "MobileNetV2",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "VGG16",
    "colour_cnn",
    "efficientnet",
    "imagenet_utils",
    "lenet5",
    "mobilenet",
    "mobilenet_v2",
    "resnet",
    "resnet50",
    "vgg16",
]
