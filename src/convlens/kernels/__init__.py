"""The array algorithms behind the convolution and pooling ops: plain arrays in and out.

No Tensor, no autograd and no argument checks here: ops/ checks the arguments once, asks the
plan which route computes each pass, and records a Function whose forward and backward call
these. One algorithm per module (im2col, banded, depthwise, direct, winograd, pool2x2), their
Numba loops in compiled/, the thread pool and image chunking in parallel.py, output sizes and
padding amounts in geometry.py, padding arrays in padding.py. Which route computes each pass of a
convolution is decided in one place, conv_plan.py; :func:`force` overrides it (tests, comparisons).
"""

from .conv_plan import THRESHOLDS, ConvPlan, force
from .pool_plan import PoolPlan

__all__ = ["THRESHOLDS", "ConvPlan", "PoolPlan", "force"]
