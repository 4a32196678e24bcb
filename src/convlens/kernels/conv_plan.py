"""THE dispatch point: which route computes each pass of a convolution (and of a pooling), and why.

A convolution has three passes, the forward product, the input gradient dX and the kernel
gradient dW, and five algorithms that can compute them (one module each in kernels/):

    direct      Numba loops over blocks of 16 images, for few input channels and wide kernels
    winograd    F(2×2, 3×3): 2.25x fewer multiplications, for 3×3 layers with many channels
    depthwise   a multiply-accumulate per tap, for one input channel per group
    banded      a block of output pixels per matrix row and the kernel as a banded matrix, for
                few channels, where im2col's GEMMs are badly shaped
    im2col      every window copied into a patch matrix and one GEMM: the general route

and, for dX only, ``full_correlation``: at stride 1 dX is itself a convolution (of dY, padded,
with the kernel rotated 180°), run by the forward route that table picks for it.

:func:`conv_plan` chooses the three routes together from a :class:`~.geometry.ConvSpec` and
returns a :class:`ConvPlan`, a small printable value with a one-line reason. Every number it
compares against lives in :data:`THRESHOLDS`, each with its reason and the benchmark row
(``benchmarks/bench_routes.py``) that measures the routes on either side of it. Tests and
curious users pick routes with :func:`force`; ``model.summary(show_routes=True)`` prints the
plan of each layer. :func:`pool_plan` does the same for max and min pooling.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy

from .. import backend
from . import banded, direct, pool2x2, winograd
from .geometry import ConvSpec

ROUTES = ("direct", "winograd", "depthwise", "banded", "im2col")
"""The convolution algorithms; each computes the forward pass, dX and dW."""

INPUT_GRAD_ROUTES = (*ROUTES, "full_correlation")
"""Routes for dX: the algorithms, and the full correlation of dY with the rotated kernel."""

POOL_ROUTES = ("compiled_2x2", "passes_2x2", "windows")
"""Max/min pooling: single-pass Numba loops for 2×2 windows at stride 2, NumPy passes over
contiguous memory for the same windows, or strided views of whole windows (any pool)."""


class Threshold(NamedTuple):
    """One number the plan compares against: the rule it takes part in, why it is there, and
    the benchmark row (``benchmarks/bench_routes.py``) that compares the routes on either
    side of it."""

    value: int
    rule: str
    reason: str
    evidence: str


THRESHOLDS = {
    "direct_max_channels": Threshold(
        8,
        "direct needs C_in <= 8",
        "The direct loops make a pass over the input per input channel and filter; with more "
        "channels im2col's GEMMs are well shaped and reuse every patch across filters.",
        "lenet2 14x14x6->16 5x5: direct vs banded/im2col (b128, one thread: forward "
        "1.41 -> 0.91 ms, backward 3.04 -> 2.04 ms)",
    ),
    "direct_max_filters": Threshold(
        16,
        "direct needs C_out <= 16",
        "Each filter is a pass of its own over a block of images, where a GEMM's column "
        "blocking reuses every patch across filters.",
        "cifar1 32x32x3->32 5x5: direct vs im2col (b128, one thread: even at 32 filters, "
        "20.1 vs 20.7 ms forward + backward)",
    ),
    "direct_min_width": Threshold(
        5,
        "direct needs KW >= 5",
        "A loop body unrolls the KW taps of a kernel row, one load and store of the output row "
        "per KW multiply-adds; narrower kernels lost.",
        "cifar1 32x32x3->32 3x3: direct vs im2col (b128, one thread: 32.7 vs 15.7 ms "
        "forward + backward)",
    ),
    "direct_min_batch": Threshold(
        8,
        "direct needs a batch of at least 8",
        "A block's 16 vector lanes are computed whether or not images fill them.",
        "lenet1/lenet2 at b4 and b8: direct vs banded/im2col (b4: 0.17 -> 0.19 and "
        "0.27 -> 0.39 ms, lost; b8: 0.26 -> 0.21 and 0.41 -> 0.37 ms, won)",
    ),
    "winograd_min_channels": Threshold(
        16,
        "Winograd needs C_in >= 16 and C_out >= 16",
        "Its 16 GEMMs per tile have only C_in (contraction) and C_out (columns) to work with, "
        "and its tile transforms cost the same per channel however few there are.",
        "cifar1 32x32x3->32 3x3: Winograd vs im2col (b128, one thread: forward 11.1 vs "
        "5.9 ms, lost); cifar2 16x16x32->64 3x3 (forward 9.9 vs 15.3 ms, won)",
    ),
    "banded_max_filters": Threshold(
        16,
        "the banded forward pass and dW need C_out < 16",
        "im2col's product cols · W has only C_out columns, a shape BLAS runs at a fraction of "
        "its speed; with 16 columns or more it is well shaped and the band's zeros cost more.",
        "lenet1 28x28x1->6 5x5 same: banded vs im2col (b128, one thread: forward 2.2 -> 1.0 "
        "ms, dW 1.35 -> 0.75 ms); cifar1 32x32x3->32 3x3: lost (5.7 -> 6.6 ms)",
    ),
    "banded_max_row": Threshold(
        16,
        "the banded forward pass and dW need KW·C_in < 16",
        "Short window rows (a grey or RGB first layer) are what makes im2col's copy and GEMM "
        "slow; longer rows already give im2col long contiguous runs.",
        "lenet1 28x28x1->6 5x5 same: banded vs im2col (as above)",
    ),
    "banded_min_block": Threshold(
        4,
        "the banded forward pass and dW need blocks of at least 4 output pixels",
        "A block of b pixels gives the product b·C_out columns; narrower blocks leave it as "
        "badly shaped as im2col's, plus the band's zeros.",
        "28x28x1->8 3x3 (blocks of 2): banded vs im2col (b128, one thread: 1.2 vs 0.7 ms)",
    ),
    "banded_max_input_channels": Threshold(
        16,
        "the banded dX needs C_in < 16",
        "dX by col2im is KH·KW GEMMs whose output rows are C_in values wide (OpenBLAS runs an "
        "(M, 16)·(16, 6) product at a third of its speed); one banded GEMM replaces them.",
        "lenet2 14x14x6->16 5x5: banded vs im2col dX (b128, one thread: 3.1 -> 1.7 ms); "
        "32 channels lost (21 -> 24 ms)",
    ),
    "full_correlation_max_ratio": Threshold(
        1,
        "the full correlation for dX needs Hp·Wp·C_out <= 1 × OH·OW·C_in (stride 1)",
        "Its patch matrix holds Hp·Wp·C_out values per tap against dY·Wᵀ's OH·OW·C_in: one "
        "strided copy and one GEMM replace col2im's KH·KW read-modify-write passes only when "
        "that is no larger (C_out <= C_in at 'same' padding).",
        "cifar2-like 32x32x32->32 3x3: full correlation vs im2col dX (b128: 27 vs 42 ms); "
        "lenet2 14x14x6->16 5x5 valid (5x the bytes) lost, 8 vs 4 ms",
    ),
    "keep_patches_bytes": Threshold(
        1 << 24,
        "im2col and banded keep their patches for dW when they take at most 16 MiB",
        "Larger patch matrices are rebuilt chunk by chunk in the backward pass, in cache: "
        "writing them to memory and reading them back cost more than a second im2col.",
        "32x32x32->32 3x3 (151 MB of patches): forward + dW 90 -> 67 ms rebuilt; 32x32x3->32 "
        "(14 MB): 10.9 kept vs 11.3 ms rebuilt (b128, one thread)",
    ),
}


def limit(name: str) -> int:
    """The value of threshold ``name`` in :data:`THRESHOLDS`."""
    return THRESHOLDS[name].value


@dataclass(frozen=True)
class ConvPlan:
    """The routes of one convolution's three passes and the reason in one line.

    ``keep_patches``: whether im2col or banded keep their patch matrix for dW (else dW rebuilds
    it from the padded input)."""

    forward: str
    input_grad: str
    kernel_grad: str
    why: str
    keep_patches: bool = field(default=False)

    def __repr__(self) -> str:
        return (
            f'ConvPlan(forward="{self.forward}", input_grad="{self.input_grad}", '
            f'kernel_grad="{self.kernel_grad}", why="{self.why}")'
        )

    @property
    def saves(self) -> str:
        """What the forward pass keeps for dW: ``"blocks"`` (direct's image blocks),
        ``"patches"`` (im2col's or banded's patch matrix) or ``"input"`` (the padded input)."""
        if self.kernel_grad == "direct":
            return "blocks"
        same = self.kernel_grad == self.forward in ("im2col", "banded")
        return "patches" if same and self.keep_patches else "input"

    @property
    def fused_gradients(self) -> bool:
        """Whether one route computes dX, dW and db together in one pass over dY (direct and
        Winograd do, with the fused ReLU's mask applied as they read it)."""
        return self.forward == self.input_grad == self.kernel_grad in ("direct", "winograd")

    def short(self) -> str:
        """``forward / dX / dW``, as the model summary shows it."""
        return f"{self.forward} / {self.input_grad} / {self.kernel_grad}"


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


# ----- what each route can compute at all (not a question of speed) -----


def _compiled_floats(dtype, compiled) -> str | None:
    """Why Numba loops cannot run here, or None when they can."""
    if backend.xp is not backend.numpy:
        return "CuPy"
    if numpy.dtype(dtype).char not in "fd":
        return f"dtype {numpy.dtype(dtype).name}"
    if compiled() is None:
        return "no Numba"
    return None


def _not_plain(spec: ConvSpec) -> str | None:
    """Why ``spec`` is not a stride-1, dilation-1, one-group convolution, or None."""
    for name, value, plain in (
        ("stride", spec.strides, (1, 1)),
        ("dilation", spec.dilation, (1, 1)),
        ("groups", spec.groups, 1),
    ):
        if value != plain:
            return f"{name} {value}"
    return None


def incapable(route: str, spec: ConvSpec) -> str | None:
    """Why ``route`` cannot compute ``spec`` at all, in a few words, or None when it can. (Not
    a question of speed: :func:`conv_plan`'s thresholds decide that.)"""
    KH, KW, Cg, _ = spec.kernel_shape
    if route == "direct":
        return _not_plain(spec) or _compiled_floats(spec.dtype, direct.compiled)
    if route == "winograd":
        if (KH, KW) != (3, 3):
            return f"kernel {KH}×{KW}"
        return _not_plain(spec) or _compiled_floats(spec.dtype, winograd.compiled)
    if route == "depthwise":
        return None if spec.groups > 1 and Cg == 1 else "not one input channel per group"
    if route == "banded":
        return None if spec.groups == 1 else f"groups {spec.groups}"
    if route == "full_correlation":
        return _not_plain(spec)
    return None  # im2col computes every convolution


# ----- the table's choices -----


def _choose(spec: ConvSpec) -> tuple[str, str, str, list[str]]:
    """The table's forward, dX and dW routes, and the comparisons that decided them."""
    why = []
    for route, rules in (("direct", _direct_rules), ("winograd", _winograd_rules)):
        reason = incapable(route, spec)
        if reason is None:
            passed, clauses = rules(spec)
            if passed:
                return route, route, route, clauses
            reason = clauses[0]
        why.append(f"not {route}: {reason}")
    if incapable("depthwise", spec) is None:
        return (
            "depthwise",
            "depthwise",
            "depthwise",
            [f"one input channel per group ({spec.groups})"],
        )
    forward = _forward_route(spec, why)
    input_grad = _input_grad_route(spec, why)
    return forward, input_grad, forward, why


def _compare(value: int, name: str, op: str, key: str) -> tuple[bool, str]:
    """``value op THRESHOLDS[key]`` and the clause that says so (or its negation)."""
    bound = limit(key)
    holds = value <= bound if op == "<=" else value >= bound
    shown = op if holds else {"<=": ">", ">=": "<"}[op]
    return holds, f"{name} {value} {shown} {bound}"


def _direct_rules(spec: ConvSpec) -> tuple[bool, list[str]]:
    """Whether the direct loops pay; all four clauses when they do, else the first failed."""
    N, _, _, C = spec.input_shape
    _, KW, _, C_out = spec.kernel_shape
    tests = [
        _compare(C, "C_in", "<=", "direct_max_channels"),
        _compare(C_out, "C_out", "<=", "direct_max_filters"),
        _compare(KW, "KW", ">=", "direct_min_width"),
        _compare(N, "batch", ">=", "direct_min_batch"),
    ]
    failed = [clause for holds, clause in tests if not holds]
    return not failed, failed or [", ".join(clause for _, clause in tests)]


def _winograd_rules(spec: ConvSpec) -> tuple[bool, list[str]]:
    C, C_out = spec.input_shape[3], spec.kernel_shape[3]
    holds, clause = _compare(min(C, C_out), "min(C_in, C_out)", ">=", "winograd_min_channels")
    return holds, [f"3×3, {clause}" if holds else clause]


def forward_blocks(spec: ConvSpec):
    """The banded block geometry when the banded product pays for the forward pass and dW,
    else None (the forward route is then im2col)."""
    _, KW, C, C_out = spec.kernel_shape
    if spec.groups != 1 or C_out >= limit("banded_max_filters"):
        return None
    if KW * C >= limit("banded_max_row"):
        return None
    geometry = banded.blocks(spec.out_hw[1], KW, spec.strides[1], spec.dilation[1])
    return geometry if geometry.b >= limit("banded_min_block") else None


def _forward_route(spec: ConvSpec, why: list) -> str:
    _, KW, C, C_out = spec.kernel_shape
    if spec.groups != 1:
        why.append(f"groups {spec.groups}: im2col")
        return "im2col"
    if C_out >= limit("banded_max_filters"):
        why.append(f"C_out {C_out} >= {limit('banded_max_filters')}: im2col")
        return "im2col"
    if KW * C >= limit("banded_max_row"):
        why.append(f"KW·C_in {KW * C} >= {limit('banded_max_row')}: im2col")
        return "im2col"
    geometry = forward_blocks(spec)
    if geometry is None:
        width = banded.blocks(spec.out_hw[1], KW, spec.strides[1], spec.dilation[1]).b
        why.append(f"blocks of {width} < {limit('banded_min_block')} pixels: im2col")
        return "im2col"
    why.append(f"C_out {C_out}, KW·C_in {KW * C} < 16, blocks of {geometry.b}: banded")
    return "banded"


def full_correlation_pays(spec: ConvSpec) -> bool:
    """Whether dX's full correlation moves no more bytes than col2im's dY · Wᵀ."""
    N, Hp, Wp, _ = spec.padded_shape
    Cg, C_out = spec.kernel_shape[2:]
    full = Hp * Wp * C_out
    return full <= limit("full_correlation_max_ratio") * spec.out_hw[0] * spec.out_hw[1] * Cg


def _input_grad_route(spec: ConvSpec, why: list) -> str:
    Cg = spec.kernel_shape[2]
    if incapable("full_correlation", spec) is None and full_correlation_pays(spec):
        why.append("dX: Hp·Wp·C_out <= OH·OW·C_in: full_correlation")
        return "full_correlation"
    if spec.groups == 1 and Cg < limit("banded_max_input_channels"):
        why.append(f"dX: C_in {Cg} < {limit('banded_max_input_channels')}: banded")
        return "banded"
    why.append(f"dX: {'groups' if spec.groups > 1 else 'C_in ' + str(Cg)}: im2col")
    return "im2col"


# ----- forcing routes (tests, comparisons) -----

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
        route: one route for all three passes (``force("im2col")``).
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
    if route is not None:
        forward = input_grad = kernel_grad = forward or route
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


def conv_plan(spec: ConvSpec) -> ConvPlan:
    """The routes of ``spec``'s three passes: the table's choice, or what :func:`force` says.

    Example:
        >>> import numpy as np
        >>> from convlens.kernels.geometry import ConvSpec
        >>> spec = ConvSpec((128, 32, 32, 3), (3, 3, 3, 32), (2, 2), (1, 1), ((0, 1), (0, 1)),
        ...                 "zeros", 1, (16, 16), np.dtype("float32"))
        >>> plan = conv_plan(spec)
        >>> plan.short()
        'im2col / banded / im2col'
        >>> print(plan.why.replace("; ", "\\n"))
        not direct: stride (2, 2)
        not winograd: stride (2, 2)
        C_out 32 >= 16: im2col
        dX: C_in 3 < 16: banded
        patches 3.4 MiB <= 16 MiB: kept
    """
    plan = table_plan(spec)
    forced = {k: v for k, v in (_forced.get() or {}).items() if k != "pool"}
    if not forced:
        return plan
    forward = forced.get("forward", plan.forward)
    kernel_grad = forced.get("kernel_grad", forward if "forward" in forced else plan.kernel_grad)
    input_grad = forced.get("input_grad", plan.input_grad)
    _check_forced(spec, forward, input_grad, kernel_grad)
    why = "forced: " + ", ".join(f"{k}={v}" for k, v in forced.items())
    return ConvPlan(
        forward, input_grad, kernel_grad, why, forced.get("keep_patches", plan.keep_patches)
    )


def table_plan(spec: ConvSpec) -> ConvPlan:
    """The table's plan for ``spec``, whatever :func:`force` says."""
    forward, input_grad, kernel_grad, why = _choose(spec)
    keep = spec.patch_bytes() <= limit("keep_patches_bytes")
    if forward in ("im2col", "banded"):
        size = spec.patch_bytes() / 2**20
        verdict = "<= 16 MiB: kept" if keep else "> 16 MiB: rebuilt"
        why.append(f"patches {size:.1f} MiB {verdict}")
    return ConvPlan(forward, input_grad, kernel_grad, "; ".join(why), keep)


def _check_forced(spec, forward, input_grad, kernel_grad) -> None:
    for name, route in (
        ("forward", forward),
        ("input_grad", input_grad),
        ("kernel_grad", kernel_grad),
    ):
        reason = incapable(route, spec)
        if reason is not None:
            raise ValueError(
                f"kernels.force: the {route} route cannot compute the {name} pass of a "
                f"convolution with input {spec.input_shape}, kernel {spec.kernel_shape}, "
                f"strides {spec.strides}, dilation {spec.dilation}, groups {spec.groups}: "
                f"{reason}."
            )
    if kernel_grad == "direct" and forward != "direct":
        raise ValueError(
            f"kernels.force: kernel_grad='direct' reads the direct forward pass's image blocks; "
            f"received forward={forward!r}."
        )


# ----- pooling -----


def pool_plan(padded_shape, pool, strides, axes, dtype) -> PoolPlan:
    """The routes of a max or min pooling of a padded input of ``padded_shape`` by ``pool``
    windows at ``strides``, along spatial ``axes``: the table's choice, or :func:`force`'s."""
    h, w = axes
    tiled = (
        tuple(pool) == tuple(strides) == (2, 2)
        and padded_shape[h] % 2 == 0
        and padded_shape[w] % 2 == 0
    )
    forced = (_forced.get() or {}).get("pool")
    if forced is not None:
        if forced != "windows" and not tiled:
            raise ValueError(
                f"kernels.force: the {forced} route pools 2×2 windows at stride 2 that tile the "
                f"input; received pool {tuple(pool)}, strides {tuple(strides)}, padded input "
                f"{tuple(padded_shape)}."
            )
        reason = _compiled_floats(dtype, pool2x2.compiled) if forced == "compiled_2x2" else None
        if reason is not None:
            raise ValueError(f"kernels.force: the compiled_2x2 route cannot run here: {reason}.")
        backward = "compiled_2x2" if forced == "compiled_2x2" else "windows"
        return PoolPlan(forced, backward, f"forced: pool={forced}")
    if not tiled:
        return PoolPlan("windows", "windows", "not 2×2 windows at stride 2 tiling the input")
    reason = _compiled_floats(dtype, pool2x2.compiled)
    if reason is None:
        return PoolPlan("compiled_2x2", "compiled_2x2", "2×2 windows tile the input; Numba")
    return PoolPlan("passes_2x2", "windows", f"2×2 windows tile the input; {reason}")
