"""The README's main job, as a function: train a lecture network on a dataset and keep the
run (model file, summary, training curves, CSV log, the run's record) in a folder of its own.

The ``convlens train`` command only parses arguments and calls :func:`train`. Each run gets a
new folder, ``runs/<model>-<dataset>-<n>``, so no run ever overwrites another, and its
``result.json`` records what ``evaluate``, ``predict`` and ``show`` need later: the dataset,
the model, and how images were prepared (the preprocessing).

The habit taught here is the right one: the validation curve comes from a split of the
*training* data, and the test set is used once, at the end (issue 14, item 3).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field

import numpy

from . import applications, callbacks, optimizers
from .callbacks.stop_on_interrupt import StopOnInterrupt
from .optimizers import schedules

DATASETS = ("mnist", "fashion_mnist", "cifar10")
RECORD = "result.json"
MODEL_FILE = "model.keras"


@dataclass
class TrainResult:
    """What a training run produced: figures, the run's record and the files written.

    ``test_loss``/``test_accuracy`` are None for an interrupted run (the test set is used
    once, at the end of a finished run).
    """

    model: str
    dataset: str
    epochs: int
    epochs_run: int
    interrupted: bool
    train_samples: int
    validation_samples: int
    test_samples: int
    validation_loss: float | None
    validation_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    seconds: float
    run_dir: str
    model_path: str
    preprocessing: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    created: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


def class_names(dataset: str) -> list[str] | None:
    """The names of the classes of ``dataset`` (None for MNIST, whose classes are digits)."""
    from . import datasets

    module = {"fashion_mnist": datasets.fashion_mnist, "cifar10": datasets.cifar10}.get(dataset)
    return None if module is None else list(module.CLASS_NAMES)


def load_dataset(name: str):
    """``(x_train, y_train), (x_test, y_test)`` as float32 images in [0, 1] with a channel axis.

    Raises:
        ValueError: for an unknown name (the message lists the accepted ones).
        DownloadError: when a dataset that is not bundled cannot be downloaded; the message
            says where to put its files by hand.
    """
    from . import datasets

    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; accepted: {', '.join(DATASETS)}.")
    (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
    return (prepare(x_train), y_train.reshape(-1)), (prepare(x_test), y_test.reshape(-1))


def prepare(x) -> numpy.ndarray:
    """Pixels 0..255 -> float32 in [0, 1], with a channel axis: the run's preprocessing."""
    x = numpy.asarray(x).astype(numpy.float32) / 255.0
    return x[..., None] if x.ndim == 3 else x


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


