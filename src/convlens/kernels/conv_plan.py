"""THE dispatch point: which route computes each pass of a convolution (and of a pooling), and why.

A convolution has three passes, the forward product, the input gradient dX and the kernel
gradient dW, and five algorithms that can compute them (one module each in kernels/):

    direct      Numba loops over blocks of 16 images, for few input channels and wide kernels
    winograd    F(2×2, 3×3): 2.25x fewer multiplications, for 3×3 layers with many channels
    winograd4   F(4×4, 3×3): 4x fewer, for the forward pass of 3×3 layers at inference, from
                3 input channels (float32 error up to ~1e-5 of the largest output, 10-30x
                F(2×2)'s; gradients by F(2×2))
    depthwise   a multiply-accumulate per tap, for one input channel per group
    banded      a block of output pixels per matrix row and the kernel as a banded matrix, for
                few channels, where im2col's GEMMs are badly shaped
    im2col      every window copied into a patch matrix and one GEMM: the general route

and, for dX only, ``full_correlation``: at stride 1 dX is itself a convolution (of dY, padded,
with the kernel rotated 180°), run by the forward route that table picks for it.

:func:`conv_plan` chooses the three routes together from a :class:`~.geometry.ConvSpec` and
returns a :class:`ConvPlan`, a small printable value with a one-line reason. Every number it
compares against lives in one table, ``THRESHOLDS`` (kernels/thresholds.py), each with its
reason and the benchmark row (``benchmarks/bench_routes.py``) that measures the routes on
either side of it. Tests and curious users pick routes with ``force`` (kernels/force.py);
``model.summary(show_routes=True)`` prints the plan of each layer. kernels/pool_plan.py does the
same for max and min pooling.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy

from .. import backend
from . import banded, direct, winograd, winograd43
from .force import INPUT_GRAD_ROUTES, POOL_ROUTES, ROUTES, force, forced
from .geometry import ConvSpec
from .thresholds import THRESHOLDS, limit

__all__ = [
    "INPUT_GRAD_ROUTES",
    "POOL_ROUTES",
    "ROUTES",
    "THRESHOLDS",
    "ConvPlan",
    "conv_plan",
    "force",
    "incapable",
    "table_plan",
]


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
        return self.forward == self.input_grad == self.kernel_grad in _FUSED or (
            self.forward == "winograd4" and self.input_grad == self.kernel_grad == "winograd"
        )

    def short(self) -> str:
        """``forward / dX / dW``, as the model summary shows it."""
        return f"{self.forward} / {self.input_grad} / {self.kernel_grad}"


_FUSED = ("direct", "winograd", "winograd4")  # routes whose ``gradients`` give dX, dW, db at once


# ----- what each route can compute at all (not a question of speed) -----


def compiled_floats(dtype, compiled) -> str | None:
    """Why the Numba loops of ``compiled`` (a route's loader) cannot run on arrays of
    ``dtype`` here, or None when they can."""
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
        return _not_plain(spec) or compiled_floats(spec.dtype, direct.compiled)
    if route in ("winograd", "winograd4"):
        if (KH, KW) != (3, 3):
            return f"kernel {KH}×{KW}"
        reason = _not_plain(spec) or compiled_floats(spec.dtype, winograd.compiled)
        if reason is None and route == "winograd4":
            reason = compiled_floats(spec.dtype, winograd43.compiled)
        return reason
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
    width = banded.blocks(spec.out_hw[1], KW, spec.strides[1], spec.dilation[1]).b
    if width < limit("banded_min_block"):
        why.append(f"blocks of {width} < {limit('banded_min_block')} pixels: im2col")
        return "im2col"
    why.append(f"C_out {C_out}, KW·C_in {KW * C} < 16, blocks of {width}: banded")
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


def conv_plan(spec: ConvSpec, inference: bool = False) -> ConvPlan:
    """The routes of ``spec``'s three passes: the table's choice, or what :func:`force` says.
    ``inference``: no gradient will be asked for (``no_grad``), so the forward pass may take
    a route whose rounding differs from its gradients' (Winograd F(4×4, 3×3)).

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
    plan = table_plan(spec, inference)
    asked = {k: v for k, v in forced().items() if k != "pool"}
    if not asked:
        return plan
    forward = asked.get("forward", plan.forward)
    kernel_grad = asked.get("kernel_grad", forward if "forward" in asked else plan.kernel_grad)
    input_grad = asked.get("input_grad", plan.input_grad)
    _check_forced(spec, forward, input_grad, kernel_grad)
    why = "forced: " + ", ".join(f"{k}={v}" for k, v in asked.items())
    keep = asked.get("keep_patches", plan.keep_patches)
    return ConvPlan(forward, input_grad, kernel_grad, why, keep)


def table_plan(spec: ConvSpec, inference: bool = False) -> ConvPlan:
    """The table's plan for ``spec``, whatever :func:`force` says. Plans are kept per spec and
    per what the machine offers (the backend, whether the Numba loops import): a layer asks
    once per batch shape, not once per step (a plan takes 15-25 µs to make)."""
    offers = (backend.xp, *(route.compiled() is None for route in (direct, winograd, winograd43)))
    return _table_plan(spec, offers, inference)


@functools.lru_cache(maxsize=1024)
def _table_plan(spec: ConvSpec, offers, inference: bool) -> ConvPlan:
    forward, input_grad, kernel_grad, why = _choose(spec)
    if inference and incapable("winograd4", spec) is None:
        forward = _inference_forward(spec, forward, why)
    keep = spec.patch_bytes() <= limit("keep_patches_bytes")
    if forward in ("im2col", "banded"):
        size = spec.patch_bytes() / 2**20
        verdict = "<= 16 MiB: kept" if keep else "> 16 MiB: rebuilt"
        why.append(f"patches {size:.1f} MiB {verdict}")
    return ConvPlan(forward, input_grad, kernel_grad, "; ".join(why), keep)


def _inference_forward(spec: ConvSpec, forward: str, why: list) -> str:
    """The forward route under ``no_grad`` of a 3×3 stride-1 layer: Winograd F(4×4, 3×3) when
    its thresholds hold, else the training plan's ``forward``."""
    C, C_out = spec.input_shape[3], spec.kernel_shape[3]
    tests = [
        _compare(C, "C_in", ">=", "winograd4_min_channels"),
        _compare(C_out, "C_out", ">=", "winograd4_min_filters"),
    ]
    failed = [clause for holds, clause in tests if not holds]
    if failed:
        why.append(f"inference: {failed[0]}: forward as in training")
        return forward
    why.append(f"inference: 3×3, {', '.join(c for _, c in tests)}: F(4×4, 3×3) forward")
    return "winograd4"


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
