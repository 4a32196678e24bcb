"""What every ImageNet application shares, with Keras's rules: the ``weights`` argument, the
input shape, the padding before a strided convolution, and ``preprocess_input`` /
``decode_predictions``.

There is no network at run time, so ``weights="imagenet"`` cannot download Keras's file: it
raises an error that names the file and its address, to be downloaded once and passed as a path.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy

from .. import activations, backend, config
from ..layers.symbolic import KerasTensor
from ..tensor import Tensor

KERAS_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"  # + family/
CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # ImageNet's mean pixel, in BGR order
TORCH_MEAN_RGB, TORCH_STD_RGB = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def check_weights(weights, include_top: bool, classes: int, model: str, url: str) -> None:
    """Validate ``weights`` and ``classes`` as Keras does, before anything is built.

    ``url`` is the address of Keras's published weight file for this configuration;
    ``weights="imagenet"`` raises an error telling the user to download it and pass its path.

    Raises:
        ValueError: ``weights`` is neither None, "imagenet" nor an existing file; or
            "imagenet" (no download here; checked after ``classes``, which must be 1000 then).
    """
    if weights is not None and not (isinstance(weights, (str, os.PathLike))):
        raise ValueError(
            f"{model}: the `weights` argument should be None (random initialization), "
            f"'imagenet' or the path to a weights file. Received: weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            f"{model}: with weights='imagenet' and include_top=True, `classes` should be 1000. "
            f"Received: classes={classes}"
        )
    if weights == "imagenet":
        file_name = url.rsplit("/", 1)[-1]
        raise ValueError(
            f"{model}: weights='imagenet' needs Keras's file {file_name!r}, and convlens never "
            f"downloads. Download it once from {url} and pass its path: "
            f"weights='/path/to/{file_name}'."
        )
    if weights is not None and not os.path.isfile(weights):
        raise ValueError(
            f"{model}: the `weights` argument should be None (random initialization), "
            f"'imagenet' or the path to a weights file; no file at {os.fspath(weights)!r}."
        )


def obtain_input_shape(input_shape, default_size, min_size, require_flatten):
    """The model's input shape (one sample, no batch axis), checked as Keras checks it.

    ``None`` gives the default ``(default_size, default_size, 3)`` with a classifier on top
    (``require_flatten``), else ``(None, None, 3)``. A given shape must have three entries and
    spatial sizes of at least ``min_size``; with a classifier on top it must be fully known.
    (Keras's rules for ``weights="imagenet"`` never apply: that raises before.)
    """
    first = config.image_data_format() == "channels_first"
    if input_shape is None:
        if not require_flatten:
            return (3, None, None) if first else (None, None, 3)
        return (3, default_size, default_size) if first else (default_size, default_size, 3)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(
            f"`input_shape` must be a tuple of three integers (one image, no batch axis). "
            f"Received: input_shape={input_shape}"
        )
    channels = input_shape[0] if first else input_shape[-1]
    spatial = input_shape[1:] if first else input_shape[:2]
    if channels not in (1, 3):
        warnings.warn(
            f"This model usually expects 1 or 3 input channels; input_shape={input_shape} "
            f"has {channels}.",
            stacklevel=3,
        )
    if any(size is not None and size < min_size for size in spatial):
        raise ValueError(
            f"Input size must be at least {min_size}x{min_size}; "
            f"Received: input_shape={input_shape}"
        )
    if require_flatten and None in input_shape:
        raise ValueError(
            f"If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def weights_rows(input_shape, sizes) -> int:
    """The image size MobileNets name their model and weight file after: the given square
    size when Keras published weights for it (``sizes``), else 224."""
    if input_shape is None or len(input_shape) != 3:
        return 224
    first = config.image_data_format() == "channels_first"
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    return rows if rows == cols and rows in sizes else 224


def image_input(input_tensor, input_shape):
    """The symbolic image input: ``input_tensor`` when given (a KerasTensor), else a new
    ``Input(input_shape)``; and the model inputs it comes from (Keras's source inputs)."""
    from ..layers import Input

    if input_tensor is None:
        tensor = Input(shape=input_shape)
        return tensor, tensor
    if not isinstance(input_tensor, KerasTensor):
        raise TypeError(
            f"`input_tensor` must be a symbolic tensor from layers.Input (or a layer called on "
            f"one). Received: {type(input_tensor).__name__}"
        )
    return input_tensor, _source_inputs(input_tensor)


def _source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` was computed from (itself if it is one)."""
    found, stack, seen = [], [tensor], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        node = current.node
        if node is None or node.is_input:
            found.append(current)
        else:
            stack.extend(reversed(node.inputs + node.extra_inputs))
    return found[0] if len(found) == 1 else found


def channel_axis() -> int:
    """The channel axis of a 4-D image batch under the global ``image_data_format``."""
    return 1 if config.image_data_format() == "channels_first" else 3


def correct_pad(inputs, kernel_size):
    """Zero padding that makes a stride-2 'valid' convolution match TensorFlow's 'same' one:
    ``((top, bottom), (left, right))``, one fewer row/column on top/left for even sizes."""
    first = config.image_data_format() == "channels_first"
    size = inputs.shape[2:4] if first else inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights) -> None:
    """With pretrained weights the classifier may end only in softmax or nothing (logits)."""
    if weights is None:
        return
    allowed = {activations.get("softmax"), activations.get(None)}
    if activations.get(classifier_activation) not in allowed:
        raise ValueError(
            f"Only None and 'softmax' are allowed for `classifier_activation` with pretrained "
            f"weights and include_top=True; Received: "
            f"classifier_activation={classifier_activation!r}"
        )


def pool_features(x, pooling, avg_name=None, max_name=None):
    """Without the classifier: the 4-D features (``pooling=None``), or their global average
    (``"avg"``) or maximum (``"max"``), under Keras's layer names for the family.

    Raises:
        ValueError: another ``pooling`` (Keras ignores it silently).
    """
    from ..layers import GlobalAveragePooling2D, GlobalMaxPooling2D

    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    if pooling is not None:
        raise ValueError(f"`pooling` should be None, 'avg' or 'max'. Received: {pooling=}")
    return x


def load_weights(model, weights):
    """``model.load_weights(weights)`` for a path (matched by layer name); None leaves the
    random initialization."""
    if weights is not None:
        model.load_weights(os.fspath(weights))
    return model


def preprocess_input(x, data_format=None, mode="caffe"):
    """Prepare a batch of RGB images with values in [0, 255] as an ImageNet model expects.

    Modes (Keras's): ``"caffe"``, RGB to BGR then minus ImageNet's mean pixel, no scaling
    (VGG16, ResNet50); ``"tf"``, scaled to [-1, 1] (MobileNet, MobileNetV2); ``"torch"``,
    scaled to [0, 1] then standardised per channel with ImageNet's mean and deviation.

    Args:
        x: a 3-D (one image) or 4-D array, a convlens Tensor, or a symbolic tensor.
        data_format: where the channels are; None reads ``image_data_format()``.
        mode: "caffe", "tf" or "torch".

    Returns:
        The result as a new array (floating inputs keep their dtype, others become
        ``floatx()``); unlike Keras, a NumPy input is never written over.

    Raises:
        ValueError: an unknown ``mode`` or ``data_format``.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"Expected mode to be one of 'caffe', 'tf' or 'torch'. Received: {mode=}")
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "Expected data_format to be one of 'channels_first' or 'channels_last'. "
            f"Received: {data_format=}"
        )
    if isinstance(x, KerasTensor):
        return _preprocess(x, data_format, mode, len(x.shape))
    if isinstance(x, Tensor):
        return Tensor(backend.xp.asarray(preprocess_input(x.numpy(), data_format, mode)))
    x = numpy.asarray(x)
    if not numpy.issubdtype(x.dtype, numpy.floating):
        x = x.astype(config.floatx())
    return _preprocess(x, data_format, mode, x.ndim).astype(x.dtype, copy=False)


def _preprocess(x, data_format, mode, ndim):
    """The arithmetic of :func:`preprocess_input`, written so it runs on arrays and records
    graph nodes on symbolic tensors alike (no in-place writes)."""
    if mode == "tf":
        return x / 127.5 - 1.0
    # channel statistics broadcast along the channel axis: (3,) last, or (3, 1, 1) first
    shape = (3,) if data_format == "channels_last" else (3, 1, 1)
    if mode == "torch":
        mean, std = numpy.reshape(TORCH_MEAN_RGB, shape), numpy.reshape(TORCH_STD_RGB, shape)
        return (x / 255.0 - mean.astype("float32")) / std.astype("float32")
    if data_format == "channels_last":
        x = x[..., ::-1]  # RGB -> BGR
    else:
        x = x[::-1] if ndim == 3 else x[:, ::-1]
    return x - numpy.reshape(CAFFE_MEAN_BGR, shape).astype("float32")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: lists of
    ``(class_name, class_description, score)``, best first.

    The class names come from Keras's ``imagenet_class_index.json``, read from Keras's cache
    (``~/.keras/models/``, or ``$KERAS_HOME/models/``); convlens never downloads it.

    Raises:
        ValueError: ``preds`` is not of shape ``(samples, 1000)``, or the class index file is
            not in Keras's cache (the message says where to download it and put it).
    """
    preds = backend.to_numpy(getattr(preds, "data", preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of predictions (a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}"
        )
    index = _class_index()
    results = []
    for pred in preds:
        best = numpy.argsort(pred)[-top:][::-1]
        results.append([(*index[str(i)], pred[i]) for i in best])
    return results


def _class_index() -> dict:
    """Keras's ``imagenet_class_index.json`` from Keras's cache, or an error saying where."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    path = os.path.join(home, "models", "imagenet_class_index.json")
    if not os.path.isfile(path):
        raise ValueError(
            f"decode_predictions needs ImageNet's class names, and convlens never downloads: "
            f"download {CLASS_INDEX_URL} and save it as {path}."
        )
    with open(path, encoding="utf-8") as file:
        index = json.load(file)
    if not isinstance(index, dict) or len(index) != 1000:
        raise ValueError(f"{path}: expected 1000 ImageNet classes, found {len(index)} entries.")
    return index
