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
    saving          model files: JSON + .npz in one zip, no pickle; classes by registry
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
    regularizers,
)
from .backend import set_backend
from .tensor import Function, Tensor, no_grad

__version__ = "0.1.0"

__all__ = [
    "Function",
    "Tensor",
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
    "regularizers",
    "set_backend",
]
