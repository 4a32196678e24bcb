"""Pure functions on tensors and arrays, each primitive with its gradient beside it.

Every op accepts Tensors or arrays and returns a Tensor; no op holds state or prints. The names,
arguments and meaning follow Keras 3's ``keras.ops`` (``ops.image.resize``, ``ops.nn.softmax``
...), so custom layers, losses and metrics written for Keras run on convlens Tensors. The
lecture's size formula ``(N + 2P - F)/S + 1`` is :func:`conv_output_size` (and
:func:`conv_transpose_output_size` for the transposed convolution): plain numbers, from
kernels/geometry.py.
"""

from ..kernels.geometry import conv_output_size, conv_transpose_output_size
from . import image, nn
from .activation import (
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from .arrange import (
    argsort,
    broadcast_to,
    flip,
    moveaxis,
    ravel,
    repeat,
    sort,
    split,
    swapaxes,
    take,
    take_along_axis,
    tile,
    top_k,
    unstack,
)
from .compare import (
    all,
    any,
    argmax,
    argmin,
    ceil,
    equal,
    floor,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
    round,
    sign,
)
from .conv import conv2d, conv2d_plan
from .conv_transpose import conv2d_transpose, conv2d_transpose_plan
from .conv_variants import conv1d, conv1d_plan, depthwise_conv2d, separable_conv2d
from .creation import (
    arange,
    cast,
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    eye,
    full,
    full_like,
    identity,
    is_tensor,
    ndim,
    one_hot,
    ones,
    ones_like,
    shape,
    size,
    stop_gradient,
    zeros,
    zeros_like,
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
from .linalg import dot, matmul, tensordot
from .losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from .nn import batch_norm, batch_norm_train, dropout
from .numeric import (
    average,
    cos,
    count_nonzero,
    cumsum,
    erf,
    expm1,
    floor_divide,
    in_top_k,
    linspace,
    log1p,
    logsumexp,
    mod,
    moments,
    norm,
    normalize,
    prod,
    reciprocal,
    rsqrt,
    sin,
    square,
    std,
)
from .padding import pad
from .pool import (
    average_pool,
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool,
    max_pool2d,
    min_pool2d,
)
from .reduce import max, mean, min, sum, var
from .shape import concatenate, expand_dims, flatten, getitem, reshape, squeeze, stack, transpose

# Keras 3's other spellings of the same ops.
absolute = abs
amax = max
amin = min
true_divide = divide

# Any op given a symbolic tensor (from layers.Input) records a graph node (symbolic_dispatch.py).
from .symbolic_dispatch import wrap_namespace  # noqa: E402

wrap_namespace(globals())
wrap_namespace(vars(image), "image.")
wrap_namespace(vars(nn), "nn.")
