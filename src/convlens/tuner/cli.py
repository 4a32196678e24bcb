"""``convlens tune``: a LeNet-family search on MNIST, or the results of an existing study.

    convlens tune --trials 20 --tuner bayesian --epochs 3 --limit 10000
    convlens tune --summary runs/tune/lenet

Every process started with the same ``--storage`` (or ``--directory``/``--project-name``)
joins one study and takes the next trial, on one machine or many; a re-run resumes.
"""

from __future__ import annotations

import os
import time

from .gridsearch import GridSearch
from .hyperband import Hyperband
from .oracle import Oracle
from .samplers import require_optuna
from .tuners import BayesianOptimization, RandomSearch

TUNERS = {
    "random": RandomSearch,
    "grid": GridSearch,
    "hyperband": Hyperband,
    "bayesian": BayesianOptimization,
}


def lenet_space(grid: bool = False, input_shape=(28, 28, 1), classes: int = 10, seed=0):
    """A ``build(hp)`` for LeNet-5's family: the filters of each convolution, their kernel
    size, the dense units, dropout, the optimizer and its (log-uniform) learning rate; SGD's
    momentum only when the optimizer is SGD. ``grid=True`` makes the space a small grid
    (learning rates 1e-4, 1e-3, 1e-2)."""
    from .. import layers, models, optimizers

    def build(hp):
        kernel = hp.Choice("kernel_size", [3, 5])
        model = models.Sequential(
            [
                layers.Input(input_shape),
                layers.Conv2D(
                    hp.Int("filters_1", 4, 12, step=4), kernel, padding="same", activation="relu"
                ),
                layers.MaxPooling2D(),
                layers.Conv2D(hp.Int("filters_2", 8, 24, step=8), kernel, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(hp.Int("units", 32, 128, step=32), activation="relu"),
                layers.Dropout(hp.Float("dropout", 0.0, 0.5, step=0.25), seed=seed),
                layers.Dense(classes, activation="softmax"),
            ],
            name="lenet_tuned",
        )
        name = hp.Choice("optimizer", ["adam", "sgd", "rmsprop"])
        rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", step=10 if grid else None)
        options = {"learning_rate": rate}
        with hp.conditional_scope("optimizer", "sgd"):
            momentum = hp.Choice("momentum", [0.0, 0.9])
        if momentum is not None:
            options["momentum"] = momentum
        kinds = {"adam": optimizers.Adam, "sgd": optimizers.SGD, "rmsprop": optimizers.RMSprop}
        model.compile(
            optimizer=kinds[name](**options),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    return build


def _check_stored_study(tuner, args, out) -> bool:
    """Refuse a stored study made with another tuner; say so when it is already complete.

    Returns whether there are trials to run (issue 14, item 7: a repeated ``tune`` printed
    "Trials: 20 of 3", ran nothing and ignored the tuner asked for).
    """
    study = tuner.oracle.study
    made_with = study.user_attrs.get("tuner")
    where = args.storage or os.path.join(args.directory, args.project_name)
    if made_with is not None and made_with != args.tuner:
        raise ValueError(
            f'the study "{args.project_name}" in {where} was made with --tuner {made_with}, '
            f"not {args.tuner}; accepted: --tuner {made_with} to continue it, --overwrite to "
            "start again, or another --project-name"
        )
    study.set_user_attr("tuner", args.tuner)
    done = len(tuner.oracle.budget_trials())
    if done >= args.trials:
        out(
            f'the study "{args.project_name}" in {where} is complete: it holds {done} finished '
            f"trials and --trials asks for {args.trials}, so none runs. Give --trials more "
            f"than {done} to continue it, or --overwrite to start again. Its results:"
        )
        tuner.oracle.max_trials = done  # the summary's "Trials: done of done"
        tuner.results_summary(num_trials=5, print_fn=out)
        return False
    return True


def run(args, out) -> None:
    """The ``convlens tune`` subcommand (arguments parsed in ``convlens.cli``)."""
    from .. import jobs
    from . import summary

    if args.summary:
        optuna = require_optuna()
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "using an existing study"
        folder = os.path.normpath(args.summary)
        oracle = Oracle.load(
            os.path.dirname(folder) or ".", os.path.basename(folder), storage=args.storage
        )
        summary.emit(summary.results_lines(oracle), out)
        return
    if args.trials < 1 or args.epochs < 1 or (args.limit is not None and args.limit < 10):
        raise ValueError("--trials and --epochs must be positive and --limit at least 10.")
    (x_train, y_train), (x_test, y_test) = jobs.load_dataset("mnist")
    if args.limit is not None:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    options = {"max_epochs": args.epochs} if args.tuner == "hyperband" else {}
    tuner = TUNERS[args.tuner](
        lenet_space(grid=args.tuner == "grid", seed=args.seed),
        objective="val_accuracy",
        max_trials=args.trials,
        seed=args.seed,
        directory=args.directory,
        project_name=args.project_name,
        storage=args.storage,
        overwrite=getattr(args, "overwrite", False),
        **options,
    )
    if not _check_stored_study(tuner, args, out):
        return
    started = time.perf_counter()
    tuner.search(
        x_train, y_train, epochs=args.epochs, batch_size=64, validation_split=0.2, verbose=0
    )
    seconds = time.perf_counter() - started
    tuner.results_summary(num_trials=5, print_fn=out)
    best = tuner.get_best_models(1)
    if not best:
        out("no trial completed; nothing to save.")
        return
    loss, accuracy = best[0].evaluate(x_test, y_test, batch_size=512, verbose=0)
    path = os.path.join(args.directory, args.project_name, "best_model.keras")
    best[0].save(path)
    values = tuner.get_best_hyperparameters(1)[0].values
    out(
        f"search: {seconds:.1f} s; best hyperparameters: "
        + ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items()
        )
    )
    out(f"best model: test accuracy {accuracy:.4f}, test loss {loss:.4f} ({len(x_test)} images)")
    out(f"wrote {path}")
