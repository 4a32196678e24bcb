"""convnet: the convolutional networks of the lecture, runnable, on a NumPy engine of our own.

The layers of the package, imports pointing down only::

    backend      the array module (NumPy, or CuPy on a GPU)
    tensor       Tensor, Function and reverse-mode autograd
    ops/         pure differentiable functions: elementwise, reduce, shape, linalg,
                 activation, padding, conv, pool, nn (losses, dropout, batch norm)
"""

from . import backend, ops
from .backend import set_backend
from .tensor import Function, Tensor, no_grad

__version__ = "0.1.0"

__all__ = ["Function", "Tensor", "backend", "no_grad", "ops", "set_backend"]
