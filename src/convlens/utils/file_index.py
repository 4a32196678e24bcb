"""The file list behind ``image_dataset_from_directory``: which files, which labels, which split.

Keras's rules, kept so that a program moved from Keras gets the same files in the same subset:

- with ``labels="inferred"`` each non-hidden sub-folder of ``directory`` is a class, in
  alphanumeric order (or the order of ``class_names``); its files are listed recursively,
  sorted by folder then by name; files directly in ``directory`` are ignored;
- otherwise every file under ``directory`` is listed, in the same order;
- only files whose lower-cased name ends with an allowed extension count;
- with ``shuffle`` the list is permuted by ``numpy.random.RandomState(seed).shuffle`` (the same
  draws as Keras), and a validation split takes the LAST ``int(validation_split * n)`` files
  of that permuted list: the training and validation calls must share ``seed``.
"""

from __future__ import annotations

import os

import numpy

SUBSETS = ("training", "validation", "both")


def check_validation_split_arg(validation_split, subset, shuffle, seed) -> None:
    """Raise a ValueError naming the argument when the split arguments do not fit together."""
    if validation_split is not None and not isinstance(validation_split, (int, float)):
        raise ValueError(
            f"validation_split must be a float between 0 and 1, received {validation_split!r}."
        )
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be between 0 and 1 (exclusive), received {validation_split}."
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "subset and validation_split go together: pass both or neither, received "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    if subset not in SUBSETS + (None,):
        raise ValueError(f"subset must be one of {SUBSETS} or None, received {subset!r}.")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "validation_split with shuffle=True needs a seed (received seed=None): the training "
            "and validation calls must shuffle the file list alike, or their files overlap."
        )


def index_directory(
    directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False
):
    """The files under ``directory`` with their labels: ``(file_paths, labels, class_names)``.

    Args:
        directory: the folder to list.
        labels: ``"inferred"`` (from the sub-folder names), None, or a list of ints, one per
            file in the listing order.
        formats: the allowed extensions, lower case, with the dot.
        class_names: with ``labels="inferred"``, the sub-folders to use, in label order.
        shuffle: permute the list with ``seed`` (Keras's ``RandomState`` shuffle).
        seed: an int, needed when ``shuffle`` is set.
        follow_links: also walk into sub-folders that are symbolic links.

    Returns:
        A list of paths (``os.path.join(directory, ...)``), an int32 array of labels (or the
        given list, permuted; None without labels) and the class names (None without labels).

    Raises:
        FileNotFoundError: when ``directory`` is not a folder.
        ValueError: for class names that are not sub-folders, or a labels list whose length is
            not the number of files.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"image_dataset_from_directory: directory {directory!r} does not exist or is not a "
            "folder."
        )
    subdirs = _class_folders(directory, labels, class_names)
    filenames, inferred = [], []
    for index, subdir in enumerate(subdirs):
        found = _files_under(directory, subdir, follow_links, formats)
        filenames += found
        inferred += [index] * len(found)
    if labels == "inferred":
        labels, class_names = numpy.asarray(inferred, dtype="int32"), list(subdirs)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                f"labels has {len(labels)} entries but directory {directory!r} holds "
                f"{len(filenames)} image files; pass one label per file, in the listing order."
            )
        class_names = [str(label) for label in sorted(set(labels))]
    file_paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        order = numpy.arange(len(file_paths))
        numpy.random.RandomState(seed).shuffle(order)  # Keras's draws, so the same permutation
        file_paths = [file_paths[i] for i in order]
        if labels is not None:
            labels = _permute(labels, order)
    return file_paths, labels, class_names


def _permute(labels, order):
    if isinstance(labels, numpy.ndarray):
        return labels[order]
    return type(labels)(labels[i] for i in order)


def _class_folders(directory, labels, class_names) -> list:
    """The sub-folders to index (``[""]``, the folder itself, when labels are not inferred)."""
    if labels != "inferred":
        if class_names is not None:
            raise ValueError(
                "class_names is only valid with labels='inferred', received "
                f"labels={_short(labels)} and class_names={class_names!r}."
            )
        return [""]
    found = [
        name
        for name in sorted(os.listdir(directory))
        if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
    ]
    if class_names is None:
        return found
    if not set(class_names) <= set(found):
        raise ValueError(
            f"class_names must name sub-folders of {directory!r}: expected a subset of {found}, "
            f"received class_names={list(class_names)!r}."
        )
    return list(class_names)  # the order given is the label order


def _files_under(directory, subdir, follow_links, formats) -> list:
    """The allowed files under ``directory/subdir``, as paths relative to ``directory``."""
    root_dir = os.path.join(directory, subdir)
    found = []
    walk = sorted(os.walk(root_dir, followlinks=follow_links), key=lambda entry: entry[0])
    for root, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                relative = os.path.relpath(os.path.join(root, name), root_dir)
                found.append(os.path.join(subdir, relative))
    return found


def split(paths, labels, validation_split, subset):
    """Keras's split of the (already shuffled) list: the last ``int(validation_split * n)``
    files are the validation subset, the rest the training subset."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset not in ("training", "validation"):
        raise ValueError(f"subset must be 'training' or 'validation', received {subset!r}.")
    # Keras slices [:-count] and [-count:]: with count == 0 the training subset is empty.
    rows = slice(None, -count) if subset == "training" else slice(-count, None)
    if count == 0:
        rows = slice(0, 0) if subset == "training" else slice(None)
    return paths[rows], None if labels is None else labels[rows]


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
