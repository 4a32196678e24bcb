"""Slides "The convolution operator": the lecture's kernels (blur, sharpen, edges...) on a photo.

    python examples/01_kernels_on_a_photo.py --output-dir out [--photo PATH] [--kernel NAME ...]

Writes ``kernels.png`` (the photo beside each filtered version) and prints the range of each
kernel's raw response, before it is clipped or rescaled for display.
"""

import argparse
import os

from convlens import filters, images, viz

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--output-dir", default="out/01_kernels")
parser.add_argument("--photo", help="an image file (default: the photo bundled with convlens)")
parser.add_argument("--kernel", action="append", help="a kernel name (repeat); default: all")
args = parser.parse_args()
os.makedirs(args.output_dir, exist_ok=True)

photo = images.load_image(args.photo or images.sample_photo_path(), mode="L")
results, signed, names = {}, {}, args.kernel or list(filters.KERNELS)
width = max(map(len, names))
for name in names:
    response = filters.apply_kernel(photo, filters.get_kernel(name), padding="same")
    results[name] = filters.to_displayable(response, filters.recommended_display(name))
    if filters.recommended_display(name) == "rescale":
        signed[name] = response  # edge kernels: drawn signed, red/blue around a white zero
    print(f"{name:>{width}s}: response from {response.min():8.1f} to {response.max():8.1f}")
path = viz.filter_results(photo, results, os.path.join(args.output_dir, "kernels.png"), signed)
print(f"wrote {path}")
