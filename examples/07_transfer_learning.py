"""Slide "Outline 7: transfer learning": MNIST digits teach filters that help with Fashion-MNIST.

    python examples/07_transfer_learning.py --output-dir out [--labelled 100 1000] [--seeds 0 1 2]

Pretrains a small Conv-BatchNorm base on MNIST (bundled). Per seed and ``--labelled`` count of
Fashion-MNIST images, trains the base with a new head (base frozen, then its top block fine-tuned
at a 10x lower rate, BatchNorm in inference mode) against the same network from scratch for as
many epochs; tests both on the Fashion-MNIST test set; writes the tables to ``transfer.md``
(``convlens.lecture.transfer``). Fashion-MNIST is read from ``--fashion-dir`` or ``CONVLENS_DATA``.
"""

import argparse
import os

from convlens.datasets import fashion_mnist, mnist
from convlens.lecture import transfer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/07_transfer_learning")
parser.add_argument("--fashion-dir", default=None, help="folder holding Fashion-MNIST's files")
parser.add_argument("--labelled", type=int, nargs="+", default=[100, 1000], help="image counts")
parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
parser.add_argument("--base-epochs", type=int, default=2, help="MNIST epochs of pretraining")
parser.add_argument("--limit", type=int, default=None, help="first N MNIST and test images only")
parser.add_argument("--epochs", type=int, nargs=2, default=[10, 5], help="head, fine-tune epochs")
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

(x_digits, y_digits), _ = mnist.load_data()
(x_clothes, y_clothes), (x_test, y_test) = fashion_mnist.load_data(path=args.fashion_dir)
x_digits, y_digits = x_digits[: args.limit, ..., None] / 255.0, y_digits[: args.limit]
x_test, y_test = x_test[: args.limit, ..., None] / 255.0, y_test[: args.limit]
print(f"pretraining on {len(x_digits)} MNIST digits, {args.base_epochs} epochs")
base = transfer.pretrain(x_digits, y_digits, epochs=args.base_epochs)
base.save(os.path.join(args.output_dir, "mnist_base.keras"))
clothes = (x_clothes[..., None] / 255.0, y_clothes)
tables = []
for count in args.labelled:
    print(f"{count} Fashion-MNIST images for training, {len(x_test)} for testing")
    test = (x_test, y_test)
    trials = transfer.compare(base, clothes, test, count, args.seeds, tuple(args.epochs))
    tables.append(f"{count} labelled images\n\n{transfer.table(trials)}\n")
    print(tables[-1])
with open(os.path.join(args.output_dir, "transfer.md"), "w") as stream:
    stream.write("\n".join(tables))
