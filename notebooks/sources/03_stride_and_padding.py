# %% [markdown]
# # 3. Stride and padding
#
# Slides *"Stride & Padding"* and *"The architecture: Convolutional Layer"*.
#
# - The **stride** S is how many pixels the filter moves right and down between two positions.
# - The **padding** P is how many rows and columns of zeros are added around the image before
#   the filter is applied.
#
# With an N x N image and an F x F filter, the feature map is
# $$N_{out} = \frac{N + 2P - F}{S} + 1$$
# pixels wide (rounded down when the division is not exact: the last positions that do not fit
# are dropped).
# %% shared: setup

# %%
import matplotlib.pyplot as plt
import numpy as np

import convlens
from convlens import explain, filters, images, layers, models, ops
from convlens.ops import conv_output_size
# %% shared: show

# %% [markdown]
# ## The slides' example at S=1, S=2, P=1 and P=2
#
# The same 4x4 image and 2x2 kernel as in part 1. For each setting: the formula with the
# numbers filled in, then the worked convolution (the padded image with the last window
# outlined, the kernel, the output).

# %%
image = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], dtype=float)
kernel = np.array([[1, 0], [1, -1]], dtype=float)
settings = [("S=1", 1, 0), ("S=2", 2, 0), ("P=1", 1, 1), ("P=2", 1, 2)]

for label, stride, padding in settings:
    size = conv_output_size(4, 2, stride=stride, padding=padding)
    trace = explain.explain_conv(image, kernel, stride=stride, padding=padding)
    print(f"{label}: (4 + 2*{padding} - 2)/{stride} + 1 = {size}")
    print(trace.output.astype(int), "\n")
    display(Image(explain.render_png(trace, f"stride{stride}_padding{padding}.png")))

# %% [markdown]
# With S=2 the filter skips every other position: the output is 2x2 instead of 3x3, four times
# fewer values to compute and to store, at the price of a coarser map. With P=1 the zeros let the
# filter also sit half outside the image, so the output grows to 5x5; the border values mix
# image pixels with zeros. With P=2 the outer ring of windows reads nothing but zeros, so it is
# 0: padding more than F - 1 only adds zeros to the map.
#
# ## The library uses the same formula
#
# `ops.conv2d` (and the `Conv2D` layer) take `strides` and `padding`; their output shapes follow
# the formula:

# %%
x = image[None, :, :, None]  # (batch, height, width, channels)
k = kernel[:, :, None, None]  # (height, width, in channels, out channels)
for label, stride, padding in settings:
    out = ops.conv2d(x, k, strides=stride, padding=padding)
    print(f"{label}: conv2d output {tuple(out.shape)[1:3]}, "
          f"formula {conv_output_size(4, 2, stride=stride, padding=padding)}")  # fmt: skip

# %% [markdown]
# When the division is not exact, the positions that do not fit are dropped: a 5x5 image, a 2x2
# filter and S=2 give (5 - 2)/2 + 1 = 2.5, so 2, and the last row and column are never read.

# %%
print("formula:", (5 + 0 - 2) / 2 + 1, "-> output size", conv_output_size(5, 2, stride=2))
trace = explain.explain_conv(np.arange(25).reshape(5, 5), kernel, stride=2)
display(Image(explain.render_png(trace, "not_exact.png")))

# %% [markdown]
# ## "valid" and "same"
#
# Keras names the two usual choices: `padding="valid"` adds nothing (P=0, the map shrinks by
# F - 1), `padding="same"` adds just enough zeros that, at stride 1, the map keeps the input's
# size (P = (F - 1)/2 for an odd F; at stride S the size becomes N/S rounded up). The slide
# *"Color images"* uses S=2, P=1 and F=3: on a 32x32 colour image with 8 filters,
# (32 + 2 - 3)/2 + 1 = 16.5, so 16x16x8.

# %%
model = models.Sequential([
    layers.Input((32, 32, 3)),
    layers.Conv2D(8, 3, padding="valid", name="valid_3x3"),            # 32 - 3 + 1 = 30
    layers.Conv2D(8, 3, padding="same", name="same_3x3"),              # stays 30
    layers.Conv2D(8, 3, strides=2, padding="same", name="same_3x3_s2"),  # 30 / 2 = 15
])  # fmt: skip
model.summary()
explicit = convlens.layers.Conv2D(8, 3, strides=2, padding=1)  # the slide's P=1, an extension
print("S=2, P=1, F=3 on 32x32x3:", explicit(np.zeros((1, 32, 32, 3), "float32")).shape)

# %% [markdown]
# ## Stride on a photo
#
# A blur filter applied with stride 1, 2 and 4: each step of the stride halves the width and
# height of the result. Sizes follow the formula with "same" padding, N/S rounded up.

# %%
photo = images.load_image(images.sample_photo_path(), mode="L")
figure, axes = plt.subplots(1, 3, figsize=(15, 3.8))
for axis, stride in zip(axes, [1, 2, 4]):
    response = filters.apply_kernel(photo, "gaussian_blur_3x3", stride=stride)
    axis.imshow(response, cmap="gray", vmin=0, vmax=255)
    axis.set_title(f"stride {stride}: {response.shape[0]}x{response.shape[1]} pixels")
    axis.set_xticks([])
    axis.set_yticks([])
show(figure)
