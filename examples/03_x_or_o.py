"""Slides "A toy ConvNet: Is it an X or an O?": filtering, ReLU, pooling, the vote, training.

    python examples/03_x_or_o.py --output-dir out [--train] [--seed 0]

Prints the feature maps of the slides (cut to two decimals as printed there), the pooled map,
the votes for the X, the distorted X and the O; with ``--train``, also trains the same network
by backpropagation and compares its filters with the hand-made ones. Writes ``x_or_o.txt``.
"""

import argparse
import os

from convlens.lecture import xo

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/03_x_or_o")
parser.add_argument("--train", action="store_true", help="also train the network (~10 s)")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

with open(os.path.join(args.output_dir, "x_or_o.txt"), "w") as file:
    for line in xo.demo_lines(train=args.train, seed=args.seed):
        print(line, flush=True)
        file.write(line + "\n")
