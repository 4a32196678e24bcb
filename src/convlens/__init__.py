"""convlens: the convolutional networks of the lecture, runnable, on a NumPy engine of our own.

The layers of the package, imports pointing down only (docs/architecture.md has the whole
picture)::

    memory          keeps freed arrays' memory in the process (no page faults per step),
                    from the first model step on, never at import
    backend         the array module (NumPy, or CuPy on a GPU); runtime switches
                    (set_memory_tuning)
    tensor          Tensor, Function and reverse-mode autograd
    kernels/        the array algorithms behind conv and pool (im2col, banded, depthwise,
                    direct, winograd, pool2x2; Numba loops in compiled/), plain arrays in and
                    out; conv_plan.py picks which runs (the dispatch point), parallel.py
                    spreads image chunks over every core with BLAS on one thread
    ops/            pure differentiable functions: elementwise, reduce, shape, linalg,
                    activation, padding, conv, pool, nn (dropout, batch norm), losses
    activations, initializers, regularizers, constraints, losses, metrics   string -> object
    layers/         Keras's layers; they hold weights and call ops
    optimizers/     SGD ... AdamW and learning-rate schedules
    callbacks/      the training loop's listeners: progress, History, EarlyStopping, ...
    models/         Sequential and functional Model: compile/fit/evaluate/predict, summary
    saving/         Keras's files (.keras, .weights.h5, legacy .h5) via h5py; no pickle
    datasets/       MNIST (bundled), Fashion-MNIST, CIFAR-10
    filters, images, explain, viz, lecture/, applications, jobs, cli   the lecture's bench
"""

from . import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    utils,
)
from .backend import set_backend
from .constraints import Constraint
from .initializers import Initializer
from .layers import Input, InputSpec, KerasTensor, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .optimizers import Optimizer
from .regularizers import Regularizer
from .tensor import Function, Tensor, no_grad

Variable = Tensor
"""Keras's ``keras.Variable``: weights and metric state are Tensors with ``assign``."""

__version__ = "0.1.0"


def version() -> str:
    """The installed version (Keras's ``keras.version()``)."""
    return __version__


__all__ = [
    "Constraint",
    "Function",
    "Initializer",
    "Input",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "Tensor",
    "Variable",
    "version",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "no_grad",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "utils",
    "set_backend",
]
