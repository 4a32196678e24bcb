"""Pure functions on tensors and arrays, each primitive with its gradient beside it.

Every op accepts Tensors or arrays and returns a Tensor; no op holds state or prints. The
lecture's size formula ``(N + 2P - F)/S + 1`` is :func:`conv_output_size` (and
:func:`conv_transpose_output_size` for the transposed convolution): plain numbers, from
kernels/geometry.py.
"""

from ..kernels.geometry import conv_output_size, conv_transpose_output_size
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
from .conv import conv2d, conv2d_plan
from .conv_transpose import conv2d_transpose, conv2d_transpose_plan
from .conv_variants import conv1d, conv1d_plan, depthwise_conv2d, separable_conv2d
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
from .losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from .nn import batch_norm, batch_norm_train, dropout
from .padding import pad
from .pool import avg_pool2d, global_avg_pool2d, global_max_pool2d, max_pool2d, min_pool2d
from .reduce import max, mean, min, sum, var
from .shape import concatenate, expand_dims, flatten, getitem, reshape, squeeze, stack, transpose
