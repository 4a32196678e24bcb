"""Pure functions on tensors and arrays, each primitive with its gradient beside it.

Every op accepts Tensors or arrays and returns a Tensor; no op holds state or prints.
"""

from .activation import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    linear,
    log_softmax,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from .elementwise import (
    abs,
    add,
    clip,
    divide,
    exp,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    subtract,
    where,
)
from .linalg import matmul
from .reduce import max, mean, min, sum, var
from .shape import concatenate, expand_dims, flatten, getitem, reshape, squeeze, stack, transpose
