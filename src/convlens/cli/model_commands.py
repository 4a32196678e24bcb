"""The commands that train a run or use one: train, evaluate, predict, summary, show, sample."""

from __future__ import annotations

import os
import tempfile

from .. import jobs
from . import runs
from .output import note, out, warn

# An image is refused when a side is under half the model's, or its proportions are more than
# twice off the model's; from 1.25 times off, it is squashed with a warning (issue 14, item 6).
_SMALLEST = 0.5
_SQUASH_REFUSED, _SQUASH_WARNED = 2.0, 1.25


def cmd_train(args) -> int:
    from ..distribution import launched_rank

    if launched_rank() != 0:  # under mpirun/srun: rank 0 keeps the run and prints
        with tempfile.TemporaryDirectory() as scratch:
            _train(args, output_dir=os.path.join(scratch, "run"), verbose=0)
        return 0
    result = _train(args, args.output_dir, "auto" if args.verbose is None else args.verbose)
    return _report_training(result)


def _train(args, output_dir, verbose):
    return jobs.train(
        model=args.model,
        dataset=args.dataset,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        learning_rate=args.learning_rate,
        output_dir=output_dir,
        seed=args.seed,
        limit=args.limit,
        verbose=verbose,
        validation_split=args.validation_split,
        runs_dir=args.runs_dir,
    )


def _report_training(result) -> int:
    if result.interrupted:
        note(
            "train",
            f"interrupted after {result.epochs_run} of {result.epochs} epochs; saved the model "
            f"and the log{' and curves' if result.epochs_run else ''} of the completed epochs "
            f"in {result.run_dir} (the test set is kept for finished runs)",
        )
        return 130
    if result.validation_accuracy is not None:
        out(
            f"validation accuracy {result.validation_accuracy:.4f} on {result.validation_samples}"
            " images held out of the training set"
        )
    out(
        f"test accuracy {result.test_accuracy:.4f}, test loss {result.test_loss:.4f} "
        f"({result.test_samples} test images, used once), {result.epochs_run} epochs in "
        f"{result.seconds:.1f} s"
    )
    out(f"run kept in {result.run_dir}")
    out(f"wrote {', '.join(result.files)}")
    return 0


def cmd_evaluate(args) -> int:
    run = runs.resolve(args.model, args.runs_dir)
    trained_on = run.record.get("dataset")
    dataset = args.dataset or trained_on or "mnist"
    if args.dataset:
        source = "as asked"
    elif trained_on:
        source = f"the run's dataset, from {run.record_path}"
    else:
        source = "no run record beside the model, so mnist; choose with --dataset"
    model = runs.load(run)
    _, (x_test, y_test) = jobs.load_dataset(dataset)
    expected = tuple(model.input_shape[1:])
    if tuple(x_test.shape[1:]) != expected:
        raise ValueError(
            f"the model reads images of shape {expected} but {dataset} has "
            f"{tuple(x_test.shape[1:])}; accepted: --dataset with images of the model's shape"
        )
    if args.dataset and trained_on and args.dataset != trained_on:
        warn("evaluate", f"the model was trained on {trained_on}; testing it on {dataset}")
    loss, accuracy = _loss_and_accuracy(model, run.model_path, x_test, y_test)
    out(
        f"test accuracy {accuracy:.4f}, test loss {loss:.4f} on the {dataset} test set "
        f"({len(x_test)} images; dataset: {source}); model {run.model_path}"
    )
    return 0


def _loss_and_accuracy(model, path: str, x, y) -> tuple[float, float]:
    """The test loss and accuracy, or a ValueError naming the file when its model was saved
    without them (``model.evaluate`` then raises RuntimeError, or gives the loss alone)."""
    accepted = (
        "accepted: a run of `convlens train`, or a .keras file saved after "
        "model.compile(loss=..., metrics=['accuracy'])"
    )
    if not model.compiled:
        raise ValueError(f"{path} holds a model saved without compile(), no loss; {accepted}")
    logs = model.evaluate(x, y, batch_size=512, verbose=0, return_dict=True)
    accuracy = [value for name, value in logs.items() if name.endswith("accuracy")]
    if not accuracy:
        raise ValueError(f"{path} holds a model compiled without an accuracy metric; {accepted}")
    return logs["loss"], accuracy[0]


def _check_shape(path: str, size: tuple, expected: tuple, command: str) -> None:
    """Refuse an image far from the model's shape; warn when it is squashed."""
    (height, width), (want_h, want_w) = size, expected
    if height < want_h * _SMALLEST or width < want_w * _SMALLEST:
        raise ValueError(
            f"{path} is {width}x{height} pixels, too small for a model that reads "
            f"{want_w}x{want_h} images; accepted: images of at least "
            f"{int(want_w * _SMALLEST)}x{int(want_h * _SMALLEST)} pixels (convlens sample "
            "writes one of the right size)"
        )
    off = (width / height) / (want_w / want_h)
    off = max(off, 1 / off)
    if off > _SQUASH_REFUSED:
        raise ValueError(
            f"{path} is {width}x{height} pixels, far from the {want_w}x{want_h} shape the "
            f"model reads (proportions {off:.1f} times off); accepted: images of roughly the "
            "model's proportions (crop it first)"
        )
    if off > _SQUASH_WARNED:
        warn(command, f"{path} is {width}x{height}: squashed to {want_w}x{want_h}")


