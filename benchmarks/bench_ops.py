"""Conv2d and max-pool forward + backward: convlens against PyTorch CPU, in one run.

The shapes are the lecture's networks at batch 128: LeNet-5 (28×28×1 -> 6@5×5 same;
14×14×6 -> 16@5×5) and the CIFAR CNN (32×32×3 -> 32@3×3 same; 16×16×32 -> 64@3×3 same), and
2×2 max pooling after each. Each framework runs in its own process; rounds alternate; the
table compares medians. ``speed`` is PyTorch's time over convlens's: above 1, convlens is faster.

Usage:
    python benchmarks/bench_ops.py [--rounds 3] [--repeats 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import format_table, median_ms, peak_memory_mb, run_interleaved, time_calls  # noqa: E402

BATCH = 128
# name -> (kind, (H, W, C_in), kernel size F, C_out, padding, input needs a gradient)
CASES = {
    "conv lenet1 28x28x1->6 5x5 same": ("conv", (28, 28, 1), 5, 6, "same", False),
    "conv lenet2 14x14x6->16 5x5 valid": ("conv", (14, 14, 6), 5, 16, "valid", True),
    "conv cifar1 32x32x3->32 3x3 same": ("conv", (32, 32, 3), 3, 32, "same", False),
    "conv cifar2 16x16x32->64 3x3 same": ("conv", (16, 16, 32), 3, 64, "same", True),
    "maxpool 28x28x6 2x2": ("pool", (28, 28, 6), 2, None, "valid", True),
    "maxpool 10x10x16 2x2": ("pool", (10, 10, 16), 2, None, "valid", True),
    "maxpool 32x32x32 2x2": ("pool", (32, 32, 32), 2, None, "valid", True),
    "maxpool 16x16x64 2x2": ("pool", (16, 16, 64), 2, None, "valid", True),
}


def convlens_step(kind, shape, size, filters, padding, input_grad):
    import numpy as np

    import convlens as cl

    cl.memory.apply_tuning()  # as a model step would: freed memory stays for the next call
    rng = np.random.default_rng(0)
    x = cl.Tensor(rng.standard_normal((BATCH,) + shape, dtype=np.float32), requires_grad=input_grad)
    if kind == "pool":
        out_shape = cl.ops.max_pool2d(x, 2).shape
        upstream = rng.standard_normal(out_shape, dtype=np.float32)
        return lambda: cl.ops.max_pool2d(x, 2).backward(upstream)
    kernel = cl.Tensor(
        rng.standard_normal((size, size, shape[2], filters), dtype=np.float32) * 0.1,
        requires_grad=True,
    )
    bias = cl.Tensor(np.zeros(filters, np.float32), requires_grad=True)
    upstream = rng.standard_normal(
        cl.ops.conv2d(x, kernel, bias, padding=padding).shape, dtype=np.float32
    )
    return lambda: cl.ops.conv2d(x, kernel, bias, padding=padding).backward(upstream)


def torch_step(kind, shape, size, filters, padding, input_grad):
    import torch

    generator = torch.Generator().manual_seed(0)
    h, w, c = shape
    x = torch.randn(BATCH, c, h, w, generator=generator, requires_grad=input_grad)
    if kind == "pool":
        upstream = torch.randn_like(torch.nn.functional.max_pool2d(x, 2))
        return lambda: torch.nn.functional.max_pool2d(x, 2).backward(upstream)
    kernel = (torch.randn(filters, c, size, size, generator=generator) * 0.1).requires_grad_()
    bias = torch.zeros(filters, requires_grad=True)
    upstream = torch.randn_like(torch.nn.functional.conv2d(x, kernel, bias, padding=padding))
    return lambda: torch.nn.functional.conv2d(x, kernel, bias, padding=padding).backward(upstream)


def worker(framework: str, repeats: int) -> None:
    step = {"convlens": convlens_step, "torch": torch_step}[framework]
    results = {}
    for name, case in CASES.items():
        results[name] = {"seconds": time_calls(step(*case), repeats)}
    for entry in results.values():
        entry["peak_mb"] = peak_memory_mb()
    sys.stdout.write(json.dumps(results) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--worker", choices=["convlens", "torch"])
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats)
        return
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--repeats",
        str(args.repeats),
        "--worker",
    ]
    frameworks = ["convlens"]
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            frameworks.append("torch")
    except ImportError:
        pass
    results = run_interleaved({f: command + [f] for f in frameworks}, args.rounds)
    headers = ["case (batch 128, fwd+bwd, float32)", "convlens ms"]
    if "torch" in results:
        headers += ["torch ms", "speed (torch/convlens)"]
    rows = []
    for name in CASES:
        ours = median_ms(results["convlens"][name])
        row = [name, f"{ours:.2f}"]
        if "torch" in results:
            theirs = median_ms(results["torch"][name])
            row += [f"{theirs:.2f}", f"{theirs / ours:.2f}x"]
        rows.append(row)
    sys.stdout.write(format_table(headers, rows) + "\n")
    peaks = ", ".join(
        f"{f} {max(e['peak_mb'] for e in results[f].values()):.0f} MiB" for f in results
    )
    sys.stdout.write(f"peak memory per process: {peaks}\n")


if __name__ == "__main__":
    main()
