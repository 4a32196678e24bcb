"""CIFAR-10: 60,000 colour images 32×32 in 10 classes (Krizhevsky, 2009).

Read from the official *binary* version, ``cifar-10-binary.tar.gz``, downloaded once into the
cache and checked against its published md5; the pickled "python version" is never used.
``load_sample`` gives 20 real test images that ship with the package, for work without network.
"""

from __future__ import annotations

import os
import re

import numpy

from .cifar import read_archive
from .download import cache_dir, ensure_files
from .idx import DatasetFileError

CLASS_NAMES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]

MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
ARCHIVE = "cifar-10-binary.tar.gz"
FILES = {ARCHIVE: "c32a1d4ab5d03f1284b67883e8d87530"}  # name -> published md5 of the archive
FOLDER = "cifar-10-batches-bin"
TRAIN = [f"{FOLDER}/data_batch_{i}.bin" for i in range(1, 6)]
TEST = f"{FOLDER}/test_batch.bin"

# 20 test images from the foolbox package (MIT), as cifar10_<i>_<label>.png.
SAMPLE = os.path.join(os.path.dirname(__file__), "data", "cifar10-sample")
_SAMPLE_NAME = re.compile(r"cifar10_(\d+)_(\d)\.png")


def load_data(path=None):
    """The CIFAR-10 images as Keras returns them (channels-last).

    Args:
        path: a folder holding ``cifar-10-binary.tar.gz``, used as is. By default the cache
            (``$CONVLENS_DATA/cifar-10`` or ``~/.cache/convlens/cifar-10``), where the archive is
            downloaded on first use.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (50000, 32, 32, 3),
        (50000, 1), (10000, 32, 32, 3), (10000, 1).

    Raises:
        DownloadError: when the archive is not in the cache and cannot be downloaded; the message
            says where to put it by hand.
        DatasetFileError: naming the file, when it does not match its checksum or is truncated
            or corrupt.
        FileNotFoundError: when ``path`` does not hold the archive.

    Example:

    >>> from convlens.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    """
    if path is None:
        folder = cache_dir("cifar-10")
        ensure_files(folder, FILES, MIRRORS, "CIFAR-10")
    else:
        folder = os.fspath(path)
    archive = os.path.join(folder, ARCHIVE)
    if not os.path.exists(archive):
        raise FileNotFoundError(f"{archive}: missing; expected {ARCHIVE} in {folder}.")
    batches = read_archive(archive, TRAIN + [TEST])
    x_train = numpy.concatenate([batches[name][0] for name in TRAIN])
    y_train = numpy.concatenate([batches[name][1] for name in TRAIN])
    return (x_train, y_train), batches[TEST]


def load_sample(path=None):
    """Twenty real CIFAR-10 test images, for demos and tests that need no download.

    Args:
        path: a folder of PNG files named ``cifar10_<i>_<label>.png``; the copy inside the
            package by default.

    Returns:
        ``(x, y)``: uint8 arrays of shapes (N, 32, 32, 3) and (N, 1), in the order of ``i``.

    Raises:
        ImportError: when Pillow is not installed.
        FileNotFoundError: when the folder holds no such file.
        DatasetFileError: naming the file, when one is not a readable 32×32 image.

    Example:

    >>> from convlens.datasets import cifar10
    >>> x, y = cifar10.load_sample()
    >>> x.shape, x.dtype, y.shape
    ((20, 32, 32, 3), dtype('uint8'), (20, 1))
    >>> cifar10.CLASS_NAMES[y[0, 0]]
    'cat'
    """
    _pillow()
    folder = SAMPLE if path is None else os.fspath(path)
    found = [(_SAMPLE_NAME.fullmatch(name), name) for name in sorted(os.listdir(folder))]
    entries = sorted((int(match[1]), int(match[2]), name) for match, name in found if match)
    if not entries:
        raise FileNotFoundError(f"{folder}: no CIFAR-10 sample images (cifar10_<i>_<label>.png).")
    x = numpy.empty((len(entries), 32, 32, 3), numpy.uint8)
    for k, (_, _, name) in enumerate(entries):
        x[k] = _sample_image(os.path.join(folder, name))
    y = numpy.array([[label] for _, label, _ in entries], numpy.uint8)  # (N, 1)
    return x, y


def _sample_image(file) -> numpy.ndarray:
    """One 32×32 sample as (32, 32, 3) uint8, its size checked before decoding (no bomb is
    inflated), through images.opened: a regular file, a PNG's CRCs checked."""
    from .. import images

    try:
        with images.opened(file) as image:
            if image.size == (32, 32):
                return numpy.asarray(image.convert("RGB"))
            width, height = image.size
    except (images.ImageFileError, FileNotFoundError) as error:
        raise DatasetFileError(f"{file}: not a readable image ({error}).") from None
    raise DatasetFileError(f"{file}: expected a 32×32 image, found {width}×{height}.")


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "convlens.datasets.cifar10.load_sample reads PNG files with Pillow, which is not "
            "installed: pip install 'convlens[images]' (or pip install pillow)."
        ) from None
    return Image
