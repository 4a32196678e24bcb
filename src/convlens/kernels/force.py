"""Forcing routes: within a ``with force(...)`` block, convolutions and poolings take the named
routes instead of the table's (tests, comparisons such as ``benchmarks/bench_routes.py``).

The names of the routes live here, so that the context can check them; kernels/conv_plan.py and
kernels/pool_plan.py read :func:`forced` when they plan.
"""

from __future__ import annotations

import contextlib
import contextvars

ROUTES = ("direct", "winograd", "winograd4", "depthwise", "banded", "im2col")
"""The convolution algorithms; each computes the forward pass, dX and dW (``winograd4``:
F(4×4, 3×3) forward, its gradients by F(2×2, 3×3))."""

INPUT_GRAD_ROUTES = (*ROUTES, "full_correlation")
"""Routes for dX: the algorithms, and the full correlation of dY with the rotated kernel."""

POOL_ROUTES = ("compiled_2x2", "passes_2x2", "windows")
"""Max/min pooling: single-pass Numba loops for 2×2 windows at stride 2, NumPy passes over
contiguous memory for the same windows, or strided views of whole windows (any pool)."""


_forced: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "convlens_forced_routes", default=None
)


@contextlib.contextmanager
def force(
    route: str | None = None,
    *,
    forward: str | None = None,
    input_grad: str | None = None,
    kernel_grad: str | None = None,
    keep_patches: bool | None = None,
    pool: str | None = None,
):
    """Within the block, convolutions take the named routes instead of the table's.

    Args:
        route: one route for every pass not named on its own (``force("im2col")``).
        forward, input_grad, kernel_grad: the route of one pass each. A pass not named keeps
            the table's choice, except dW, which follows a forced forward route (it reads what
            the forward pass kept).
        keep_patches: whether im2col and banded keep their patches for dW (else rebuilt).
        pool: the route of max and min pooling (forward; the backward follows).

    Raises:
        ValueError: for an unknown route name; on use, when a forced route cannot compute a
            convolution at all (``direct`` at stride 2, say), naming route and reason.

    Example:
        >>> import numpy as np
        >>> from convlens import kernels, ops
        >>> with kernels.force("im2col"):
        ...     ops.conv2d(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 2))).shape
        (1, 3, 3, 2)
    """
    if route is not None:  # the passes named on their own keep their own route
        forward, input_grad, kernel_grad = (v or route for v in (forward, input_grad, kernel_grad))
    chosen = dict(forward=forward, input_grad=input_grad, kernel_grad=kernel_grad)
    for name, value in chosen.items():
        allowed = INPUT_GRAD_ROUTES if name == "input_grad" else ROUTES
        if value is not None and value not in allowed:
            raise ValueError(
                f"kernels.force: unknown {name} route {value!r}; expected one of "
                f"{', '.join(allowed)}."
            )
    if pool is not None and pool not in POOL_ROUTES:
        raise ValueError(
            f"kernels.force: unknown pool route {pool!r}; expected one of {', '.join(POOL_ROUTES)}."
        )
    settings = {k: v for k, v in chosen.items() if v is not None}
    if keep_patches is not None:
        settings["keep_patches"] = bool(keep_patches)
    if pool is not None:
        settings["pool"] = pool
    token = _forced.set({**(_forced.get() or {}), **settings})
    try:
        yield
    finally:
        _forced.reset(token)


def forced() -> dict:
    """What the innermost :func:`force` block asks for: ``forward``, ``input_grad``,
    ``kernel_grad``, ``keep_patches`` and ``pool`` where given (an empty dict outside)."""
    return dict(_forced.get() or {})
