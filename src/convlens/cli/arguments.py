"""The ``convlens`` argument parser: every option has a sentence and shows its default.

Errors from argparse (a missing argument, ``--limit 0``) are one line on stderr with exit code 2,
like every other user error of the command (see :class:`Parser`).
"""

from __future__ import annotations

import argparse
import sys

from . import types

RUNS_DIR = "runs"
MAX_STEPS = 1_000  # show optimizers: a picture shows no more; --steps 10**9 ran for hours
RUN_HELP = (
    "a run folder (runs/lenet5-mnist-1) or a model file (.keras); default: the latest run in "
    "--runs-dir"
)


class HelpFormatter(argparse.HelpFormatter):
    """Appends ``(default: X)`` to an option's help unless the help already says it, or the
    default is None/False (nothing to show: the help then says what happens)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: ``convlens train: error: ...``."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)

    def parse_known_args(self, args=None, namespace=None):
        """argparse's, refusing ``--epochs=--``: Python 3.11's argparse drops the ``--`` and
        stores ``[]`` unchecked by the option's type and choices (``train --model=--`` then
        failed with a TypeError traceback)."""
        namespace, extras = super().parse_known_args(args, namespace)
        for action in self._actions:
            value = getattr(namespace, action.dest, None)
            if isinstance(action, argparse._StoreAction) and action.nargs is None and value == []:
                self.error(f"argument {'/'.join(action.option_strings)}: expected one value")
        return namespace, extras


def _runs_dir(parser) -> None:
    parser.add_argument(
        "--runs-dir", default=RUNS_DIR, help="the folder that holds the runs, one folder each"
    )


def _train(commands) -> None:
    train = commands.add_parser(
        "train",
        help="train LeNet-5 (or the colour CNN) and keep the run in a new folder",
        description="Train a network and keep the run in a new folder runs/<model>-<dataset>-"
        "<n> (model.keras, summary.txt, log.csv, curves.png, result.json); a run is never "
        "overwritten. The validation curve uses the last --validation-split of the training "
        "images; the test set is used once, at the end. Ctrl-C stops after the current batch "
        "and keeps the completed epochs; a second Ctrl-C aborts.",
    )
    train.add_argument(
        "--model", default="lenet5", choices=["lenet5", "colour_cnn"], help="the network"
    )
    train.add_argument(
        "--dataset",
        default="mnist",
        choices=["mnist", "fashion_mnist", "cifar10"],
        help="mnist is bundled; the others are downloaded once",
    )
    train.add_argument("--epochs", type=types.positive_int, default=12, help="passes over data")
    train.add_argument(
        "--batch-size", type=types.positive_int, default=128, help="images per gradient step"
    )
    train.add_argument(
        "--optimizer",
        default="adam",
        choices=["adam", "sgd", "rmsprop", "adamw", "nadam", "adagrad", "adamax"],
        help="the update rule",
    )
    train.add_argument(
        "--learning-rate",
        type=types.positive_float,
        default=2e-3,
        help="the first learning rate, then decayed along a cosine",
    )
    train.add_argument(
        "--validation-split",
        type=types.fraction,
        default=0.1,
        help="the share of the training images held out for the validation curve (0: none)",
    )
    train.add_argument(
        "--output-dir",
        default=None,
        help="a new or empty folder for this run (default: a new runs/<model>-<dataset>-<n>)",
    )
    _runs_dir(train)
    train.add_argument(
        "--seed",
        type=types.non_negative_int,
        default=0,
        help="weights, shuffling and dropout derive from it",
    )
    train.add_argument(
        "--limit",
        type=types.positive_int,
        default=None,
        help="train on the first N training images only (default: all)",
    )
    train.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=None,
        help="0 silent, 1 progress bar, 2 one line per epoch (default: a bar on a terminal)",
    )


def _saved_model_commands(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate", help="test accuracy of a run's model on its dataset's test set"
    )
    evaluate.add_argument("model", nargs="?", metavar="RUN", help=RUN_HELP)
    evaluate.add_argument(
        "--dataset",
        choices=["mnist", "fashion_mnist", "cifar10"],
        help="the test set (default: the dataset recorded in the run, else mnist)",
    )
    _runs_dir(evaluate)

    predict = commands.add_parser("predict", help="classify image files with a run's model")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="image files to classify")
    predict.add_argument("--run", "--model", dest="model", metavar="RUN", help=RUN_HELP)
    predict.add_argument(
        "--invert",
        action="store_true",
        help="for dark ink on light paper (MNIST digits are white on black)",
    )
    _runs_dir(predict)

    summary = commands.add_parser("summary", help="print a run's model summary")
    summary.add_argument("model", nargs="?", metavar="RUN", help=RUN_HELP)
    summary.add_argument(
        "--routes",
        type=types.positive_int,
        nargs="?",
        const=32,
        metavar="BATCH",
        help="also show how each convolution and pooling is computed for a batch of BATCH "
        "images (32 when BATCH is left out)",
    )
    _runs_dir(summary)

    show = commands.add_parser(
        "show",
        help="pictures of a run's feature maps or filters, or of the optimizers at work",
        description="show filters [RUN] -o F.png; show features [RUN] IMAGE -o F.png. RUN is "
        "a run folder or a .keras file; without it, the latest run in --runs-dir. "
        "show optimizers -o F.png: SGD, momentum, RMSprop and Adam stepping on a saddle and "
        "beside a local minimum (no run needed).",
    )
    show.add_argument("what", choices=["features", "filters", "optimizers"], help="what to draw")
    show.add_argument(
        "paths", nargs="*", metavar="RUN_OR_IMAGE", help="[RUN] and, for features, IMAGE"
    )
    show.add_argument("--layer", help="the layer's name (default: the first Conv2D)")
    show.add_argument(
        "-o",
        "--output",
        required=True,
        help="the PNG file to write (optimizers: a .gif name writes the animation)",
    )
    show.add_argument(
        "--surface",
        choices=["saddle", "local-minimum", "both"],
        default="both",
        help="optimizers only: f = x^2 - y^2, or a double well with a local minimum",
    )
    show.add_argument(
        "--steps",
        type=types.between(1, MAX_STEPS),
        default=None,
        help="optimizers only: updates per optimizer (default: 60 on the saddle, 100 on the "
        "double well)",
    )
    show.add_argument(
        "--gif", action="store_true", help="optimizers only: also write an animated .gif beside"
    )
    _runs_dir(show)

    sample = commands.add_parser(
        "sample", help="write one image of a dataset to a file, to try predict and show"
    )
    sample.add_argument(
        "dataset",
        choices=["mnist", "fashion_mnist", "cifar10"],
        help="mnist is bundled; the others are downloaded once",
    )
    sample.add_argument(
        "--index", type=types.non_negative_int, default=0, help="which image of the split"
    )
    sample.add_argument("--split", choices=["test", "train"], default="test", help="which split")
    sample.add_argument("-o", "--output", required=True, help="the image file to write (.png)")


def _lecture_commands(commands) -> None:
    filter_ = commands.add_parser(
        "filter",
        help="apply the lecture's kernels (or your own) to a photo",
        description='Kernels are names (see "convlens kernels") or matrices, rows separated '
        'by ";", e.g. --kernel "-1 0 1; -2 0 2; -1 0 1".',
    )
    filter_.add_argument("photo", nargs="?", help="an image file (default: the bundled photo)")
    filter_.add_argument(
        "--kernel",
        action="append",
        required=True,
        help='a kernel name or a matrix such as "1 0 -1; 2 0 -2; 1 0 -1" (repeat for several)',
    )
    filter_.add_argument("-o", "--output", required=True, help="the image file to write")
    filter_.add_argument("--grey", action="store_true", help="filter the photo in grey")
    filter_.add_argument("--grid", action="store_true", help="a grid even for one kernel")
    filter_.add_argument(
        "--padding", default="same", type=types.padding, help='"same", "valid" or pixels'
    )
    filter_.add_argument(
        "--padding-mode",
        default="reflect",
        choices=["reflect", "zeros", "replicate", "circular"],
        help="the border: reflect mirrors the photo (no invented edges at its frame); zeros "
        "is the lecture's zero padding",
    )
    filter_.add_argument(
        "--display",
        choices=["clip", "rescale"],
        default=None,
        help="clip to 0..255 or rescale (default: clip for kernels summing to 1, else rescale)",
    )

    commands.add_parser("kernels", help="print the lecture's kernel bank")

    explain = commands.add_parser("explain", help="convolution or pooling step by step")
    explain.add_argument("what", choices=["conv", "pool"], help="the operation")
    explain.add_argument("--image", required=True, help='rows separated by ";", e.g. "5 2; 6 7"')
    explain.add_argument("--kernel", help='conv only: a matrix, e.g. "1 0; 1 -1"')
    explain.add_argument(
        "--stride",
        type=types.positive_int,
        default=None,
        help="the step (default: 1 for conv, the pool size for pool)",
    )
    explain.add_argument(
        "--padding", default="0", type=types.padding, help='pixels, "valid" or "same"'
    )
    explain.add_argument(
        "--dilation", type=types.positive_int, default=1, help="conv only: kernel dilation"
    )
    explain.add_argument(
        "--pool-size", type=types.positive_int, default=2, help="pool only: window size"
    )
    explain.add_argument(
        "--mode", choices=["max", "min", "mean"], default="max", help="pool only: the reduction"
    )
    explain.add_argument(
        "-o",
        "--output",
        help="also draw every step: a PNG sheet of all steps, or an animated GIF (one frame "
        "per step) when the name ends with .gif",
    )

    demo = commands.add_parser("demo", help="the lecture's X/O network")
    demo.add_argument("which", choices=["xo"], help="the demo")
    demo.add_argument("--no-training", action="store_true", help="only the slides' maps")
    demo.add_argument("--seed", type=types.non_negative_int, default=0, help="the training's seed")


def _tune(commands) -> None:
    tune = commands.add_parser("tune", help="hyperparameter search on MNIST (Optuna)")
    tune.add_argument("--trials", type=types.positive_int, default=10, help="trials in the study")
    tune.add_argument(
        "--tuner",
        default="bayesian",
        choices=["random", "grid", "hyperband", "bayesian"],
        help="how trials are chosen",
    )
    tune.add_argument(
        "--storage",
        default=None,
        help="an Optuna storage: sqlite:///FILE.db, journal:///FILE.log or a database URL "
        "(default: sqlite in --directory/--project-name/study.db)",
    )
    tune.add_argument("--directory", default="runs/tune", help="where studies are kept")
    tune.add_argument("--project-name", default="lenet", help="the study's name")
    tune.add_argument(
        "--overwrite", action="store_true", help="delete the stored study and start again"
    )
    tune.add_argument("--epochs", type=types.positive_int, default=3, help="epochs per trial")
    tune.add_argument(
        "--limit", type=types.at_least(10), default=10000, help="training images per trial"
    )
    tune.add_argument("--summary", metavar="DIR", help="only print an existing study's results")
    tune.add_argument(
        "--seed",
        type=types.between(0, 2**32 - 1),  # Optuna's samplers take no larger seed
        default=0,
        help="the sampler's and weights' seed",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``convlens`` command; ``args.command`` names the one given."""
    parser = Parser(
        prog="convlens",
        description="The convolutional networks of the lecture, runnable.",
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = commands.add_parser

    def add_parser(name, **kwargs):
        kwargs.setdefault("description", kwargs.get("help"))
        return add(name, formatter_class=HelpFormatter, **kwargs)

    commands.add_parser = add_parser
    _train(commands)
    _saved_model_commands(commands)
    _lecture_commands(commands)
    _tune(commands)
    return parser
