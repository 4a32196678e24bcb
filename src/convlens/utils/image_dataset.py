"""Keras 3's ``image_dataset_from_directory``: a folder of class sub-folders as batches.

The file list, the labels and the training/validation split follow Keras exactly
(:mod:`convlens.utils.file_index`); the images are decoded and resized with Pillow (the
``images`` extra) by :class:`ImageDataset`, a :class:`~convlens.utils.PyDataset` that
``fit``, ``evaluate`` and ``predict`` read batch by batch. With ``workers > 1`` the next
batches are decoded on background threads while the model trains (``models/data.py`` reads a
PyDataset through :func:`convlens.utils.prefetch.ordered_map`), in the same order as without.

Example:
    >>> import os, tempfile, numpy as np
    >>> from convlens.utils import image_dataset_from_directory, save_img
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cats", "dogs"):
    ...     os.makedirs(os.path.join(root, name))
    ...     for i in range(3):
    ...         save_img(os.path.join(root, name, f"{i}.png"), np.full((8, 8, 3), i * 40.0),
    ...                  scale=False)
    >>> ds = image_dataset_from_directory(root, image_size=(4, 4), batch_size=4, seed=1)
    Found 6 files belonging to 2 classes.
    >>> ds.class_names, len(ds)
    (['cats', 'dogs'], 2)
    >>> images, labels = ds[0]
    >>> images.shape, images.dtype, labels.dtype
    ((4, 4, 4, 3), dtype('float32'), dtype('int32'))
    >>> import shutil; shutil.rmtree(root)
"""

from __future__ import annotations

import math
import os
import sys

import numpy

from .. import config
from ..images import MAX_PIXELS
from ..rng import rng_for
from . import file_index
from .image_dataset_io import ALLOWLIST_FORMATS, ImageReader, check_interpolation
from .prefetch import ordered_map
from .py_dataset import PyDataset

_LABEL_MODES = ("int", "categorical", "binary", None)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",
    verbose=True,
    workers=None,
    max_queue_size=None,
):
    """A dataset of ``(images, labels)`` batches from the image files under ``directory``.

    Args:
        directory: a folder; with ``labels="inferred"`` each sub-folder holds one class.
        labels: ``"inferred"``, None (images only) or a list of int labels, one per file in
            the alphanumeric order of the paths.
        label_mode: ``"int"`` (int32, shape (batch,)), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 0/1, shape (batch, 1); exactly 2 classes) or None.
        class_names: with ``labels="inferred"``, the sub-folders to use, in label order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"`` (1, 3 or 4 channels).
        batch_size: images per batch, or None for single samples.
        image_size: ``(height, width)`` every image is resized to (an int for a square).
        shuffle: shuffle the files (with ``seed``), and again at each epoch's end.
        seed: an int; needed with ``validation_split`` and ``shuffle``.
        validation_split: the fraction of files kept for validation (with ``subset``).
        subset: ``"training"``, ``"validation"`` or ``"both"`` (returns the two datasets).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"``,
            ``"lanczos3"``: Pillow's filters (antialiased when shrinking, unlike TF's resize).
        follow_links: walk into sub-folders that are symbolic links.
        crop_to_aspect_ratio: crop the centre to the target aspect ratio before resizing.
        pad_to_aspect_ratio: pad with zeros to the target aspect ratio before resizing.
        data_format: ``"channels_last"`` (batches (N, H, W, C)) or ``"channels_first"``.
        format: accepted for Keras's signature (``"tf"`` or ``"grain"``); the result is an
            :class:`ImageDataset` either way.
        verbose: print how many files and classes were found.
        workers: threads decoding ahead of the consumer; None picks up to 4 from the CPUs,
            0 or 1 decodes in the consumer's thread (an extension of Keras's signature).
        max_queue_size: batches decoded ahead (default ``2 * workers``).

    Returns:
        An :class:`ImageDataset`, or ``(training, validation)`` with ``subset="both"``.

    Raises:
        ValueError: naming the argument, for values out of their range, arguments that do not
            go together, or a folder without images.
        FileNotFoundError: when ``directory`` is not a folder.
    """
    _check_labels(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels = label_mode = None
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"color_mode must be one of {tuple(_CHANNELS)}, received color_mode={color_mode!r}."
        )
    image_size = _image_size(image_size)
    check_interpolation(interpolation)
    _check_options(batch_size, format, crop_to_aspect_ratio, pad_to_aspect_ratio)
    data_format = _data_format(data_format)
    file_index.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(rng_for(None).integers(1_000_000))  # Keras draws one too
    paths, labels, class_names = file_index.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links
    )
    _say(verbose, _found(len(paths), labels, class_names))
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'label_mode="binary" needs exactly 2 classes, received '
            f"{len(class_names)}: class_names={class_names}."
        )
    reader = ImageReader(
        image_size, color_mode, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio
    )
    common = dict(
        class_names=class_names, label_mode=label_mode, reader=reader, batch_size=batch_size,
        seed=seed, data_format=data_format, workers=workers, max_queue_size=max_queue_size,
    )  # fmt: skip
    if subset == "both":
        made = []
        for part in ("training", "validation"):
            part_paths, part_labels = file_index.split(paths, labels, validation_split, part)
            _say(verbose, f"Using {len(part_paths)} files for {part}.")
            _require_files(part_paths, directory, part)
            # Keras shuffles the training subset only when both come from one call.
            made.append(
                ImageDataset(
                    part_paths, part_labels, shuffle=shuffle and part == "training", **common
                )
            )
        return tuple(made)
    paths, labels = file_index.split(paths, labels, validation_split, subset)
    if subset:
        _say(verbose, f"Using {len(paths)} files for {subset}.")
    _require_files(paths, directory, subset)
    return ImageDataset(paths, labels, shuffle=shuffle, **common)


