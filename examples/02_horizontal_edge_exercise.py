"""Slide "Exercise: Create a horizontal edge detector": one answer, and why it works.

    python examples/02_horizontal_edge_exercise.py --output-dir out

A horizontal edge is a change from one row to the next, so the kernel subtracts the row above
from the row below: [[-1, -1, -1], [0, 0, 0], [1, 1, 1]] (Prewitt's, ``horizontal_edge`` in
``convlens.filters``). On an image with a bright square, it answers on the top side (dark above
bright: positive) and the bottom side (negative) only, and is zero on the left and right sides
and on flat regions. Writes ``horizontal_edges.txt``.
"""

import argparse
import os

import numpy

from convlens import filters, ops

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/02_horizontal_edge")
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

kernel = numpy.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], numpy.float32)
image = numpy.zeros((8, 8), numpy.float32)
image[2:6, 2:6] = 1  # a bright square on a dark background

response = ops.conv2d(image[None, :, :, None], kernel[:, :, None, None], padding="same")
response = response.numpy()[0, :, :, 0]


def grid(values):
    return [" ".join(f"{v:2.0f}" for v in row) for row in values]


same = numpy.array_equal(kernel, filters.get_kernel("horizontal_edge"))
lines = [f"our answer is convlens.filters' horizontal_edge kernel: {same}", "image:", *grid(image)]
lines += ["response to the horizontal edge detector:", *grid(response)]
lines += [f"top edge {response[1, 3]:+.0f}, bottom edge {response[6, 3]:+.0f}, "
          f"left edge {response[3, 1]:+.0f}, right edge {response[3, 6]:+.0f}"]  # fmt: skip
with open(os.path.join(args.output_dir, "horizontal_edges.txt"), "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
