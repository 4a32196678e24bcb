"""Keras 3's ``keras.utils`` helpers that a vision program uses.

``to_categorical`` and ``normalize`` for labels and arrays, ``set_random_seed`` for
reproducible runs, ``PyDataset``/``Sequence`` for batch datasets read by index,
``plot_model``/``model_to_dot`` for a picture of the graph, ``get_file``, the image-file
helpers and ``pad_sequences``.
"""

from .files import get_file
from .images import array_to_img, img_to_array, load_img, save_img
from .numerical import normalize, to_categorical
from .plotting import model_to_dot, plot_model
from .py_dataset import PyDataset, Sequence
from .seeding import set_random_seed
from .sequences import pad_sequences

__all__ = [
    "PyDataset",
    "Sequence",
    "array_to_img",
    "get_file",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_model",
    "save_img",
    "set_random_seed",
    "to_categorical",
]
