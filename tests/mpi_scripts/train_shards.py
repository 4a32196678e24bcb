"""Train a small model with fit, alone or under mpirun; rank 0 saves the final weights.

Run by tests/test_distribution*.py:  python train_shards.py OUT.npz [options]
(``mpirun -n 2 python train_shards.py ...`` for two ranks). Each rank starts from other
weights (seed + rank), so a run whose broadcast failed would not match the single process.
"""

import argparse
import json
import os
import signal

import numpy

import convlens
from convlens import callbacks, config, distribution, layers, models


def build(kind: str, dtype: str, seed: int):
    config.set_floatx(dtype)
    if kind == "unbuilt":  # no Input: built by fit's first batch, from the global stream
        convlens.utils.set_random_seed(seed)
        return models.Sequential(
            [layers.Flatten(), layers.Dense(16, activation="relu"),
             layers.Dense(3, activation="softmax")]
        )  # fmt: skip
    if kind == "dropout":
        model = models.Sequential(
            [layers.Input((12, 12, 1)), layers.Flatten(), layers.Dense(16, activation="relu"),
             layers.Dropout(0.5, seed=5), layers.Dense(3, activation="softmax")]
        )  # fmt: skip
    elif kind == "lenet":
        model = convlens.applications.lecture.lenet5(input_shape=(12, 12, 1), classes=3)
    else:
        model = models.Sequential(
            [
                layers.Input((8, 8, 1)),
                layers.Conv2D(4, 3),
                layers.BatchNormalization(momentum=0.8),
                layers.Activation("relu"),
                layers.Flatten(),
                layers.Dense(3, activation="softmax"),
            ]
        )
    model.reset_weights(seed)
    return model


def data(kind: str, samples: int, dtype: str):
    side = 8 if kind == "bn" else 12
    rng = numpy.random.default_rng(7)
    x = rng.normal(size=(samples, side, side, 1)).astype(dtype)
    y = rng.integers(0, 3, size=samples)
    return x, y


class KillAt(callbacks.Callback):
    """SIGKILL this process at (epoch, batch): a rank lost mid-epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


class StopAt(KillAt):
    """Set ``stop_training`` at (epoch, batch), on this rank only."""

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.model.stop_training = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--kind", default="lenet")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--samples", type=int, default=48)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--backup", default=None)
    parser.add_argument("--kill", default=None, help="rank,epoch,batch")
    parser.add_argument("--csv", default=None, help="a CSVLogger's path; {rank} is replaced")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--other-data", action="store_true", help="rank 1 gets other data")
    parser.add_argument("--stop", default=None, help="rank,epoch,batch: stop_training there")
    parser.add_argument("--iterable", action="store_true", help="a list of (x, y) batches")
    args = parser.parse_args()
    rank = distribution.launched_rank()
    model = build(args.kind, args.dtype, seed=3 + rank)
    model.compile(optimizer=args.optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    x, y = data(args.kind, args.samples, args.dtype)
    if args.other_data and rank == 1:
        x = x + 1
    chosen = []
    if args.backup:
        chosen.append(callbacks.BackupAndRestore(args.backup))
    if args.kill:
        kill_rank, epoch, batch = (int(v) for v in args.kill.split(","))
        if rank == kill_rank:
            chosen.append(KillAt(epoch, batch))
    if args.stop:
        stop_rank, epoch, batch = (int(v) for v in args.stop.split(","))
        if rank == stop_rank:
            chosen.append(StopAt(epoch, batch))
    if args.csv:
        chosen.append(callbacks.CSVLogger(args.csv.format(rank=rank)))
    if args.patience is not None:
        # min_delta=10: no epoch after the first improves enough, so fit stops at epoch
        # 1 + patience, on every rank together.
        chosen.append(callbacks.EarlyStopping(monitor="loss", patience=args.patience,
                                              min_delta=10.0))  # fmt: skip
    if args.iterable:
        x, y = [(x[i : i + args.batch], y[i : i + args.batch])
                for i in range(0, len(x), args.batch)], None  # fmt: skip
    batch_size = None if args.iterable else args.batch
    history = model.fit(x, y, batch_size=batch_size, epochs=args.epochs, seed=11,
                        verbose=args.verbose, callbacks=chosen)  # fmt: skip
    arrays = {f"w{i}": w.numpy() for i, w in enumerate(model.weights)}
    noise = [str(layer._rng.bit_generator.state["state"]) for layer in model._flat_layers()
             if getattr(layer, "_rng", None) is not None]  # fmt: skip
    record = {"history": history.history, "epochs": history.epoch, "noise": noise}
    path = args.out if rank == 0 else f"{args.out}.rank{rank}.npz"
    numpy.savez(path, **arrays)
    with open(path + ".json", "w") as stream:
        json.dump(record, stream)


if __name__ == "__main__":
    main()
