"""The README's main job, as a function: train a lecture network on a dataset and keep the
results (model file, summary, training curves, CSV log, metrics) in one output folder.

The ``convlens train`` command only parses arguments and calls :func:`train`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

import numpy

from . import applications, callbacks, optimizers
from .optimizers import schedules


@dataclass
class TrainResult:
    """What a training run produced: figures and the files written."""

    model: str
    dataset: str
    epochs_run: int
    train_samples: int
    test_samples: int
    test_loss: float
    test_accuracy: float
    seconds: float
    model_path: str
    files: list

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


def load_dataset(name: str):
    """``(x_train, y_train), (x_test, y_test)`` as float32 images in [0, 1] with a channel axis."""
    from . import datasets

    loaders = {"mnist": datasets.mnist.load_data}
    for optional in ("fashion_mnist", "cifar10"):
        module = getattr(datasets, optional, None)
        if module is not None:
            loaders[optional] = module.load_data
    if name not in loaders:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(sorted(loaders))}.")
    (x_train, y_train), (x_test, y_test) = loaders[name]()

    def prepare(x):
        x = x.astype(numpy.float32) / 255.0
        return x[..., None] if x.ndim == 3 else x

    return (prepare(x_train), y_train.reshape(-1)), (prepare(x_test), y_test.reshape(-1))


def make_optimizer(name: str, learning_rate: float, steps_per_epoch: int, epochs: int):
    """The optimizer by name, its learning rate decayed along a cosine over the whole run."""
    schedule = schedules.CosineDecay(
        learning_rate, decay_steps=max(steps_per_epoch * epochs, 1), alpha=0.01
    )
    return optimizers.get(
        {
            "class_name": optimizers.get(name).__class__.__name__,
            "config": {"learning_rate": schedules.serialize(schedule)},
        }
    )


def train(
    model: str = "lenet5",
    dataset: str = "mnist",
    epochs: int = 12,
    batch_size: int = 128,
    optimizer: str = "adam",
    learning_rate: float = 2e-3,
    output_dir: str = "runs/lenet5",
    seed: int = 0,
    limit: int | None = None,
    verbose="auto",
) -> TrainResult:
    """Train ``model`` on ``dataset`` and write its results to ``output_dir``.

    Args:
        model: ``"lenet5"`` or ``"colour_cnn"``.
        dataset: ``"mnist"`` (bundled), ``"fashion_mnist"`` or ``"cifar10"``.
        epochs, batch_size: mini-batch SGD settings.
        optimizer: ``"adam"``, ``"sgd"``, ``"rmsprop"``...; its learning rate follows a
            cosine decay from ``learning_rate``.
        output_dir: where the model, summary, curves and log go.
        seed: weights, shuffling and dropout all derive from it.
        limit: train on the first ``limit`` samples only (quick runs).
    """
    if model not in applications.MODELS:
        raise ValueError(
            f"Unknown model {model!r}; choose one of {', '.join(applications.MODELS)}."
        )
    if epochs < 1 or batch_size < 1:
        raise ValueError(
            f"epochs and batch_size must be positive, received {epochs}, {batch_size}."
        )
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    network = applications.MODELS[model](
        input_shape=x_train.shape[1:], classes=int(max(y_train.max(), y_test.max())) + 1
    )
    network.reset_weights(seed)
    steps = -(-len(x_train) // batch_size)
    network.compile(
        optimizer=make_optimizer(optimizer, learning_rate, steps, epochs),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    os.makedirs(output_dir, exist_ok=True)
    files = {
        name: os.path.join(output_dir, name)
        for name in ("model.keras", "summary.txt", "log.csv", "curves.png", "result.json")
    }
    with open(files["summary.txt"], "w") as stream:
        network.summary(print_fn=lambda line: stream.write(line + "\n"))
    started = time.perf_counter()
    history = network.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        validation_data=(x_test, y_test),
        verbose=verbose,
        callbacks=[callbacks.CSVLogger(files["log.csv"])],
    )
    seconds = time.perf_counter() - started
    test_loss, test_accuracy = network.evaluate(x_test, y_test, batch_size=512, verbose=0)
    network.save(files["model.keras"])
    written = [files["model.keras"], files["summary.txt"], files["log.csv"]]
    try:
        from . import viz

        viz.training_curves(history, files["curves.png"])
        written.append(files["curves.png"])
    except ImportError:
        pass  # pictures need the viz extra; the run itself does not
    result = TrainResult(
        model,
        dataset,
        len(history.epoch),
        len(x_train),
        len(x_test),
        float(test_loss),
        float(test_accuracy),
        seconds,
        files["model.keras"],
        written + [files["result.json"]],
    )
    with open(files["result.json"], "w") as stream:
        stream.write(result.to_json())
    return result
