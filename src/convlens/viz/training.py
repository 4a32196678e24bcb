"""Pictures of training: the curves of a History or CSV log, a confusion matrix, and a grid of
augmented samples."""

from __future__ import annotations

import csv
import os

import numpy

from .. import backend
from ._figures import add_colorbar, grid, pyplot, save, write_png


def training_curves(history, path) -> str:
    """Loss and metrics per epoch from a History, a ``history.history`` dict or a CSV log;
    each metric in its own panel, training and validation together."""
    logs = _read_logs(history)
    names = [k for k in logs if not k.startswith("val_") and k != "epoch"]
    plt = pyplot()
    figure, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
    for axis, name in zip(axes.flat, names):
        epochs = range(1, len(logs[name]) + 1)
        axis.plot(epochs, logs[name], marker="o", label="training")
        if f"val_{name}" in logs:
            axis.plot(epochs, logs[f"val_{name}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    return save(figure, path)


def _read_logs(history) -> dict[str, list[float]]:
    if hasattr(history, "history"):
        return dict(history.history)
    if isinstance(history, dict):
        return dict(history)
    with open(os.fspath(history), newline="") as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        raise ValueError(f"{history}: the CSV log has no rows.")
    return {key: [float(row[key]) for row in rows] for key in rows[0]}


def confusion_matrix(y_true, y_pred, path, class_names=None) -> str:
    """The confusion matrix (rows: true class, columns: predicted), counts written in cells.

    ``y_pred`` may be class indices or per-class scores (argmax is taken).
    """
    y_true = numpy.asarray(y_true).reshape(-1).astype(int)
    y_pred = numpy.asarray(y_pred)
    y_pred = (y_pred.argmax(axis=-1) if y_pred.ndim > 1 else y_pred).reshape(-1).astype(int)
    classes = int(max(y_true.max(), y_pred.max())) + 1
    matrix = numpy.zeros((classes, classes), dtype=int)
    numpy.add.at(matrix, (y_true, y_pred), 1)
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(0.5 * classes + 2, 0.5 * classes + 2))
    drawn = axis.imshow(matrix, cmap="Blues")
    add_colorbar(axis, drawn, "images")
    labels = class_names or [str(i) for i in range(classes)]
    axis.set_xticks(range(classes), labels, rotation=90, fontsize=7)
    axis.set_yticks(range(classes), labels, fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for (i, j), count in numpy.ndenumerate(matrix):
        axis.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize=6,
            color="white" if count > matrix.max() / 2 else "black",
        )
    axis.set_title(f"accuracy {numpy.trace(matrix) / max(matrix.sum(), 1):.4f}")
    return save(figure, path)


def augmentation_grid(layer_or_model, image, n: int = 9, seed=0, path=None):
    """``n`` augmented versions of one image in a grid, drawn in one call (training mode).

    The random layers of ``layer_or_model`` draw from ``seed`` for this picture only: their
    own streams are left where they were, so a picture changes nothing in training.

    Args:
        layer_or_model: an augmentation layer, or a model (say a Sequential of them).
        image: one image ``(H, W, C)``, pixel values in [0, 1] or [0, 255].
        n: how many samples to draw.
        seed: an int: the same grid each time.
        path: also write the figure as a PNG there.

    Returns:
        The matplotlib Figure (left open, for notebooks; ``pyplot.close`` it when done).

    Raises:
        ValueError: for an image that is not 3-D or a non-positive ``n``.
    """
    from ..rng import rng_for

    image = numpy.asarray(backend.to_numpy(getattr(image, "data", image)))
    if image.ndim != 3 or not isinstance(n, int) or n < 1:
        raise ValueError(
            "augmentation_grid: expected one image (H, W, C) and n >= 1, received shape "
            f"{image.shape} and n={n!r}."
        )
    batch = numpy.repeat(image[None].astype("float32"), n, axis=0)  # (n, H, W, C)
    random_layers = [
        layer
        for layer in getattr(layer_or_model, "_flat_layers", lambda: [layer_or_model])()
        if hasattr(layer, "rng") and hasattr(layer, "augment")
    ]
    streams = [layer.rng for layer in random_layers]
    generator = rng_for(seed)
    try:
        for layer in random_layers:  # one child stream per layer, from the picture's seed
            layer.rng = numpy.random.default_rng(int(generator.integers(2**63)))
        samples = backend.to_numpy(layer_or_model(batch, training=True).data)
    finally:
        for layer, stream in zip(random_layers, streams):
            layer.rng = stream
    scale = 255.0 if image.max() > 1.0 else 1.0  # show [0, 255] pixels as [0, 1]
    samples = numpy.clip(samples / scale, 0.0, 1.0)
    plt = pyplot()
    rows, columns = grid(n)
    figure, axes = plt.subplots(rows, columns, figsize=(1.8 * columns, 1.8 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < n:
            sample = samples[index]
            grey = sample.shape[-1] == 1
            axis.imshow(sample[..., 0] if grey else sample, cmap="gray" if grey else None)
            axis.set_title(f"sample {index + 1}", fontsize=7)
    name = getattr(layer_or_model, "name", type(layer_or_model).__name__)
    figure.suptitle(f'augmentations of "{name}" (seed {seed})', fontsize=9)
    if path is not None:
        write_png(figure, path)
    return figure
