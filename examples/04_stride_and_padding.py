"""Slides "Stride & Padding": the 4x4 image and 2x2 kernel at S=1, S=2, P=1 and P=2.

    python examples/04_stride_and_padding.py --output-dir out

For each setting, the output size from the lecture's formula (N + 2P - F)/S + 1
(``convlens.ops.conv_output_size``) and the convolution itself, whose shape agrees.
Writes ``stride_and_padding.txt``.
"""

import argparse
import os

import numpy

from convlens import ops
from convlens.ops import conv_output_size

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/04_stride_and_padding")
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

image = numpy.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], numpy.float32)
kernel = numpy.array([[1, 0], [1, -1]], numpy.float32)
lines = []
for label, stride, padding in [("S=1", 1, 0), ("S=2", 2, 0), ("P=1", 1, 1), ("P=2", 1, 2)]:
    size = conv_output_size(4, 2, stride=stride, padding=padding)
    out = ops.conv2d(
        image[None, :, :, None], kernel[:, :, None, None], strides=stride, padding=padding
    ).numpy()[0, :, :, 0]
    lines.append(
        f"{label}: (4 + 2*{padding} - 2)/{stride} + 1 = {size}; conv2d gives "
        f"{out.shape[0]}x{out.shape[1]}"
    )
    lines += ["    " + " ".join(f"{v:3.0f}" for v in row) for row in out]
with open(os.path.join(args.output_dir, "stride_and_padding.txt"), "w") as file:
    file.write("\n".join(lines) + "\n")
print("\n".join(lines))
