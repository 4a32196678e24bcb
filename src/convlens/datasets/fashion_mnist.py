"""Fashion-MNIST: 70,000 28×28 grey images of 10 kinds of clothing (Xiao, Rasul & Vollgraf, 2017).

A drop-in for MNIST with the same shapes and IDX files, downloaded once into the cache from
Zalando Research's official locations and checked against the published md5s.
"""

from __future__ import annotations

import os

from .download import cache_dir, ensure_files
from .idx import read_idx_pair

CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

MIRRORS = [
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]

FILES = {  # name -> md5 of the .gz file as published, checked on download
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

# md5 of the uncompressed content, checked on every read: a copy gzipped again still passes.
CONTENTS = {
    "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
    "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
    "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
}


def load_data(path=None):
    """The Fashion-MNIST images as Keras returns them.

    Args:
        path: a folder holding the four IDX ``.gz`` files, used as is. By default the cache
            (``$CONVLENS_DATA/fashion-mnist`` or ``~/.cache/convlens/fashion-mnist``), where
            missing files are downloaded on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,).

    Raises:
        DownloadError: when a file is not in the cache and cannot be downloaded; the message
            says which files to put where by hand.
        DatasetFileError: naming the file, when it does not match its checksum or is truncated
            or corrupt.
        FileNotFoundError: naming the file, when ``path`` lacks one.

    Example:

    >>> from convlens.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    >>> fashion_mnist.CLASS_NAMES[y_train[0]]  # doctest: +SKIP
    'Ankle boot'
    """
    if path is None:
        folder = cache_dir("fashion-mnist")
        ensure_files(folder, FILES, MIRRORS, "Fashion-MNIST")
    else:
        folder = os.fspath(path)
    return read_idx_pair(folder, CONTENTS, "train"), read_idx_pair(folder, CONTENTS, "t10k")
