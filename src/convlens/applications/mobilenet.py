"""MobileNet (Howard et al., 2017): depthwise separable convolutions, with Keras's arguments
and layer names, so Keras's published weight files load by name."""

from __future__ import annotations

from .. import config, layers, models
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras's mobilenet.decode_predictions)

WEIGHTS_URL = imagenet_utils.KERAS_WEIGHTS_URL + "mobilenet/"
IMAGENET_SIZES = (128, 160, 192, 224)  # the input sizes Keras published weights for
IMAGENET_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, stride) of the 13 depthwise separable blocks, conv_dw_1 ... conv_dw_13
BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    *((512, 1),) * 5,
    (1024, 2),
    (1024, 1),
)


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNet: a 3×3/2 convolution, then 13 blocks of a 3×3 depthwise and a 1×1 pointwise
    convolution, each batch-normalised and followed by ReLU6: 4,253,864 parameters at
    224×224×3 with 1000 classes and ``alpha=1``.

    Args:
        input_shape: one image's shape; (224, 224, 3) by default, at least 32×32.
        alpha: the width multiplier: every layer has ``int(filters * alpha)`` filters.
        depth_multiplier: the depthwise convolutions' channel multiplier.
        dropout: the dropout rate before the classifier.
        include_top: whether to end in pooling, dropout and a 1×1 convolution classifier.
        weights: None, ``"imagenet"`` (raises: download Keras's file and pass its path), or
            the path of a weights file, loaded by layer name.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top, None (4-D features), ``"avg"`` or ``"max"``.
        classes: the classifier's width (with ``include_top``).
        classifier_activation: the classifier's activation (None for logits).
        name: the model's name; ``mobilenet_{alpha:.2f}_{rows}`` by default, as in Keras.

    Returns:
        A functional ``Model``; inputs as :func:`preprocess_input` makes them.

    Example:
        >>> MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 1024)
    """
    if weights == "imagenet" and (depth_multiplier != 1 or alpha not in IMAGENET_ALPHAS):
        raise ValueError(
            "MobileNet: Keras's ImageNet weights exist for depth_multiplier=1 and alpha in "
            f"{sorted(IMAGENET_ALPHAS)} only. Received: {alpha=}, {depth_multiplier=}"
        )
    rows = imagenet_utils.weights_rows(input_shape, IMAGENET_SIZES)
    top = "tf.h5" if include_top else "tf_no_top.h5"
    file = f"mobilenet_{IMAGENET_ALPHAS.get(alpha)}_{rows}_{top}"
    imagenet_utils.check_weights(weights, include_top, classes, "MobileNet", WEIGHTS_URL + file)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=rows, min_size=32, require_flatten=include_top
    )
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    x = _conv_block(image, int(32 * alpha), strides=2)
    for block_id, (filters, stride) in enumerate(BLOCKS, start=1):
        x = _depthwise_conv_block(x, int(filters * alpha), depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool_features(x, pooling)
    if name is None:
        first = config.image_data_format() == "channels_first"
        name = f"mobilenet_{alpha:0.2f}_{input_shape[1] if first else input_shape[0]}"
    model = models.Model(inputs, x, name=name)
    return imagenet_utils.load_weights(model, weights)


def _conv_block(inputs, filters, strides):
    """The stem: a 3×3 'same' convolution without bias, batch normalization, ReLU6."""
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, strides=strides, name="conv1")(
        inputs
    )
    x = layers.BatchNormalization(axis=imagenet_utils.channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, filters, depth_multiplier, stride, block_id):
    """3×3 depthwise (stride 2: pad bottom/right by one, then 'valid'), BN, ReLU6, then
    1×1 pointwise to ``filters``, BN, ReLU6; names ``conv_dw_{id}``, ``conv_pw_{id}``..."""
    axis = imagenet_utils.channel_axis()
    x = inputs
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        3,
        padding="same" if stride == 1 else "valid",
        depth_multiplier=depth_multiplier,
        strides=stride,
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x, data_format=None):
    """MobileNet's preprocessing ("tf"): pixels in [0, 255] scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
