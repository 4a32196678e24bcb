"""Keras 3's ``keras.preprocessing``: the image-file helpers (``preprocessing.image``) and
``pad_sequences`` (``preprocessing.sequence``).

``image_dataset_from_directory`` is not here yet (issue 13).
"""

from . import image, sequence

__all__ = ["image", "sequence"]
