"""Pictures of what a network does, one call each, written as PNG files with matplotlib.

Feature maps of any layer for an input, a grid of a conv layer's filters, training curves from
a History or a CSV log, a confusion matrix, and filter results beside the original photo.
matplotlib is an optional extra (``pip install convlens[viz]``), imported only here, lazily.
"""

from __future__ import annotations

import csv
import math
import os

import numpy

from . import backend
from .atomic_files import write_atomically


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError("Pictures need matplotlib: pip install convlens[viz]") from error
    matplotlib.use("Agg")  # files only: no window, works on servers and in CI
    import matplotlib.pyplot as pyplot

    return pyplot


def _save(figure, path) -> str:
    """Write the figure to ``path`` (a temporary file renamed into place) and close it."""
    try:
        return _write_png(figure, path)
    finally:
        _pyplot().close(figure)


def _grid(count: int) -> tuple[int, int]:
    columns = math.ceil(math.sqrt(count))
    return math.ceil(count / columns), columns


def _image_grid(images, titles, path, suptitle, cmap="gray", symmetric=False):
    pyplot = _pyplot()
    rows, columns = _grid(len(images))
    figure, axes = pyplot.subplots(
        rows, columns, figsize=(1.6 * columns, 1.6 * rows), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        options = {}
        if symmetric:  # signed values: 0 is the middle grey, so signs read at a glance
            limit = float(numpy.abs(image).max()) or 1.0
            options = dict(vmin=-limit, vmax=limit)
        axis.imshow(image, cmap=cmap if image.ndim == 2 else None, **options)
        axis.set_title(titles[index], fontsize=7)
    figure.suptitle(suptitle, fontsize=9)
    return _save(figure, path)


def feature_maps(model, layer, image, path, max_maps: int = 64) -> str:
    """The feature maps that ``layer`` (a name, an index or a layer) produces for ``image``.

    Args:
        model: a built model.
        layer: which layer's output to show.
        image: one sample, shaped like the model's input without the batch axis.
        path: the PNG file to write.
        max_maps: show at most this many channels.

    Returns:
        ``path``.
    """
    from .models import Model

    target = _find_layer(model, layer)
    probe = Model(model.inputs[0], target_output(model, target))
    maps = probe.predict(numpy.asarray(image)[None], verbose=0)[0]
    if maps.ndim == 1:
        maps = maps[None, :]
    maps = maps if maps.ndim == 2 else numpy.moveaxis(maps, -1, 0)[:max_maps]
    maps = [maps] if maps.ndim == 2 and maps.shape[0] == 1 else list(maps)
    titles = [f"map {i}" for i in range(len(maps))]
    return _image_grid(
        maps, titles, path, f'{type(target).__name__} "{target.name}" feature maps', cmap="viridis"
    )


def _find_layer(model, layer):
    if isinstance(layer, int):
        return model.layers[layer]
    if isinstance(layer, str):
        return model.get_layer(layer)
    return layer


def target_output(model, layer):
    """The symbolic output of ``layer`` in ``model``'s graph."""
    for node in model._nodes:
        if node.layer is layer:
            return node.outputs[0]
    raise ValueError(f'Layer "{layer.name}" is not in model "{model.name}".')


def conv_filters(layer, path, channel: int | None = None) -> str:
    """A grid of a conv layer's kernels: one picture per filter (per input channel, or the
    mean over input channels, or RGB when the layer reads 3 channels)."""
    kernel = backend.to_numpy(layer.kernel.data)  # (KH, KW, C_in, C_out)
    if kernel.ndim != 4:
        raise ValueError(f'{type(layer).__name__} "{layer.name}" has no 2-D conv kernel.')
    filters = numpy.moveaxis(kernel, -1, 0)  # (C_out, KH, KW, C_in)
    if channel is not None:
        images = [f[:, :, channel] for f in filters]
        symmetric = True
    elif filters.shape[-1] == 3:  # colour filters shown as colours, scaled to [0, 1]
        low, high = filters.min(), filters.max()
        images = [(f - low) / ((high - low) or 1.0) for f in filters]
        symmetric = False
    else:
        images = [f.mean(axis=-1) for f in filters]
        symmetric = True
    titles = [f"filter {i}" for i in range(len(images))]
    return _image_grid(
        images,
        titles,
        path,
        f'{type(layer).__name__} "{layer.name}" filters',
        cmap="bwr",
        symmetric=symmetric,
    )


def training_curves(history, path) -> str:
    """Loss and metrics per epoch from a History, a ``history.history`` dict or a CSV log;
    each metric in its own panel, training and validation together."""
    logs = _read_logs(history)
    names = [k for k in logs if not k.startswith("val_") and k != "epoch"]
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
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
    return _save(figure, path)


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
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(0.5 * classes + 2, 0.5 * classes + 2))
    axis.imshow(matrix, cmap="Blues")
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
    return _save(figure, path)


def filter_results(image, results: dict, path) -> str:
    """The original photo beside each filtered version (``{kernel name: displayable image}``)."""
    images = [numpy.asarray(image)] + [numpy.asarray(r) for r in results.values()]
    titles = ["original"] + list(results)
    return _image_grid(images, titles, path, "kernels applied to the photo")


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
    from .rng import rng_for

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
    pyplot = _pyplot()
    rows, columns = _grid(n)
    figure, axes = pyplot.subplots(
        rows, columns, figsize=(1.8 * columns, 1.8 * rows), squeeze=False
    )
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
        _write_png(figure, path)
    return figure


def _write_png(figure, path) -> str:
    """Write ``figure`` to ``path`` through a temporary file, leaving the figure open."""
    path = os.fspath(path)
    write_atomically(
        path, lambda stream: figure.savefig(stream, format="png", dpi=110, bbox_inches="tight")
    )
    return path
