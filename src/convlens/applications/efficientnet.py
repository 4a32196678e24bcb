"""EfficientNet B0 to B7 (Tan & Le, ICML 2019): MBConv blocks with squeeze-and-excitation and
swish, scaled in width and depth, with Keras's arguments and layer names, so Keras's published
weight files load by name. The model normalises its own input (Rescaling, Normalization), so
:func:`preprocess_input` passes images through unchanged."""

from __future__ import annotations

import math
import os

from .. import initializers, layers, models
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras's efficientnet.decode_predictions)

WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"
IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of B0's seven stages;
# every block keeps its input as a skip where it can and squeezes to a quarter (se_ratio 0.25)
BLOCKS = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
SE_RATIO = 0.25
# (width_coefficient, depth_coefficient, default_size, dropout_rate) of B0 ... B7
VARIANTS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}


def conv_initializer():
    """He-style initialization over the output fan (the reference implementation's)."""
    return initializers.VarianceScaling(2.0, mode="fan_out", distribution="truncated_normal")


def EfficientNet(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    activation="swish",
    name="efficientnet",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """An EfficientNet: B0's stages with ``width_coefficient`` times the filters and
    ``depth_coefficient`` times the blocks; ``weights_name`` ("b0"...) names Keras's weight
    files. The other arguments are :func:`EfficientNetB0`'s.

    The stem rescales [0, 255] to [0, 1] and normalises with a ``Normalization`` layer whose
    mean and variance come with the weights. Keras's ImageNet files hold the standard
    deviation where the variance belongs, which Keras corrects with one more ``Rescaling``
    when ``weights="imagenet"``; here that layer is added when ``weights`` is a path to
    Keras's published file (``efficientnetb0.h5``, ``efficientnetb0_notop.h5``...), so the
    model is then the one Keras builds for ImageNet.
    """
    file = (f"efficientnet{weights_name}" if weights_name else name) + (
        ".h5" if include_top else "_notop.h5"
    )
    imagenet_utils.check_weights(weights, include_top, classes, name, WEIGHTS_URL + file)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, min_size=32, require_flatten=include_top
    )
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()

    def round_filters(filters):
        """``filters`` scaled by the width and rounded to a multiple of ``depth_divisor``."""
        filters *= width_coefficient
        rounded = max(
            depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor
        )
        return int(rounded + depth_divisor if rounded < 0.9 * filters else rounded)

    x = layers.Rescaling(1.0 / 255.0)(image)
    x = layers.Normalization(axis=axis)(x)
    if weights is not None and os.path.basename(os.fspath(weights)) == file:
        x = layers.Rescaling([1.0 / math.sqrt(std) for std in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        round_filters(32),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=conv_initializer(),
        name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    x = _stages(x, round_filters, depth_coefficient, drop_connect_rate, activation)
    x = _conv1x1(x, round_filters(1280), "top_conv")
    x = layers.BatchNormalization(axis=axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        dense_initializer = initializers.VarianceScaling(
            1.0 / 3.0, mode="fan_out", distribution="uniform"
        )
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=dense_initializer,
            name="predictions",
        )(x)
    else:
        x = imagenet_utils.pool_features(x, pooling, "avg_pool", "max_pool")
    model = models.Model(inputs, x, name=name)
    return imagenet_utils.load_weights(model, weights)


def _stages(x, round_filters, depth_coefficient, drop_connect_rate, activation):
    """The seven stages of MBConv blocks, named ``block{stage}{a, b, c...}_``; the drop rate of
    the residual branches grows linearly from 0 over all blocks."""
    repeats = [int(math.ceil(depth_coefficient * stage[1])) for stage in BLOCKS]
    total, done = float(sum(repeats)), 0
    for stage, (kernel_size, _, filters_in, filters_out, expand, strides) in enumerate(BLOCKS):
        filters_in, filters_out = round_filters(filters_in), round_filters(filters_out)
        for j in range(repeats[stage]):
            if j > 0:
                strides, filters_in = 1, filters_out
            x = block(
                x,
                activation,
                drop_connect_rate * done / total,
                name=f"block{stage + 1}{chr(j + 97)}_",
                filters_in=filters_in,
                filters_out=filters_out,
                kernel_size=kernel_size,
                strides=strides,
                expand_ratio=expand,
            )
            done += 1
    return x


def block(
    x, activation, drop_rate, name, filters_in, filters_out, kernel_size, strides, expand_ratio
):
    """One MBConv block: 1×1 expansion (when ``expand_ratio`` > 1), depthwise
    ``kernel_size`` convolution, squeeze-and-excitation, 1×1 projection; with the same shape in
    and out, the input is added back after dropping whole samples' branches (``drop_rate``)."""
    axis = imagenet_utils.channel_axis()
    inputs, filters = x, filters_in * expand_ratio
    if expand_ratio != 1:
        x = _conv1x1(x, filters, f"{name}expand_conv")
        x = layers.BatchNormalization(axis=axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    padding = "same"
    if strides == 2:
        pad = imagenet_utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
        padding = "valid"
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        depthwise_initializer=conv_initializer(),
        name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = _squeeze_excite(x, filters, max(1, int(filters_in * SE_RATIO)), activation, name)
    x = _conv1x1(x, filters_out, f"{name}project_conv")
    x = layers.BatchNormalization(axis=axis, name=f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _squeeze_excite(x, filters, filters_se, activation, name):
    """Channel attention: global average → 1×1 to ``filters_se`` → 1×1 back to ``filters``
    with a sigmoid → multiplied into ``x`` channel by channel."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    first = imagenet_utils.channel_axis() == 1
    se = layers.Reshape((filters, 1, 1) if first else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        filters_se,
        1,
        padding="same",
        activation=activation,
        kernel_initializer=conv_initializer(),
        name=f"{name}se_reduce",
    )(se)
    se = layers.Conv2D(
        filters,
        1,
        padding="same",
        activation="sigmoid",
        kernel_initializer=conv_initializer(),
        name=f"{name}se_expand",
    )(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _conv1x1(x, filters, name):
    """A 1×1 'same' convolution without bias, He-initialised over the output fan."""
    return layers.Conv2D(
        filters, 1, padding="same", use_bias=False, kernel_initializer=conv_initializer(), name=name
    )(x)


def EfficientNetB0(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb0",
):
    """EfficientNetB0: 5,330,571 parameters at 224×224×3 with 1000 classes.

    Args:
        include_top: whether to end in global average pooling, dropout and the classifier.
        weights: None, ``"imagenet"`` (raises: download Keras's file and pass its path), or
            the path of a weights file, loaded by layer name.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; (224, 224, 3) by default (B1...B7: 240, 260, 300,
            380, 456, 528, 600), at least 32×32.
        pooling: without the top, None (4-D features), ``"avg"`` or ``"max"``.
        classes: the classifier's width (with ``include_top``).
        classifier_activation: the classifier's activation (None for logits).
        name: the model's name.

    Returns:
        A functional ``Model`` taking pixels in [0, 255] (it normalises them itself).

    Example:
        >>> EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 1280)
    """
    return _variant("b0", locals())


def EfficientNetB1(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb1",
):
    """EfficientNetB1: as :func:`EfficientNetB0`, width ×1.0, depth ×1.1, 240×240 input."""
    return _variant("b1", locals())


def EfficientNetB2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb2",
):
    """EfficientNetB2: as :func:`EfficientNetB0`, width ×1.1, depth ×1.2, 260×260 input."""
    return _variant("b2", locals())


def EfficientNetB3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb3",
):
    """EfficientNetB3: as :func:`EfficientNetB0`, width ×1.2, depth ×1.4, 300×300 input."""
    return _variant("b3", locals())


def EfficientNetB4(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb4",
):
    """EfficientNetB4: as :func:`EfficientNetB0`, width ×1.4, depth ×1.8, 380×380 input."""
    return _variant("b4", locals())


def EfficientNetB5(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb5",
):
    """EfficientNetB5: as :func:`EfficientNetB0`, width ×1.6, depth ×2.2, 456×456 input."""
    return _variant("b5", locals())


def EfficientNetB6(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb6",
):
    """EfficientNetB6: as :func:`EfficientNetB0`, width ×1.8, depth ×2.6, 528×528 input."""
    return _variant("b6", locals())


def EfficientNetB7(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="efficientnetb7",
):
    """EfficientNetB7: as :func:`EfficientNetB0`, width ×2.0, depth ×3.1, 600×600 input."""
    return _variant("b7", locals())


def _variant(key, arguments):
    """Build the EfficientNet ``key`` ("b0"...) with the public ``arguments`` of its function."""
    width, depth, size, dropout = VARIANTS[key]
    return EfficientNet(width, depth, size, dropout, weights_name=key, **arguments)


def preprocess_input(x, data_format=None):
    """EfficientNet's preprocessing: none, the model rescales and normalises its input itself
    (a pass-through kept for Keras's API)."""
    return x
