"""Hyperparameter search with KerasTuner's interface on Optuna: resumable, prunable, and
shareable by many workers through one study in a storage (SQLite file by default).

    >>> from convlens import tuner
    >>> hp = tuner.HyperParameters()
    >>> hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    0.0001

Optuna is an optional extra (``pip install convlens[tune]``), imported only when a tuner is
made: this package imports without it.

Example (not run here)::

    def build(hp):
        model = models.Sequential([layers.Input((28, 28, 1)), layers.Flatten(),
                                   layers.Dense(hp.Int("units", 32, 256, step=32), "relu"),
                                   layers.Dense(10, "softmax")])
        model.compile(optimizer=hp.Choice("optimizer", ["adam", "sgd"]),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    search = tuner.BayesianOptimization(build, "val_accuracy", max_trials=20,
                                        directory="runs", project_name="mnist")
    search.search(x, y, epochs=3, validation_split=0.1, verbose=0)
    best_model = search.get_best_models(1)[0]
"""

from .gridsearch import GridSearch
from .hyperband import Hyperband, hyperband_brackets
from .hypermodel import HyperModel, Objective
from .hyperparameters import Boolean, Choice, Fixed, Float, HyperParameters, Int
from .oracle import Oracle, Trial
from .tuners import BayesianOptimization, RandomSearch, Tuner

__all__ = [
    "BayesianOptimization",
    "Boolean",
    "Choice",
    "Fixed",
    "Float",
    "GridSearch",
    "HyperModel",
    "HyperParameters",
    "Hyperband",
    "Int",
    "Objective",
    "Oracle",
    "RandomSearch",
    "Trial",
    "Tuner",
    "hyperband_brackets",
]
