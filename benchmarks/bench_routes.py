"""Every convolution route on the shapes the plan's thresholds were measured on, in one run.

For each case (a layer of the lecture's networks, or a shape on one side of a threshold in
``kernels/conv_plan.py``'s ``THRESHOLDS``), each route that can compute it is forced with
``kernels.force`` and timed: the forward pass alone (inference, nothing kept) and forward +
backward (dX where the layer needs it, dW, db). ``*`` marks the table's choice for training,
``+`` its forward choice under ``no_grad`` (inference: Winograd F(4×4, 3×3) from 3 channels);
the fastest time of each column is the route the table should pick. One process, one thread
by default (as the thresholds were measured: ``--threads`` changes it), float32, median ms. It
is a benchmark, never a test.

Usage:
    python benchmarks/bench_routes.py [--repeats 7] [--threads 1] [--case lenet2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import format_table, time_calls  # noqa: E402

# name -> (input shape, kernel shape, padding, whether the input needs a gradient)
CASES = {
    "lenet1 28x28x1->6 5x5 same b128": ((128, 28, 28, 1), (5, 5, 1, 6), "same", False),
    "lenet2 14x14x6->16 5x5 valid b128": ((128, 14, 14, 6), (5, 5, 6, 16), "valid", True),
    "lenet1 b8": ((8, 28, 28, 1), (5, 5, 1, 6), "same", False),
    "lenet1 b4": ((4, 28, 28, 1), (5, 5, 1, 6), "same", False),
    "lenet2 b8": ((8, 14, 14, 6), (5, 5, 6, 16), "valid", True),
    "lenet2 b4": ((4, 14, 14, 6), (5, 5, 6, 16), "valid", True),
    "cifar1 32x32x3->32 3x3 same b128": ((128, 32, 32, 3), (3, 3, 3, 32), "same", False),
    "cifar1 32x32x3->32 5x5 same b128": ((128, 32, 32, 3), (5, 5, 3, 32), "same", False),
    "cifar2 16x16x32->64 3x3 same b128": ((128, 16, 16, 32), (3, 3, 32, 64), "same", True),
    "32x32x32->32 3x3 same b128": ((128, 32, 32, 32), (3, 3, 32, 32), "same", True),
    "28x28x1->8 3x3 same b128 (blocks of 2)": ((128, 28, 28, 1), (3, 3, 1, 8), "same", False),
    "28x28x2->8 5x5 same b128": ((128, 28, 28, 2), (5, 5, 2, 8), "same", True),
    "16x16x64->64 3x3 same b128": ((128, 16, 16, 64), (3, 3, 64, 64), "same", True),
    "32x32x1->32 3x3 same b128": ((128, 32, 32, 1), (3, 3, 1, 32), "same", False),
    "32x32x3->8 3x3 same b128": ((128, 32, 32, 3), (3, 3, 3, 8), "same", False),
}


def routes_for(cl, x_shape, kernel_shape, padding):
    """The forward routes that can compute the case, and the table's plans (training,
    inference)."""
    from convlens.kernels.conv_plan import ROUTES

    table = cl.ops.conv2d_plan(x_shape, kernel_shape, padding=padding)
    inference = cl.ops.conv2d_plan(x_shape, kernel_shape, padding=padding, inference=True)
    usable = []
    for route in ROUTES:
        try:
            with cl.kernels.force(route):
                cl.ops.conv2d_plan(x_shape, kernel_shape, padding=padding)
        except ValueError:
            continue
        usable.append(route)
    return table, inference, usable


def timings(cl, case, route, repeats):
    """Median ms of the forward pass alone and of forward + backward, ``route`` forced."""
    import numpy as np

    x_shape, kernel_shape, padding, input_grad = case
    rng = np.random.default_rng(0)
    x = cl.Tensor(rng.standard_normal(x_shape, dtype=np.float32), requires_grad=input_grad)
    kernel = cl.Tensor(
        rng.standard_normal(kernel_shape, dtype=np.float32) * 0.1, requires_grad=True
    )
    bias = cl.Tensor(np.zeros(kernel_shape[-1], np.float32), requires_grad=True)
    with cl.kernels.force(route):
        y_shape = cl.ops.conv2d(x, kernel, bias, padding=padding).shape
        upstream = rng.standard_normal(y_shape, dtype=np.float32)

        def infer():
            with cl.no_grad():
                cl.ops.conv2d(x, kernel, bias, padding=padding, activation="relu")

        def train():
            y = cl.ops.conv2d(x, kernel, bias, padding=padding, activation="relu")
            y.backward(upstream)

        forward = time_calls(infer, repeats)
        both = time_calls(train, repeats)
    return 1000 * statistics.median(forward), 1000 * statistics.median(both)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--case", help="only the cases whose name contains this")
    args = parser.parse_args()
    os.environ["CONVLENS_NUM_THREADS"] = str(args.threads)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import convlens as cl

    cl.memory.apply_tuning()  # as a model step would: freed memory stays for the next call
    rows = []
    for name, case in CASES.items():
        if args.case and args.case not in name:
            continue
        table, inference, usable = routes_for(cl, *case[:3])
        for route in usable:
            forward, both = timings(cl, case, route, args.repeats)
            mark = ("*" if route == table.forward else "") + (
                "+" if route == inference.forward else ""
            )
            rows.append([name, route + mark, f"{forward:.2f}", f"{both:.2f}"])
        rows.append(["", f"table: {table.short()}, inference {inference.forward}", "", ""])
    headers = ["case (float32)", "route (* table, + inference)", "forward ms", "fwd + bwd ms"]
    sys.stdout.write(format_table(headers, rows) + "\n")


if __name__ == "__main__":
    main()
