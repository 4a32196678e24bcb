"""End to end: how long LeNet-5 takes to reach 99.0% MNIST test accuracy, convlens against peers.

One fixed recipe in every framework: LeNet-5 (``convlens.applications.lenet5``; the peers' copies
in peers.py, Glorot-uniform kernels and zero biases as Keras), the bundled MNIST (60,000
training images scaled to [0, 1]), batch 128, Adam whose learning rate follows a cosine from
2e-3 down to 1% over 12 epochs (``convlens train``'s defaults), reshuffled every epoch. After each
epoch the model is evaluated on the 10,000 test images; the clock (training only, evaluation
excluded) stops at the first epoch at or above the target. Each framework runs in its own
process, one after the other per seed. It is a benchmark, never a test.

Usage:
    python benchmarks/time_to_accuracy.py [--seeds 1] [--peer-python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import format_table, run_worker, worker_command  # noqa: E402
from peers import available_peers, keras_model, torch_model  # noqa: E402

EPOCHS, BATCH, LEARNING_RATE, ALPHA, TARGET = 12, 128, 2e-3, 0.01, 0.990


def _load(path):
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def _result(seconds, accuracies):
    """Seconds of training until the first epoch at TARGET (None if never), and the curve."""
    reached = next((i for i, a in enumerate(accuracies) if a >= TARGET), None)
    return {
        "seconds": None if reached is None else sum(seconds[: reached + 1]),
        "epochs": None if reached is None else reached + 1,
        "accuracy": accuracies,
        "epoch_seconds": seconds,
    }


def train_convlens(data, seed):
    import convlens as cl
    from convlens.jobs import make_optimizer

    (x, y), (x_test, y_test) = data
    model = cl.applications.lenet5()
    model.reset_weights(seed)
    steps = -(-len(x) // BATCH)
    optimizer = make_optimizer("adam", LEARNING_RATE, steps, EPOCHS)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    seconds, accuracies = [], []
    for epoch in range(EPOCHS):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=epoch + 1, initial_epoch=epoch, verbose=0,
                  seed=seed)  # fmt: skip
        seconds.append(time.perf_counter() - start)
        predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(-1)
        accuracies.append(float((predicted == y_test).mean()))
        if accuracies[-1] >= TARGET:
            break
    return _result(seconds, accuracies)


def train_torch(data, seed):
    import numpy as np
    import torch

    torch.manual_seed(seed)
    (x, y), (x_test, y_test) = data
    x, y = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y).long()
    x_test = torch.from_numpy(x_test).permute(0, 3, 1, 2).contiguous()
    model = torch_model("lenet5", glorot=True)
    steps = -(-len(x) // BATCH)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=steps * EPOCHS, eta_min=LEARNING_RATE * ALPHA
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    seconds, accuracies = [], []
    for _ in range(EPOCHS):
        start = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(x)).split(BATCH):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
            schedule.step()
        seconds.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            predicted = torch.cat([model(part).argmax(-1) for part in x_test.split(1000)])
        accuracies.append(float((predicted.numpy() == np.asarray(y_test)).mean()))
        if accuracies[-1] >= TARGET:
            break
    return _result(seconds, accuracies)


def train_keras(data, seed):
    import keras

    keras.utils.set_random_seed(seed)
    (x, y), (x_test, y_test) = data
    model = keras_model("lenet5")
    steps = -(-len(x) // BATCH)
    schedule = keras.optimizers.schedules.CosineDecay(
        LEARNING_RATE, decay_steps=steps * EPOCHS, alpha=ALPHA
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy")
    seconds, accuracies = [], []
    for _ in range(EPOCHS):
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=True, verbose=0)
        seconds.append(time.perf_counter() - start)
        predicted = model.predict(x_test, batch_size=1000, verbose=0).argmax(-1)
        accuracies.append(float((predicted == y_test).mean()))
        if accuracies[-1] >= TARGET:
            break
    return _result(seconds, accuracies)


def worker(framework: str, data_path: str, seed: int) -> None:
    if framework.startswith("keras"):
        os.environ["KERAS_BACKEND"] = framework.split()[1]
        train = train_keras
    else:
        train = {"convlens": train_convlens, "torch": train_torch}[framework]
    sys.stdout.write(json.dumps(train(_load(data_path), seed)) + "\n")


def write_mnist(path: str) -> None:
    """The bundled MNIST, prepared once by convlens's loader, as an ``.npz`` every worker reads."""
    import numpy as np

    from convlens.jobs import load_dataset

    (x, y), (x_test, y_test) = load_dataset("mnist")
    np.savez(path, x_train=x, y_train=y.astype(np.int64), x_test=x_test, y_test=y_test)


def report(results: dict) -> str:
    rows = []
    for framework, runs in results.items():
        reached = [r["seconds"] for r in runs if r["seconds"] is not None]
        median = statistics.median(reached) if reached else None
        epochs = ", ".join(str(r["epochs"]) for r in runs)
        per_epoch = statistics.median(s for r in runs for s in r["epoch_seconds"])
        final = ", ".join(f"{r['accuracy'][-1]:.4f}" for r in runs)
        rows.append([framework, "never" if median is None else f"{median:.1f}", epochs,
                     f"{per_epoch:.1f}", final])  # fmt: skip
    fastest = min((r for r in rows[1:] if r[1] != "never"), key=lambda r: float(r[1]), default=None)
    table = format_table(
        ["framework", f"s to {TARGET:.1%}", "epochs", "s/epoch", "test accuracy"], rows
    )
    if fastest and rows[0][1] != "never":
        table += (
            f"\nconvlens / fastest peer ({fastest[0]}): {float(fastest[1]) / float(rows[0][1]):.2f}"
        )
    return table + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--peer-python")
    parser.add_argument("--worker")
    parser.add_argument("--data")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.seed)
        return
    frameworks = {"convlens": None}
    for framework, python in available_peers(args.peer_python).items():
        if framework in ("torch", "keras tensorflow", "keras jax"):
            frameworks[framework] = python
    results = {framework: [] for framework in frameworks}
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "mnist.npz")
        write_mnist(data)
        for seed in range(args.seeds):
            for framework, python in frameworks.items():
                sys.stderr.write(f"seed {seed}: {framework}\n")
                script = [os.path.abspath(__file__), "--worker", framework, "--data", data]
                command = worker_command([*script, "--seed", str(seed)], python, args.threads)
                results[framework].append(run_worker(command, timeout=3600))
    sys.stdout.write(report(results))


if __name__ == "__main__":
    main()
