"""Keras 3's image preprocessing and augmentation layers, and ``Normalization``.

Augmentations (``RandomFlip``, ``RandomRotation``, ``RandomTranslation``, ``RandomZoom``,
``RandomContrast``, ``RandomBrightness``, ``RandomCrop``) act in training and are seeded;
``Resizing``, ``CenterCrop`` and ``Normalization`` act always.
"""

from .color import RandomBrightness, RandomContrast
from .geometric import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from .normalization import Normalization
from .sizing import CenterCrop, RandomCrop, Resizing

__all__ = [
    "CenterCrop",
    "Normalization",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
]