def model_input(path: str, model, invert: bool, command: str):
    """An image file prepared as the run's training images were: the model's size and
    channels, pixels / 255; a batch of one (1, H, W, C)."""
    from .. import images

    height, width, channels = model.input_shape[1:]
    mode = "L" if channels == 1 else "RGB"
    pixels = images.load_image(path, mode=mode)
    _check_shape(path, pixels.shape[:2], (height, width), command)
    if pixels.shape[:2] != (height, width):
        pixels = images.load_image(path, mode=mode, size=(width, height))
    x = jobs.prepare(pixels[None]).reshape(1, height, width, channels)
    if invert:
        x = 1.0 - x  # MNIST digits are white on black; photos of ink are the opposite
    elif channels == 1 and x.mean() > 0.5:
        warn(command, f"{path} is mostly bright; if it is dark ink on light paper, add --invert")
    return x


def cmd_predict(args) -> int:
    run = runs.resolve(args.model, args.runs_dir)
    model = runs.load(run)
    names = (run.record.get("preprocessing") or {}).get("class_names")
    out(f"model {runs.describe(run)}:")  # which run answers: the latest may be another dataset's
    for path in args.images:
        scores = model.predict(model_input(path, model, args.invert, "predict"), verbose=0)[0]
        best = int(scores.argmax())
        name = f" {names[best]}" if names and best < len(names) else ""
        out(f"{path}: class {best}{name} (probability {scores[best]:.3f})")
    return 0


def cmd_summary(args) -> int:
    model = runs.load(runs.resolve(args.model, args.runs_dir))
    model.summary(print_fn=out, show_routes=args.routes or False)
    return 0


def _split_paths(paths: list) -> tuple:
    """``show``'s positional paths: ``[RUN] [IMAGE]``; a run is a folder or a model file."""
    if len(paths) > 2:
        raise ValueError(f"show takes at most a RUN and an IMAGE, received {len(paths)} paths")
    model_like = [p for p in paths if os.path.isdir(p) or p.endswith((".keras", ".h5"))]
    images_ = [p for p in paths if p not in model_like]
    if len(model_like) > 1 or len(images_) > 1:
        raise ValueError(f"show takes one RUN (a folder or .keras file) and one IMAGE: {paths}")
    return (model_like or [None])[0], (images_ or [None])[0]


def _layer(model, name, needs_filters: bool):
    convolutions = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    convolutions = [layer for layer in convolutions if layer.kernel.ndim == 4]
    names = ", ".join(layer.name for layer in convolutions) or "none"
    if name is None:
        if not convolutions:
            raise ValueError("the model has no Conv2D layer; name a layer with --layer")
        return convolutions[0]
    layer = model.get_layer(name)
    if needs_filters and layer not in convolutions:
        raise ValueError(
            f'layer "{name}" ({type(layer).__name__}) has no filters to draw; accepted '
            f"--layer: {names}"
        )
    return layer


def _show_optimizers(args) -> int:
    from .. import viz

    if args.paths:
        raise ValueError(f"show optimizers takes no RUN or IMAGE, received {args.paths}")
    surfaces = ("saddle", "local-minimum") if args.surface == "both" else (args.surface,)
    written = viz.optimizer_paths(args.output, surfaces, steps=args.steps, gif=args.gif)
    out(f"wrote {', '.join(written)}")
    return 0


def cmd_show(args) -> int:
    from .. import viz

    if args.what == "optimizers":
        return _show_optimizers(args)
    model_path, image = _split_paths(args.paths)
    run = runs.resolve(model_path, args.runs_dir)
    model = runs.load(run)
    if args.what == "filters":
        if image is not None:
            raise ValueError(f"show filters takes no IMAGE, received {image!r}")
        viz.conv_filters(_layer(model, args.layer, needs_filters=True), args.output)
    else:
        if image is None:
            raise ValueError(
                "show features needs an IMAGE, e.g. `convlens sample mnist -o digit.png` writes one"
            )
        sample = model_input(image, model, invert=False, command="show")[0]
        viz.feature_maps(model, _layer(model, args.layer, False), sample, args.output)
    out(f"wrote {args.output} (model {run.model_path})")
    return 0


def cmd_sample(args) -> int:
    from .. import datasets, images

    (x_train, y_train), (x_test, y_test) = getattr(datasets, args.dataset).load_data()
    x, y = (x_test, y_test) if args.split == "test" else (x_train, y_train)
    if args.index >= len(x):
        raise ValueError(
            f"--index {args.index} is past the end of the {args.dataset} {args.split} split; "
            f"accepted: 0 to {len(x) - 1}"
        )
    label = int(y.reshape(-1)[args.index])
    names = jobs.class_names(args.dataset)
    images.save_image(args.output, x[args.index])
    name = f" ({names[label]})" if names else ""
    out(f"wrote {args.output}: {args.dataset} {args.split} image {args.index}, class {label}{name}")
    return 0