def new_run_dir(runs_dir: str, model: str, dataset: str) -> str:
    """Create and return a new folder ``runs_dir/<model>-<dataset>-<n>``, n = 1, 2, ...

    ``os.mkdir`` fails on an existing folder, so two runs started together never share one.
    """
    os.makedirs(runs_dir, exist_ok=True)
    number = 1
    while True:
        path = os.path.join(runs_dir, f"{model}-{dataset}-{number}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            number += 1


def _own_dir(output_dir: str) -> str:
    """``output_dir`` for this run only: created if missing, refused if it holds a run."""
    if os.path.isfile(output_dir):
        raise FileExistsError(f"--output-dir {output_dir!r} is a file; give a new folder.")
    if os.path.isdir(output_dir) and os.listdir(output_dir):
        raise FileExistsError(
            f"{output_dir!r} already holds files (a previous run?) and runs are never "
            "overwritten; give a new or empty folder, or leave out --output-dir for a new "
            "runs/<model>-<dataset>-<n> folder."
        )
    os.makedirs(output_dir, exist_ok=True)
    return output_dir


def train(
    model: str = "lenet5",
    dataset: str = "mnist",
    epochs: int = 12,
    batch_size: int = 128,
    optimizer: str = "adam",
    learning_rate: float = 2e-3,
    output_dir: str | None = None,
    seed: int = 0,
    limit: int | None = None,
    verbose="auto",
    validation_split: float = 0.1,
    runs_dir: str = "runs",
) -> TrainResult:
    """Train ``model`` on ``dataset`` and keep the run in a new folder.

    Args:
        model: ``"lenet5"`` or ``"colour_cnn"``.
        dataset: ``"mnist"`` (bundled), ``"fashion_mnist"`` or ``"cifar10"``.
        epochs, batch_size: mini-batch SGD settings.
        optimizer: ``"adam"``, ``"sgd"``, ``"rmsprop"``...; its learning rate follows a
            cosine decay from ``learning_rate``.
        output_dir: the run's folder; None makes a new ``runs_dir/<model>-<dataset>-<n>``.
            A folder that already holds files is refused: runs are never overwritten.
        seed: weights, shuffling and dropout all derive from it.
        limit: train on the first ``limit`` training images only (quick runs).
        validation_split: the last fraction of the training images, held out for the
            validation curve (0 for none). The test set is used once, at the end.
        runs_dir: where new run folders go.

    A Ctrl-C stops training after the current batch; the model, log and curves of the
    completed epochs are still saved and the result says ``interrupted``. A second Ctrl-C
    raises ``KeyboardInterrupt``.
    """
    if model not in applications.MODELS:
        raise ValueError(f"Unknown model {model!r}; accepted: {', '.join(applications.MODELS)}.")
    if epochs < 1 or batch_size < 1:
        raise ValueError(
            f"epochs and batch_size must be positive, received {epochs}, {batch_size}."
        )
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1 image, received {limit}.")
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    validation = None
    if validation_split:
        from .models.data import split_validation

        (x_train, y_train, _), validation = split_validation(
            x_train, y_train, None, validation_split
        )
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
    folder = _own_dir(output_dir) if output_dir else new_run_dir(runs_dir, model, dataset)
    files = {name: os.path.join(folder, name) for name in ("summary.txt", "log.csv")}
    with open(files["summary.txt"], "w") as stream:
        network.summary(print_fn=lambda line: stream.write(line + "\n"))
    stopper = StopOnInterrupt()
    started = time.perf_counter()
    history = network.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        validation_data=validation[:2] if validation else None,
        verbose=verbose,
        callbacks=[callbacks.CSVLogger(files["log.csv"]), stopper],
    )
    seconds = time.perf_counter() - started
    test = None
    if not stopper.interrupted:  # the test set, once, at the end of a finished run
        test = network.evaluate(x_test, y_test, batch_size=512, verbose=0)
    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": optimizer,
        "learning_rate": learning_rate,
        "seed": seed,
        "limit": limit,
        "validation_split": validation_split,
    }
    counts = (len(x_train), len(validation[0]) if validation else 0, len(x_test))
    run = (model, dataset, settings, counts)
    return _keep(folder, network, history, stopper, run, test, seconds)


def _keep(folder, network, history, stopper, run, test, seconds) -> TrainResult:
    """Save the model, the curves of the completed epochs and the run's record."""
    model, dataset, settings, (n_train, n_validation, n_test) = run
    model_path = os.path.join(folder, MODEL_FILE)
    network.save(model_path)
    written = [model_path, os.path.join(folder, "summary.txt"), os.path.join(folder, "log.csv")]
    logs = {key: values[: stopper.epochs_completed] for key, values in history.history.items()}
    if stopper.interrupted:
        _keep_rows(written[2], stopper.epochs_completed)
    if stopper.epochs_completed:
        try:
            from . import viz

            written.append(viz.training_curves(logs, os.path.join(folder, "curves.png")))
        except ImportError:
            pass  # pictures need the viz extra; the run itself does not
    last = {key: values[-1] for key, values in logs.items() if values}
    channels = network.input_shape[-1]
    result = TrainResult(
        model=model,
        dataset=dataset,
        epochs=settings["epochs"],
        epochs_run=stopper.epochs_completed,
        interrupted=stopper.interrupted,
        train_samples=n_train,
        validation_samples=n_validation,
        test_samples=0 if test is None else n_test,
        validation_loss=last.get("val_loss"),
        validation_accuracy=last.get("val_accuracy"),
        test_loss=None if test is None else float(test[0]),
        test_accuracy=None if test is None else float(test[1]),
        seconds=seconds,
        run_dir=folder,
        model_path=model_path,
        preprocessing={
            "input_shape": list(network.input_shape[1:]),
            "color_mode": "grayscale" if channels == 1 else "rgb",
            "rescale": "pixels / 255, to 0..1, as the dataset stores them (no inversion)",
            "class_names": class_names(dataset),
        },
        settings=settings,
        files=written + [os.path.join(folder, RECORD)],
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    with open(os.path.join(folder, RECORD), "w") as stream:
        stream.write(result.to_json())
    return result


def _keep_rows(csv_path: str, epochs: int) -> None:
    """Cut the CSV log to its header and the first ``epochs`` rows: the epoch that a Ctrl-C
    cut short is logged with the metrics of a part of the data, so it is not kept."""
    if not os.path.isfile(csv_path):
        return
    with open(csv_path) as stream:
        lines = stream.readlines()
    with open(csv_path, "w") as stream:
        stream.writelines(lines[: 1 + epochs])
