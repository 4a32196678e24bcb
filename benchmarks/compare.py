"""Train and run the lecture's networks: convlens against every installed peer, in one run.

Rows (float32, images per second, higher is better): a training step (forward + backward + Adam
update, sparse categorical cross-entropy) of LeNet-5 (28×28×1) at batch 128 and 32 and of the
CIFAR CNN (32×32×3, ``convlens.applications.colour_cnn``) at batch 128, and inference of both at
batch 256. The peers build the same architectures: PyTorch eager (NCHW) and PyTorch with
``channels_last`` memory format; Keras 3 on TensorFlow and on JAX only when importable (this
script never installs anything). Each framework runs in its own process; rounds alternate; the
table shows medians after warm-up, and ``convlens / best`` is convlens's rate over the best peer's
(above 1, convlens is faster). ``--baseline SRC`` adds a column for the convlens package found
in another source tree (e.g. a ``git worktree`` of the previous commit's ``src``; a tree from
before the rename holds it as ``convnet``) and the speed-up over it; ``--noise`` a second
convlens worker, whose ratio to the first is the run's noise. ``--device gpu`` runs every
row on the GPU: convlens on CuPy (``CONVLENS_BACKEND=cupy``), PyTorch on CUDA, the data already
on the device and every timing ended by a synchronisation.
It is a benchmark, never a test.

Usage:
    python benchmarks/compare.py [--rounds 3] [--repeats 5] [--baseline ../old/src]
                                 [--device gpu]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ceiling import (  # noqa: E402
    FORCING,
    blas_description,
    ceiling_gflops,
    forced_core_warning,
    sgemm_seconds,
)
from flops import network_flops  # noqa: E402
from harness import (  # noqa: E402
    format_table,
    peak_memory_mb,
    run_interleaved,
    time_calls,
    worker_command,
)
from peers import CLASSES, SHAPES, available_peers, keras_model, torch_model  # noqa: E402

# name -> (network, batch, training)
CASES = {
    "train LeNet-5 28x28x1 b128": ("lenet5", 128, True),
    "train LeNet-5 28x28x1 b32": ("lenet5", 32, True),
    "train CIFAR CNN 32x32x3 b128": ("colour_cnn", 128, True),
    "infer LeNet-5 28x28x1 b256": ("lenet5", 256, False),
    "infer CIFAR CNN 32x32x3 b256": ("colour_cnn", 256, False),
}


def _data(network, batch):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((batch, *SHAPES[network]), dtype=np.float32)
    y = rng.integers(0, CLASSES, batch)
    return x, y


# ----- convlens -----


def convlens_step(network, batch, training, gpu=False, package="convlens"):
    import importlib

    cl = importlib.import_module(package)

    model = cl.applications.MODELS[network](SHAPES[network], CLASSES)
    x, y = _data(network, batch)
    if gpu:  # the batch lives on the device, as a GPU input pipeline would leave it
        x, y = cl.backend.xp.asarray(x), cl.backend.xp.asarray(y)
    if not training:
        step = lambda: model.predict_on_batch(x)  # noqa: E731
    else:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        step = lambda: model.train_on_batch(x, y)  # noqa: E731
    if not gpu:
        return step
    synchronize = cl.backend.xp.cuda.Device().synchronize

    def on_gpu():
        step()
        synchronize()

    return on_gpu


# ----- PyTorch, NCHW (or channels_last memory), logits + CrossEntropyLoss -----


def torch_step(network, batch, training, channels_last=False, gpu=False):
    import torch

    device = "cuda" if gpu else "cpu"
    model = torch_model(network).to(device)
    x, y = _data(network, batch)
    x = torch.from_numpy(x).permute(0, 3, 1, 2).to(device)  # (N, C, H, W) of the NHWC data
    x = x.contiguous(
        memory_format=torch.channels_last if channels_last else torch.contiguous_format
    )
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    y = torch.from_numpy(y).to(device)
    synchronize = torch.cuda.synchronize if gpu else (lambda: None)
    if not training:
        model.eval()

        def infer():
            with torch.no_grad():
                torch.softmax(model(x), dim=-1)
            synchronize()

        return infer
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        synchronize()

    return step


# ----- Keras 3 (TensorFlow or JAX backend), when installed -----


def keras_step(network, batch, training):
    model = keras_model(network)
    x, y = _data(network, batch)
    if not training:
        return lambda: model.predict_on_batch(x)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return lambda: model.train_on_batch(x, y)


SAMPLE_SECONDS = 0.03
"""Each timing sample lasts at least this long (several steps of the short rows, averaged):
LeNet-5's 3 ms step at batch 32 timed one at a time varied by 1.2x between two processes of
the same code in one run."""

BASELINE = "convlens baseline"
AGAIN = "convlens again"  # --noise: the same code in a process of its own, for the run's noise
SGEMM = "sgemm"  # NumPy's float32 GEMM in a worker of its own: the ceiling of GEMM-bound rows


def describe(framework: str) -> str:
    """What computes a worker's products: NumPy's BLAS for convlens, PyTorch's CPU kernels, XLA."""
    if framework.startswith("torch"):
        import torch

        return (
            f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}"
            f", {torch.get_num_threads()} threads"
        )
    if framework.startswith("keras"):
        import keras

        return f"keras {keras.version()} on {framework.split()[1]}"
    return "NumPy BLAS " + blas_description()


