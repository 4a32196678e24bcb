"""Keras 3's ``keras.preprocessing``: the image-file helpers (``preprocessing.image``),
``image_dataset_from_directory`` and ``pad_sequences`` (``preprocessing.sequence``).
"""

from ..utils.image_dataset import image_dataset_from_directory
from . import image, sequence

__all__ = ["image", "image_dataset_from_directory", "sequence"]
