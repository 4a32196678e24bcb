"""MNIST, bundled inside the package: the quick start trains on it with no network.

70,000 handwritten digits, 28×28 grey levels 0-255 (LeCun, Cortes & Burges), in their original
IDX files, checked against the published checksums as they are read.
"""

from __future__ import annotations

import os

from .idx import read_idx_pair

BUNDLED = os.path.join(os.path.dirname(__file__), "data", "mnist")

FILES = {  # name -> md5 of the uncompressed file, as published
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}


def load_data(path=None):
    """The MNIST digits as Keras returns them.

    Args:
        path: a folder holding the four IDX ``.gz`` files; the copy inside the package by default.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,).

    Raises:
        FileNotFoundError: naming the file, when ``path`` lacks one.
        DatasetFileError: naming the file, when one is truncated or corrupt.

    Example:

    >>> from convlens.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
    >>> x_train.shape, x_train.dtype, y_test.shape
    ((60000, 28, 28), dtype('uint8'), (10000,))
    """
    folder = os.fspath(path) if path is not None else BUNDLED
    return read_idx_pair(folder, FILES, "train"), read_idx_pair(folder, FILES, "t10k")
