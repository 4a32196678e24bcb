"""Keras 3's ``keras.utils`` helpers that a vision program uses.

``to_categorical`` and ``normalize`` for labels and arrays, ``set_random_seed`` for
reproducible runs, ``PyDataset``/``Sequence`` for batch datasets read by index,
``plot_model``/``model_to_dot`` for a picture of the graph, ``get_file``, the image-file
helpers, ``image_dataset_from_directory`` and ``pad_sequences``; the custom-object registry
under Keras's ``utils`` names too (``register_keras_serializable``, ``custom_object_scope``...).
"""

from ..backend import clear_session
from ..registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
)
from ..saving import get_registered_name
from .files import get_file
from .image_dataset import image_dataset_from_directory
from .images import array_to_img, img_to_array, load_img, save_img
from .numerical import normalize, to_categorical
from .plotting import model_to_dot, plot_model
from .py_dataset import PyDataset, Sequence
from .seeding import set_random_seed
from .sequences import pad_sequences

__all__ = [
    "clear_session",
    "CustomObjectScope",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "custom_object_scope",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "set_random_seed",
    "to_categorical",
]
