"""MobileNetV2 (Sandler et al., CVPR 2018): inverted residual blocks with linear bottlenecks,
with Keras's arguments and layer names, so Keras's published weight files load by name."""

from __future__ import annotations

from .. import config, layers, models
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras's mobilenet_v2.decode_predictions)

WEIGHTS_URL = imagenet_utils.KERAS_WEIGHTS_URL + "mobilenet_v2/"
IMAGENET_SIZES = (96, 128, 160, 192, 224)  # the input sizes Keras published weights for
IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
BN = dict(epsilon=1e-3, momentum=0.999)  # the batch normalization of every MobileNetV2 layer
# (filters, stride, expansion) of the 17 inverted residual blocks, block_id 0 ... 16
BLOCKS = (
    (16, 1, 1),
    (24, 2, 6),
    (24, 1, 6),
    (32, 2, 6),
    *((32, 1, 6),) * 2,
    (64, 2, 6),
    *((64, 1, 6),) * 3,
    *((96, 1, 6),) * 3,
    (160, 2, 6),
    *((160, 1, 6),) * 2,
    (320, 1, 6),
)


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNetV2: a 3×3/2 convolution, 17 inverted residual blocks (1×1 expansion, 3×3
    depthwise, 1×1 linear projection; a residual add where shapes allow), a 1×1 convolution to
    1280 channels, then global average pooling and the classifier: 3,538,984 parameters at
    224×224×3 with 1000 classes and ``alpha=1``.

    Args:
        input_shape: one image's shape; (224, 224, 3) by default, at least 32×32.
        alpha: the width multiplier (filters rounded to multiples of 8).
        include_top: whether to end in global average pooling and the Dense classifier.
        weights: None, ``"imagenet"`` (raises: download Keras's file and pass its path), or
            the path of a weights file, loaded by layer name.
        input_tensor: a symbolic tensor to use as the image input.
        pooling: without the top, None (4-D features), ``"avg"`` or ``"max"``.
        classes: the classifier's width (with ``include_top``).
        classifier_activation: the classifier's activation (None for logits).
        name: the model's name; ``mobilenetv2_{alpha:.2f}_{rows}`` by default, as in Keras.

    Returns:
        A functional ``Model``; inputs as :func:`preprocess_input` makes them.

    Example:
        >>> MobileNetV2(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 1280)
    """
    if weights == "imagenet" and alpha not in IMAGENET_ALPHAS:
        raise ValueError(
            f"MobileNetV2: Keras's ImageNet weights exist for alpha in {list(IMAGENET_ALPHAS)} "
            f"only. Received: {alpha=}"
        )
    shape_for_rows = input_shape
    if input_shape is None and input_tensor is not None:
        shape_for_rows = tuple(input_tensor.shape[1:])  # Keras sizes the model by the tensor
    rows = imagenet_utils.weights_rows(shape_for_rows, IMAGENET_SIZES)
    top = ".h5" if include_top else "_no_top.h5"
    file = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}"
    imagenet_utils.check_weights(weights, include_top, classes, "MobileNetV2", WEIGHTS_URL + file)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=rows, min_size=32, require_flatten=include_top
    )
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(image)
    x = layers.BatchNormalization(axis=axis, **BN, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, **BN, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool_features(x, pooling)
    if name is None:
        first = config.image_data_format() == "channels_first"
        name = f"mobilenetv2_{alpha:0.2f}_{input_shape[1] if first else input_shape[0]}"
    model = models.Model(inputs, x, name=name)
    return imagenet_utils.load_weights(model, weights)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """1×1 expansion to ``expansion``× the channels (not in block 0), BN, ReLU6; 3×3 depthwise
    (stride 2: :func:`correct_pad`, then 'valid'), BN, ReLU6; 1×1 linear projection, BN; plus
    the input when the shapes agree. Names ``block_{id}_...`` (``expanded_conv_...`` for 0)."""
    axis = imagenet_utils.channel_axis()
    in_channels = inputs.shape[axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x, prefix = inputs, f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = layers.BatchNormalization(axis=axis, **BN, name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        padding = imagenet_utils.correct_pad(x, 3)
        x = layers.ZeroPadding2D(padding=padding, name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = layers.BatchNormalization(axis=axis, **BN, name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters, 1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = layers.BatchNormalization(axis=axis, **BN, name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(value, divisor, min_value=None):
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never
    more than 10% below ``value`` (the rule of the reference TensorFlow implementation)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def preprocess_input(x, data_format=None):
    """MobileNetV2's preprocessing ("tf"): pixels in [0, 255] scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