def worker(framework: str, repeats: int, gpu: bool = False, only=()) -> None:
    if framework == SGEMM:
        sys.stdout.write(json.dumps(sgemm_seconds(repeats)) + "\n")
        return
    if framework.startswith("keras"):
        os.environ["KERAS_BACKEND"] = framework.split()[1]
        step = keras_step
    elif framework.startswith("torch"):
        channels_last = framework == "torch channels_last"

        def step(*case):
            return torch_step(*case, channels_last=channels_last, gpu=gpu)
    else:  # convlens, or the baseline's convlens (PYTHONPATH chose which is imported)
        package = os.environ.get("BENCH_PACKAGE", "convlens")

        def step(*case):
            return convlens_step(*case, gpu=gpu, package=package)

    results = {}
    for name, case in selected(only).items():
        results[name] = {"seconds": time_calls(step(*case), repeats, 3, SAMPLE_SECONDS)}
    for entry in results.values():
        entry["peak_mb"] = peak_memory_mb()
    results["blas"] = {"text": describe(framework)}
    sys.stdout.write(json.dumps(results) + "\n")


def selected(only) -> dict:
    """The rows of :data:`CASES` whose name contains one of ``only`` (all when empty)."""
    return {name: case for name, case in CASES.items() if not only or any(o in name for o in only)}


def gflops_table(results: dict, frameworks: list, only) -> str:
    """Effective GFLOP/s of each framework on each row (benchmarks/flops.py: the direct
    convolution's count, whatever algorithm ran) and convlens's share of the sgemm ceiling."""
    ceiling, line = ceiling_gflops(results[SGEMM]) if SGEMM in results else (None, "")
    headers = ["GFLOP/s (effective)", "MFLOP/img"] + frameworks
    headers += ["convlens / sgemm ceiling"] if ceiling else []
    rows = []
    for name, (network, batch, training) in selected(only).items():
        flops = network_flops(network, SHAPES[network], CLASSES, training)
        rate = {f: batch / statistics.median(results[f][name]["seconds"]) for f in frameworks}
        row = [name, f"{flops / 1e6:.2f}"] + [f"{rate[f] * flops / 1e9:.1f}" for f in frameworks]
        if ceiling:
            row.append(f"{rate['convlens'] * flops / 1e9 / ceiling:.0%}")
        rows.append(row)
    return format_table(headers, rows) + (f"\n{line}\n" if line else "\n")


