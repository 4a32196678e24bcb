"""VGG16 (Simonyan & Zisserman, ICLR 2015) with Keras's arguments and layer names, so Keras's
published weight files load by name."""

from __future__ import annotations

from .. import layers, models
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras's vgg16.decode_predictions)

WEIGHTS_URL = imagenet_utils.KERAS_WEIGHTS_URL + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels"
BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, 3×3 convolutions)


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """VGG16: five blocks of 3×3 'same' convolutions with ReLU, each ending in 2×2 max pooling,
    then (``include_top``) Flatten, two Dense 4096 and the classifier: 138,357,544 parameters
    at 224×224×3 with 1000 classes.

    Args:
        include_top: whether to end in the three fully connected layers.
        weights: None (random initialization), ``"imagenet"`` (raises: download Keras's file
            and pass its path), or the path of a weights file, loaded by layer name.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; (224, 224, 3) by default, at least 32×32, and fixed
            with ``include_top``.
        pooling: without the top, None (the 4-D feature maps), ``"avg"`` or ``"max"``
            (global pooling to one vector per image).
        classes: the classifier's width (with ``include_top``).
        classifier_activation: the classifier's activation (None for logits).
        name: the model's name.

    Returns:
        A functional ``Model``. Inputs are expected as :func:`preprocess_input` makes them.

    Example:
        >>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 512)
    """
    suffix = ".h5" if include_top else "_notop.h5"
    imagenet_utils.check_weights(weights, include_top, classes, "VGG16", WEIGHTS_URL + suffix)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=include_top
    )
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    x = image
    for block, (filters, convolutions) in enumerate(BLOCKS, start=1):
        for conv in range(1, convolutions + 1):
            x = layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool_features(x, pooling)
    model = models.Model(inputs, x, name=name)
    return imagenet_utils.load_weights(model, weights)


def preprocess_input(x, data_format=None):
    """VGG16's preprocessing ("caffe"): RGB to BGR, then minus ImageNet's mean pixel."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
