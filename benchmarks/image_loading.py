"""Images/s of ``utils.image_dataset_from_directory`` with and without background threads.

Writes a folder of JPEG photos (random crops and flips of the shared photos and of the CIFAR-10
sample, resized to 160..260 pixels a side) to a temporary directory, then measures:

- iterating one epoch of the dataset (decode + resize + batch), and
- one epoch of ``fit`` of a small CNN (Rescaling, RandomFlip, two convolutions) reading it,
  beside ``fit`` on the same images held in memory as arrays (the ceiling),

for each ``workers`` setting (0: decoding in the training thread; n: n threads decoding ahead).
Settings alternate over rounds and the table shows medians, as the other benchmarks do.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/image_loading.py
    python benchmarks/image_loading.py --count 500 --rounds 1   # a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _sources(Image) -> list:
    """The shared photos and CIFAR samples as RGB arrays."""
    photos = [
        numpy.asarray(Image.open(SHARED / "images" / name).convert("RGB"))
        for name in ("chelsea.png", "coffee.png", "camera.png")
    ]
    cifar = sorted((SHARED / "datasets" / "cifar10-sample").glob("*.png"))
    small = [numpy.asarray(Image.open(path).convert("RGB")) for path in cifar]
    return photos + small


def write_folder(root: Path, count: int, seed: int = 0) -> None:
    """``count`` JPEGs in three class folders, each a random crop of a source, maybe mirrored,
    resized to a random size of 160..260 pixels a side."""
    from PIL import Image

    rng = numpy.random.default_rng(seed)
    sources = _sources(Image)
    for index in range(count):
        label = index % 3
        pick = sources[label] if label < 2 else sources[3 + rng.integers(len(sources) - 3)]
        h, w = pick.shape[:2]
        ch, cw = rng.integers(h // 2, h + 1), rng.integers(w // 2, w + 1)
        top, left = rng.integers(h - ch + 1), rng.integers(w - cw + 1)
        crop = pick[top : top + ch, left : left + cw]
        crop = crop[:, ::-1] if rng.random() < 0.5 else crop
        size = (int(rng.integers(160, 261)), int(rng.integers(160, 261)))
        img = Image.fromarray(numpy.ascontiguousarray(crop)).resize(size, Image.Resampling.BILINEAR)
        folder = root / ("cats", "coffee", "cifar")[label]
        folder.mkdir(parents=True, exist_ok=True)
        img.save(folder / f"{index:05d}.jpg", quality=90)


def _dataset(root, workers, size, batch_size):
    from convlens import utils

    return utils.image_dataset_from_directory(
        str(root), image_size=(size, size), batch_size=batch_size, seed=1, verbose=False,
        workers=workers,
    )  # fmt: skip


def time_iteration(root, workers, size, batch_size) -> float:
    """Images/s of one epoch of iterating the dataset."""
    dataset = _dataset(root, workers, size, batch_size)
    start = time.perf_counter()
    count = sum(len(images) for images, _ in dataset)
    return count / (time.perf_counter() - start)


def _model(size):
    import convlens as cl
    from convlens import layers

    model = cl.Sequential(
        [
            layers.Input((size, size, 3)),
            layers.Rescaling(1 / 255),
            layers.RandomFlip("horizontal", seed=0),
            layers.Conv2D(8, 3, strides=2, activation="relu"),
            layers.Conv2D(16, 3, strides=2, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def time_fit(root, workers, size, batch_size) -> float:
    """Images/s of one epoch of ``fit`` (after a warm-up step outside the clock)."""
    dataset = _dataset(root, workers, size, batch_size)
    model = _model(size)
    images, labels = dataset[0]
    model.train_on_batch(images, labels)  # build and warm up outside the clock
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    return len(dataset.file_paths) / (time.perf_counter() - start)


def time_fit_arrays(root, size, batch_size) -> float:
    """Images/s of one epoch of ``fit`` on the same images already in memory: the ceiling
    that hiding the decoding behind training can reach."""
    dataset = _dataset(root, 0, size, batch_size)
    batches = list(dataset)
    images = numpy.concatenate([x for x, _ in batches])
    labels = numpy.concatenate([y for _, y in batches])
    model = _model(size)
    model.train_on_batch(images[:batch_size], labels[:batch_size])
    start = time.perf_counter()
    model.fit(images, labels, batch_size=batch_size, epochs=1, verbose=0, seed=1)
    return len(images) / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="JPEG files to write")
    parser.add_argument("--size", type=int, default=64, help="image_size (square)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2, 4])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="convlens-images-") as tmp:
        start = time.perf_counter()
        write_folder(Path(tmp), args.count)
        print(f"wrote {args.count} JPEGs in {time.perf_counter() - start:.1f} s to {tmp}")
        print(f"{os.cpu_count()} CPUs; image_size {args.size}, batch {args.batch_size}")
        rows = {(task, w): [] for task in ("iterate", "fit") for w in args.workers}
        ceiling = []
        for round_index in range(args.rounds):
            order = args.workers if round_index % 2 == 0 else args.workers[::-1]
            for workers in order:
                rows["iterate", workers].append(
                    time_iteration(tmp, workers, args.size, args.batch_size)
                )
                rows["fit", workers].append(time_fit(tmp, workers, args.size, args.batch_size))
            ceiling.append(time_fit_arrays(tmp, args.size, args.batch_size))
        _print_table(rows, args.workers)
        print(f"{'fit, same images as arrays':28s}{statistics.median(ceiling):12,.0f}")


def _print_table(rows, workers) -> None:
    print(f"\n{'images/s (median)':28s}" + "".join(f"{f'workers={w}':>12s}" for w in workers))
    for task, label in (("iterate", "iterate the dataset"), ("fit", "fit, small CNN")):
        medians = [statistics.median(rows[task, w]) for w in workers]
        cells = "".join(f"{m:12,.0f}" for m in medians)
        best = max(medians[1:]) / medians[0] if len(medians) > 1 else 1.0
        print(f"{label:28s}{cells}   best threads / none: {best:.2f}x")


if __name__ == "__main__":
    main()
