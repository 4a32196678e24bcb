"""Slide "CNNs: More complex! Color images": the colour CNN on CIFAR-10 (R, G, B channels).

    python examples/06_colour_cnn_cifar10.py --output-dir out [--epochs 10] [--limit 5000]

Uses the full CIFAR-10 when it is in the cache (``convlens.datasets.cifar10``; ``--download``
fetches it, 163 MB), else the 20 sample images bundled with convlens: a smoke run that only
shows the network runs (its accuracy is on its own training images, not a test accuracy).
Saves ``colour_cnn.keras``, prints the accuracy.
"""

import argparse
import os

from convlens import applications
from convlens.datasets import cifar10
from convlens.datasets.download import cache_dir

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/06_colour_cnn")
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--limit", type=int, default=None, help="use the first N training images")
parser.add_argument("--download", action="store_true", help="download CIFAR-10 if absent")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

try:
    if not (args.download or os.path.exists(os.path.join(cache_dir("cifar-10"), cifar10.ARCHIVE))):
        raise FileNotFoundError("CIFAR-10 is not in the cache")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    source = "CIFAR-10"
except OSError as error:  # absent, or the download failed
    x_train, y_train = x_test, y_test = cifar10.load_sample()
    source = f"the 20 bundled sample images ({error})"
if args.limit:
    x_train, y_train = x_train[: args.limit], y_train[: args.limit]
print(f"training on {len(x_train)} images of {source}")
model = applications.colour_cnn()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train / 255.0, y_train, epochs=args.epochs, batch_size=64, seed=args.seed, verbose=2)
loss, accuracy = model.evaluate(x_test / 255.0, y_test, verbose=0)
offline = "smoke run only, accuracy on its own training images, not a test:"  # no held-out data
what = "test accuracy" if source == "CIFAR-10" else offline
print(f"{what} {accuracy:.4f}, loss {loss:.4f} ({len(x_test)} images)")
model.save(os.path.join(args.output_dir, "colour_cnn.keras"))