def report(results: dict, only=()) -> str:
    timed = [f for f in results if f != SGEMM]
    frameworks = [f for f in timed if f not in (BASELINE, AGAIN)]
    peers = frameworks[1:]
    headers = ["img/s (median)"] + timed + (["convlens / best peer"] if peers else [])
    if BASELINE in results:
        headers.append("convlens / baseline")
    if AGAIN in results:
        headers.append("convlens / again (noise)")
    rows = []
    for name, (_, batch, _) in selected(only).items():
        rate = {f: batch / statistics.median(results[f][name]["seconds"]) for f in timed}
        row = [name] + [f"{rate[f]:,.0f}" for f in timed]
        if peers:
            best = max(peers, key=rate.get)
            row.append(f"{rate['convlens'] / rate[best]:.2f} ({best})")
        if BASELINE in results:
            row.append(f"{rate['convlens'] / rate[BASELINE]:.2f}")
        if AGAIN in results:
            row.append(f"{rate['convlens'] / rate[AGAIN]:.2f}")
        rows.append(row)
    peaks = ", ".join(
        f"{f} {max(e['peak_mb'] for e in results[f].values() if 'peak_mb' in e):.0f} MiB"
        for f in timed
    )
    kernels = "".join(f"  {f}: {results[f]['blas']['text']}\n" for f in results)
    return (
        format_table(headers, rows)
        + f"\npeak memory per process: {peaks}\n\n"
        + gflops_table(results, timed, only)
        + f"\nproducts computed by (as each worker found them):\n{kernels}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", help="a source tree holding another convlens package")
    parser.add_argument(
        "--threads", type=int, help="BLAS/OpenMP threads for every framework (default: all cores)"
    )
    parser.add_argument(
        "--peer-python",
        help="an interpreter whose environment has peers this one lacks (e.g. Keras on TensorFlow)",
    )
    parser.add_argument(
        "--device",
        choices=["cpu", "gpu"],
        default="cpu",
        help="gpu: convlens on CuPy and PyTorch on CUDA (Keras is left out)",
    )
    parser.add_argument(
        "--noise",
        action="store_true",
        help="a second convlens worker: convlens / again is the run's noise on each row",
    )
    parser.add_argument(
        "--only", nargs="+", default=[], help="only the rows whose name contains one of these"
    )
    parser.add_argument(
        "--native-blas",
        action="store_true",
        help="run every worker without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (OpenBLAS then "
        "picks the kernel for this CPU)",
    )
    parser.add_argument("--worker")
    args = parser.parse_args()
    gpu = args.device == "gpu"
    if args.worker:
        worker(args.worker, args.repeats, gpu, args.only)
        return
    unset = FORCING if args.native_blas else ()
    warning = None if args.native_blas else forced_core_warning()
    if warning:
        sys.stderr.write(warning + "\n")
    script = [os.path.abspath(__file__), "--repeats", str(args.repeats), "--device", args.device]
    script += ["--only", *args.only] if args.only else []
    script.append("--worker")
    convlens_env = ["CONVLENS_BACKEND=cupy"] if gpu else []

    def command(framework, python=None, env=()):
        return worker_command([*script, framework], python, args.threads, env, unset)

    workers = {"convlens": command("convlens", env=convlens_env)}
    for framework, python in available_peers(args.peer_python).items():
        if not (gpu and framework.startswith("keras")):
            workers[framework] = command(framework, python)
    if args.baseline:  # PYTHONPATH comes before the editable install on sys.path
        source = os.path.abspath(args.baseline)
        package = "convlens" if os.path.isdir(os.path.join(source, "convlens")) else "convnet"
        env = [f"PYTHONPATH={source}", f"BENCH_PACKAGE={package}"]
        if gpu:
            env.append(f"{package.upper()}_BACKEND=cupy")
        workers[BASELINE] = command(BASELINE, env=env)
    if args.noise:  # identical code: how far apart two workers land is the run's noise
        workers[AGAIN] = command(AGAIN, env=convlens_env)
    if not gpu:
        workers[SGEMM] = command(SGEMM)
    text = report(run_interleaved(workers, args.rounds), args.only)
    sys.stdout.write(text + (f"\n{warning}\n" if warning else ""))


if __name__ == "__main__":
    main()
