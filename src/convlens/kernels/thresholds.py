"""The dispatch table's numbers: every threshold the plan compares against, with its reason and
the benchmark row behind it (``benchmarks/bench_routes.py`` times the routes on either side).

kernels/conv_plan.py reads them through :func:`limit`; tests/test_conv_plan.py moves one
quantity across each and checks the plan changes. docs/architecture.md prints the table.
"""

from __future__ import annotations

from typing import NamedTuple


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
    "winograd4_min_channels": Threshold(
        3,
        "at inference, Winograd F(4×4, 3×3) forward needs C_in >= 3",
        "Its transforms loop over runs of TW·C_in values; with one channel they are too short "
        "to pay, from an RGB image's three on the 36 GEMMs' 0.56x of F(2×2)'s work wins.",
        "no_grad forward, b128, one thread, min ms, the table's route -> winograd4: "
        "32x32x1->32 im2col 5.5 -> 21.1 (lost); 32x32x3->16 5.3 -> 3.2; 32x32x3->32 (b256) "
        "20.8 -> 12.4; 32x32x8->8 11.6 -> 3.5",
    ),
    "winograd4_min_filters": Threshold(
        8,
        "at inference, Winograd F(4×4, 3×3) forward needs C_out >= 8",
        "The output transform and the GEMMs' columns run over C_out values; fewer than 8 "
        "filters were not measured, so the training plan's route keeps them.",
        "no_grad forward, b128, one thread, min ms: 32x32x3->8 im2col 4.95 -> winograd4 2.64; "
        "32x32x16->8 22.6 -> 7.6; F(2x2) -> F(4x4): 32x32x32->32 b128 19.1 -> 15.6..18.7, "
        "16x16x64->64 15.4 -> 11.8",
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