class ImageDataset(PyDataset):
    """Batches of images read from files, with their labels (what
    :func:`image_dataset_from_directory` returns).

    ``ds[i]`` is batch ``i`` of the current epoch: ``(images, labels)`` as float32 images
    (N, H, W, C) and labels per ``label_mode``, or the images alone without labels. With
    ``shuffle`` the order is a permutation drawn from ``(seed, epoch)``; ``on_epoch_end`` (which
    ``fit`` calls) moves to the next epoch, as does a complete ``for`` loop over the dataset.

    Attributes:
        file_paths: the files, in Keras's order (the subset, after the seeded shuffle).
        class_names: the class names (sub-folders), or None without labels.
    """

    def __init__(
        self, file_paths, labels, *, class_names, label_mode, reader, batch_size, shuffle, seed,
        data_format, workers=None, max_queue_size=None,
    ):  # fmt: skip
        workers = min(4, os.cpu_count() or 1) if workers is None else workers
        queue = max_queue_size if max_queue_size is not None else max(2 * workers, 1)
        super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=queue)
        self.file_paths, self.class_names = list(file_paths), class_names
        self.label_mode, self.reader, self.batch_size = label_mode, reader, batch_size
        self.labels = None if labels is None else numpy.asarray(labels, dtype="int32")
        self.shuffle, self.seed, self.data_format = shuffle, seed, data_format
        self.epoch = 0
        self._order = self._epoch_order()

    def __len__(self) -> int:
        count = len(self.file_paths)
        return count if self.batch_size is None else math.ceil(count / self.batch_size)

    def __getitem__(self, index):
        """Batch ``index`` of this epoch (one sample when ``batch_size`` is None)."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches.")
        size = self.batch_size or 1
        rows = self._order[index * size : (index + 1) * size]
        images = numpy.stack([self.reader.read(self.file_paths[row]) for row in rows])
        if self.data_format == "channels_first":
            images = images.transpose(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
        labels = None if self.label_mode is None else self._encode(self.labels[rows])
        if self.batch_size is None:
            images = images[0]
            labels = None if labels is None else labels[0]
        return images if labels is None else (images, labels)

    def __iter__(self):
        """The batches of this epoch, decoded ahead on ``workers`` threads; a loop that runs to
        the end moves the dataset to its next epoch (reshuffled, as a ``tf.data`` dataset)."""
        batches = ordered_map(self.__getitem__, range(len(self)), self.workers, self.max_queue_size)
        yield from batches
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        """Draw the next epoch's order (when shuffling)."""
        self.epoch += 1
        if self.shuffle:
            self._order = self._epoch_order()

    def _epoch_order(self):
        count = len(self.file_paths)
        if not self.shuffle:
            return numpy.arange(count)
        return numpy.random.default_rng((self.seed, self.epoch)).permutation(count)

    def _encode(self, labels):
        if self.label_mode == "binary":
            return labels.astype("float32")[:, None]  # (N,) -> (N, 1)
        if self.label_mode == "categorical":
            classes = numpy.arange(len(self.class_names))
            return (labels[:, None] == classes).astype("float32")  # one-hot (N, K)
        return labels

    def __repr__(self) -> str:
        return (
            f"<ImageDataset: {len(self.file_paths)} files, {len(self)} batches, "
            f"classes={self.class_names}>"
        )


def _check_labels(labels, label_mode, class_names) -> None:
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "labels must be 'inferred', None or a list/tuple of int labels (one per file), "
                f"received labels={labels!r}."
            )
        if class_names:
            raise ValueError(
                "class_names is only valid with labels='inferred', received an explicit labels "
                f"list and class_names={class_names!r}."
            )
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"label_mode must be one of {_LABEL_MODES}, received label_mode={label_mode!r}."
        )


def _image_size(image_size) -> tuple:
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    valid = isinstance(image_size, (list, tuple)) and len(image_size) == 2
    if not valid or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                            for v in image_size):  # fmt: skip
        raise ValueError(
            "image_size must be (height, width), two positive ints, received "
            f"image_size={image_size!r}."
        )
    if image_size[0] * image_size[1] > MAX_PIXELS:  # every batch would be refused, or MemoryError
        raise ValueError(
            f"image_size={image_size!r} asks for {image_size[0] * image_size[1]:,} pixels per "
            f"image; at most {MAX_PIXELS:,} are made (Pillow's decompression-bomb limit)."
        )
    return tuple(image_size)


def _check_options(batch_size, format, crop, pad) -> None:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, received {batch_size!r}.")
    if format not in ("tf", "grain"):
        raise ValueError(f"format must be 'tf' or 'grain', received format={format!r}.")
    if crop and pad:
        raise ValueError(
            "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True, received both."
        )


def _data_format(data_format) -> str:
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "data_format must be 'channels_last' or 'channels_first', received "
            f"data_format={data_format!r}."
        )
    return data_format


def _found(count, labels, class_names) -> str:
    if labels is None:
        return f"Found {count} files."
    return f"Found {count} files belonging to {len(class_names)} classes."


def _require_files(paths, directory, subset) -> None:
    if not paths:
        what = f"{subset} images" if subset else "images"
        raise ValueError(
            f"No {what} found in directory {directory!r}. Allowed formats: {ALLOWLIST_FORMATS}."
        )


def _say(verbose, message) -> None:
    """Keras prints these counts; they go to stdout only when ``verbose``."""
    if verbose:
        sys.stdout.write(message + "\n")
