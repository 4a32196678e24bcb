"""Datasets with Keras's ``load_data()`` shapes and dtypes.

MNIST and a CIFAR-10 sample are bundled; Fashion-MNIST and CIFAR-10 are downloaded once into
``$CONVLENS_DATA`` (default ``~/.cache/convlens``) and checked against their published checksums.
"""

from . import cifar10, fashion_mnist, mnist
from .download import DownloadError
from .idx import DatasetFileError, read_idx

__all__ = ["DatasetFileError", "DownloadError", "cifar10", "fashion_mnist", "mnist", "read_idx"]
