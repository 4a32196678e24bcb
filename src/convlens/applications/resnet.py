"""ResNet50, ResNet101 and ResNet152 (He et al., CVPR 2016; Keras's "v1" bottleneck blocks)
with Keras's arguments and layer names, so Keras's published weight files load by name."""

from __future__ import annotations

from .. import layers, models
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401  (Keras's resnet.decode_predictions)

WEIGHTS_URL = imagenet_utils.KERAS_WEIGHTS_URL + "resnet/"
EPSILON = 1.001e-5  # the batch normalization epsilon of Keras's (and Caffe's) ResNets


def ResNet(
    stack_sizes,
    weights_name,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
):
    """A ResNet "v1": a 7×7/2 convolution and 3×3/2 max pooling, then four stacks of
    bottleneck blocks (64, 128, 256, 512 filters; ``stack_sizes`` blocks each), then global
    average pooling and the classifier. ``weights_name`` names Keras's weight files; the other
    arguments are :func:`ResNet50`'s."""
    file = f"{weights_name}_weights_tf_dim_ordering_tf_kernels" + (
        ".h5" if include_top else "_notop.h5"
    )
    imagenet_utils.check_weights(weights, include_top, classes, name, WEIGHTS_URL + file)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=include_top
    )
    image, inputs = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stack, (filters, blocks) in enumerate(zip((64, 128, 256, 512), stack_sizes), start=2):
        x = stack_residual_blocks(x, filters, blocks, 1 if stack == 2 else 2, f"conv{stack}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool_features(x, pooling, "avg_pool", "max_pool")
    model = models.Model(inputs, x, name=name)
    return imagenet_utils.load_weights(model, weights)


def residual_block(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block: 1×1 (``filters``, strided) → 3×3 → 1×1 (4·``filters``), each
    batch-normalised, added to the shortcut (a strided 1×1 projection, or ``x`` itself)."""
    axis = imagenet_utils.channel_axis()
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=axis, epsilon=EPSILON, name=f"{name}_0_bn")(
            shortcut
        )
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=EPSILON, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks(x, filters, blocks, stride1=2, name=None):
    """``blocks`` bottleneck blocks named ``{name}_block1``...; only the first projects the
    shortcut and strides by ``stride1``."""
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    """ResNet50: 25,636,712 parameters at 224×224×3 with 1000 classes.

    Args:
        include_top: whether to end in global average pooling and the Dense classifier.
        weights: None (random initialization), ``"imagenet"`` (raises: download Keras's file
            and pass its path), or the path of a weights file, loaded by layer name.
        input_tensor: a symbolic tensor to use as the image input.
        input_shape: one image's shape; (224, 224, 3) by default, at least 32×32, and fixed
            with ``include_top``.
        pooling: without the top, None (4-D features), ``"avg"`` or ``"max"``.
        classes: the classifier's width (with ``include_top``).
        classifier_activation: the classifier's activation (None for logits).
        name: the model's name.

    Returns:
        A functional ``Model``; inputs as :func:`preprocess_input` makes them.

    Example:
        >>> ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
        (None, 1, 1, 2048)
    """
    return ResNet((3, 4, 6, 3), "resnet50", **locals())  # the arguments above, unchanged


def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
):
    """ResNet101: as :func:`ResNet50`, with 23 blocks in the third stack."""
    return ResNet((3, 4, 23, 3), "resnet101", **locals())  # the arguments above, unchanged


def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
):
    """ResNet152: as :func:`ResNet50`, with 8 and 36 blocks in the second and third stacks."""
    return ResNet((3, 8, 36, 3), "resnet152", **locals())  # the arguments above, unchanged


def preprocess_input(x, data_format=None):
    """ResNet's preprocessing ("caffe"): RGB to BGR, then minus ImageNet's mean pixel."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")
