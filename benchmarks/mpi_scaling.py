"""Data-parallel training on MPI: images/s on 1 and 2 ranks here, the allreduce's time per
step, and the efficiency to expect on N machines joined by a 10 Gb/s network.

A benchmark, not a test. Each configuration runs in its own processes: one rank as a plain
process with every core, two ranks under mpirun with half the cores each (the same machine,
so the ranks share its cores: the images/s of two ranks here measure the overhead, not a
speed-up). Timing starts after a warm-up epoch.

    python benchmarks/mpi_scaling.py [--steps 20] [--batch 128] [--bandwidth-gbit 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
MODELS = {"lenet5": (28, 28, 1), "colour_cnn": (32, 32, 3)}


def worker(model_name: str, batch: int, steps: int) -> None:
    """Train ``steps`` steps of ``model_name`` (after one warm-up epoch); rank 0 prints JSON."""
    import numpy

    from convlens import applications, callbacks, distribution

    shape = MODELS[model_name]
    rng = numpy.random.default_rng(0)
    x = rng.random((batch * steps, *shape), dtype=numpy.float32)
    y = rng.integers(0, 10, size=batch * steps)
    model = applications.MODELS[model_name](input_shape=shape, classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    times = []
    clock = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: times.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: times.append(time.perf_counter()),
    )
    parallel = distribution.distribution()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, seed=0)  # warm-up
    calls_before = parallel.allreduce_calls if parallel else 0
    seconds_before = parallel.allreduce_seconds if parallel else 0.0
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, seed=1, callbacks=[clock])
    elapsed = times[1] - times[0]
    result = {"images_per_s": batch * steps / elapsed, "step_ms": elapsed / steps * 1e3}
    if parallel:
        calls = parallel.allreduce_calls - calls_before
        result["allreduce_ms"] = (parallel.allreduce_seconds - seconds_before) / calls * 1e3
    result["gradient_bytes"] = int(sum(w.data.nbytes for w in model.trainable_weights))
    if parallel:
        result["allreduce_alone_ms"] = allreduce_alone_ms(parallel, result["gradient_bytes"])
    if not parallel or parallel.is_chief:
        print(json.dumps(result), flush=True)


def allreduce_alone_ms(parallel, nbytes: int, repeats: int = 30) -> float:
    """The median time of one Allreduce of the gradient's size, the ranks lined up by a barrier
    first (the step's figure also holds the wait for the slower rank)."""
    import numpy

    buffer = numpy.zeros(nbytes // 4, dtype=numpy.float32)
    times = []
    for _ in range(repeats):
        parallel.comm.Barrier()
        started = time.perf_counter()
        parallel.comm.Allreduce(parallel.MPI.IN_PLACE, buffer, op=parallel.MPI.SUM)
        times.append(time.perf_counter() - started)
    return float(numpy.median(times) * 1e3)


def _environment(processes: int = 1) -> dict:
    """The workers' environment. MPI ranks split the cores themselves (DataParallel gives each
    of the ranks on a machine cores // ranks threads, BLAS included); the control's plain
    processes are given the same split here."""
    env = dict(os.environ, PYTHONPATH=str(SRC), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")  # fmt: skip
    if processes > 1:
        threads = str(max(1, (os.cpu_count() or 1) // processes))
        env.update(CONVLENS_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
    return env


def _worker_command(model_name: str, batch: int, steps: int) -> list[str]:
    return [sys.executable, __file__, "--worker", model_name, "--batch", str(batch),
            "--steps", str(steps)]  # fmt: skip


def independent(model_name: str, batch: int, steps: int) -> dict:
    """The control: two plain processes (no MPI) at once, each on half the batch, as two
    ranks would compute: what sharing this machine's cores costs without any communication."""
    command = _worker_command(model_name, batch // 2, steps)
    running = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=_environment(2))
               for _ in range(2)]  # fmt: skip
    rows = [json.loads(process.communicate()[0].strip().splitlines()[-1]) for process in running]
    step_ms = max(row["step_ms"] for row in rows)  # a step ends when both halves are done
    return {**rows[0], "images_per_s": batch / step_ms * 1e3, "step_ms": step_ms}


def launch(model_name: str, ranks: int, batch: int, steps: int) -> dict:
    sys.path.insert(0, str(SRC))
    from convlens.distribution import mpirun_path

    env = _environment()
    command = _worker_command(model_name, batch, steps)
    if ranks > 1:
        mpirun = mpirun_path()
        if mpirun is None:
            raise SystemExit('no mpirun: pip install "convlens[mpi]"')
        command = [mpirun, "-n", str(ranks), "--oversubscribe", "--bind-to", "none", *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    [line] = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(line)


def ring_allreduce_seconds(nbytes: int, machines: int, bandwidth: float, latency: float):
    """A ring allreduce: 2(N-1) messages of nbytes/N each way (reduce-scatter, all-gather)."""
    if machines == 1:
        return 0.0
    return 2 * (machines - 1) * (latency + nbytes / machines / bandwidth)


def estimate(rows: dict, batch: int, bandwidth_gbit: float, latency_us: float) -> str:
    """On paper: each of N machines computes batch/N images (strong scaling, global batch
    fixed) or the full batch (weak scaling), then the gradient crosses the network once."""
    bandwidth, latency = bandwidth_gbit * 1e9 / 8, latency_us * 1e-6
    lines = [
        f"\nOn paper: N machines, {bandwidth_gbit:g} Gb/s, {latency_us:g} us per message, ring "
        "allreduce not overlapped with the backward pass (as convlens does it):",
        "model       N  allreduce ms  strong: compute ms  efficiency   weak: compute ms  eff.",
    ]
    for name, single in rows.items():
        nbytes = single["gradient_bytes"]
        per_image = single["step_ms"] / batch  # ms per image, one machine
        for machines in (1, 2, 4, 8, 16, 32):
            reduce_ms = ring_allreduce_seconds(nbytes, machines, bandwidth, latency) * 1e3
            strong = per_image * batch / machines
            weak = per_image * batch
            lines.append(
                f"{name:<10} {machines:>2}  {reduce_ms:>12.2f}  {strong:>18.1f}  "
                f"{strong / (strong + reduce_ms):>10.0%}   {weak:>15.1f}  "
                f"{weak / (weak + reduce_ms):>4.0%}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--bandwidth-gbit", type=float, default=10.0)
    parser.add_argument("--latency-us", type=float, default=30.0)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batch, args.steps)
    print(f"{os.cpu_count()} cores; global batch {args.batch}, {args.steps} timed steps")
    print("model        ranks  images/s  step ms  allreduce ms: in step  alone  gradient MB")
    singles = {}
    for name in MODELS:
        for ranks in (1, 2, "2 alone"):
            if ranks == "2 alone":
                row = independent(name, args.batch, args.steps)
            else:
                row = launch(name, ranks, args.batch, args.steps)
            singles.setdefault(name, row)
            reduce_ms = f"{row.get('allreduce_ms', 0.0):>21.2f}"
            alone_ms = f"{row.get('allreduce_alone_ms', 0.0):>5.2f}"
            print(
                f"{name:<10} {ranks:>7}  {row['images_per_s']:>8.0f}  {row['step_ms']:>7.1f}  "
                f"{reduce_ms}  {alone_ms}  {row['gradient_bytes'] / 1e6:>11.2f}",
                flush=True,
            )
    print("('2 alone': two processes without MPI, each on half the batch, at the same time)")
    print(estimate(singles, args.batch, args.bandwidth_gbit, args.latency_us))


if __name__ == "__main__":
    main()
