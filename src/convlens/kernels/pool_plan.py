"""The pool plan: which route pools a max or min pooling, and why (kernels/conv_plan.py does the
same for the convolutions).

2×2 windows at stride 2 that tile the input take the compiled single-pass loops
(``compiled_2x2``, kernels/pool2x2.py and compiled/pool2x2.py), or, without Numba, on CuPy or in
float16, contiguous NumPy passes forward and the window views backward (``passes_2x2``); every
other pooling takes strided window views (``windows``, kernels/pool.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import pool2x2
from .conv_plan import compiled_floats
from .force import forced


@dataclass(frozen=True)
class PoolPlan:
    """The routes of one max or min pooling's forward and backward passes, and why."""

    forward: str
    backward: str
    why: str

    def __repr__(self) -> str:
        return f'PoolPlan(forward="{self.forward}", backward="{self.backward}", why="{self.why}")'

    def short(self) -> str:
        return (
            self.forward if self.forward == self.backward else f"{self.forward} / {self.backward}"
        )


def pool_plan(padded_shape, pool, strides, axes, dtype) -> PoolPlan:
    """The routes of a max or min pooling of a padded input of ``padded_shape`` by ``pool``
    windows at ``strides``, along spatial ``axes``: the table's choice, or :func:`force`'s."""
    h, w = axes
    tiled = (
        tuple(pool) == tuple(strides) == (2, 2)
        and padded_shape[h] % 2 == 0
        and padded_shape[w] % 2 == 0
    )
    route = forced().get("pool")
    if route is not None:
        if route != "windows" and not tiled:
            raise ValueError(
                f"kernels.force: the {route} route pools 2×2 windows at stride 2 that tile the "
                f"input; received pool {tuple(pool)}, strides {tuple(strides)}, padded input "
                f"{tuple(padded_shape)}."
            )
        reason = compiled_floats(dtype, pool2x2.compiled) if route == "compiled_2x2" else None
        if reason is not None:
            raise ValueError(f"kernels.force: the compiled_2x2 route cannot run here: {reason}.")
        backward = "compiled_2x2" if route == "compiled_2x2" else "windows"
        return PoolPlan(route, backward, f"forced: pool={route}")
    if not tiled:
        return PoolPlan("windows", "windows", "not 2×2 windows at stride 2 tiling the input")
    reason = compiled_floats(dtype, pool2x2.compiled)
    if reason is None:
        return PoolPlan("compiled_2x2", "compiled_2x2", "2×2 windows tile the input; Numba")
    return PoolPlan("passes_2x2", "windows", f"2×2 windows tile the input; {reason}")
