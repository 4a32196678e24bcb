"""Keras 3's ``keras.preprocessing.sequence``: ``pad_sequences``."""

from ..utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
