# %% [markdown]
# # 1. The convolution operator, by hand and on a photo
#
# Slides *"The Convolution Operator"* and *"Exercise: Create a horizontal edge detector"*.
# A convolution slides a small grid of weights, the **kernel**, over the image; at every position
# it multiplies the pixels under the kernel by the kernel's weights and adds the products up.
# The sums, in order, form a new image: the **feature map**.
#
# We do it by hand first (the slides' 4x4 example and the 9x9 X), then with the lecture's
# kernel bank on a photo, and finish with the exercise.
# %% shared: setup

# %%
import matplotlib.pyplot as plt
import numpy as np

from convlens import explain, filters, images, ops
from convlens.lecture import xo
# %% shared: show

# %% [markdown]
# ## The slides' 4x4 example
#
# The image is 4x4 and the kernel 2x2. Put the kernel on the top-left 2x2 window
# `[[5, 2], [6, 7]]`, multiply cell by cell and add: `5*1 + 2*0 + 6*1 + 7*(-1) = 4`,
# the first number of the slide's output.

# %%
image = np.array([[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]], dtype=float)
kernel = np.array([[1, 0], [1, -1]], dtype=float)

window = image[0:2, 0:2]
print("window:\n", window)
print("window * kernel:\n", window * kernel)
print("sum:", (window * kernel).sum())

# %% [markdown]
# Now every window, moving one pixel right, then one row down. With a 4x4 image and a 2x2
# kernel there are 3 positions per row and 3 per column, so the output is 3x3.

# %%
rows = image.shape[0] - kernel.shape[0] + 1
cols = image.shape[1] - kernel.shape[1] + 1
by_hand = np.zeros((rows, cols))
for i in range(rows):
    for j in range(cols):
        by_hand[i, j] = (image[i : i + 2, j : j + 2] * kernel).sum()
print(by_hand)

# %% [markdown]
# The library's convolution gives the same numbers. (Like every deep-learning framework and the
# lecture, it does not flip the kernel: mathematicians call this cross-correlation.)
# `ops.conv2d` works on batches of images with channels, shape (N, H, W, C), and kernels of
# shape (KH, KW, C_in, C_out), so we add those axes and take them off again.

# %%
library = ops.conv2d(image[None, :, :, None], kernel[:, :, None, None]).numpy()[0, :, :, 0]
print(library)
print("same as by hand:", np.allclose(library, by_hand))

# %% [markdown]
# `convlens.explain` works the same example step by step, as the slides animate it: the window,
# the products, and the output filling up. Here are the first step and the last.

# %%
trace = explain.explain_conv(image, kernel)
print("\n".join(explain.format_text(trace).splitlines()[:21]))  # the size and the first steps
for step in (0, len(trace.steps) - 1):
    display(Image(explain.render_png(trace, f"conv_step_{step}.png", step=step)))

# %% [markdown]
# ## The 9x9 example: how well does a pattern match?
#
# The toy network of part 2 looks for a diagonal stroke in a 9x9 picture of an X (pixels are +1
# for ink, -1 for background). The slide *"Filtering: the idea that started everything"*
# divides the sum by the number of kernel pixels, so a perfect match gives 1:

# %%
X = xo.X_IMAGE
diagonal = xo.FEATURES["diagonal"]
print("feature:\n", diagonal)
print("window at the top-left of the X's stroke:\n", X[1:4, 1:4])
print("match:", (X[1:4, 1:4] * diagonal).sum() / 9)

# %% [markdown]
# Sliding the feature over every 3x3 window gives a 7x7 map that is bright (near 1) where the
# diagonal stroke is and low elsewhere: *"a map that tells us where in the image the pattern
# appears"*.

# %%
feature_map = xo.filter_image(X, diagonal)
print("\n".join(xo.format_map(feature_map)))

figure, axes = plt.subplots(1, 3, figsize=(10, 3.4))
axes[0].imshow(X, cmap="gray_r", vmin=-1, vmax=1)
axes[0].set_title("image (9x9)")
axes[1].imshow(diagonal, cmap="gray_r", vmin=-1, vmax=1)
axes[1].set_title("feature (3x3)")
shown = axes[2].imshow(feature_map, cmap="RdBu_r", vmin=-1, vmax=1)
axes[2].set_title("feature map (7x7)")
figure.colorbar(shown, ax=axes[2], fraction=0.046)
for axis in axes:
    axis.set_xticks([])
    axis.set_yticks([])
show(figure)

# %% [markdown]
# ## The kernel bank on a photo
#
# The slide's table lists kernels that image editors use: the identity, three edge detectors,
# sharpen, box and Gaussian blurs, unsharp masking. Each is a small grid of numbers:

# %%
print(filters.describe())

# %% [markdown]
# We apply each to a photo in grey levels. Kernels whose weights add up to 1 (blurs, sharpen)
# keep the brightness, so their result is shown in grey levels as is (clipped to 0..255). Edge
# detectors add up to 0: flat regions give 0, and an edge gives a positive value on one side and
# a negative one on the other. We draw those signed results in red (positive) and blue
# (negative) around white zero, with a colour bar of the raw values. In Colab you can upload the
# lecture's `boardwalk.jpg` and set `PHOTO = "boardwalk.jpg"`.

# %%
PHOTO = None  # a path to your own photo, or None for the photo bundled with convlens
photo = images.load_image(PHOTO or images.sample_photo_path(), mode="L")
print("photo:", photo.shape, photo.dtype)
print(filters.describe_border())

names = ["identity", "edge_detection_1", "edge_detection_2", "edge_detection_3", "sharpen",
         "box_blur", "gaussian_blur_3x3", "gaussian_blur_5x5", "unsharp_masking_5x5"]  # fmt: skip
responses = {name: filters.apply_kernel(photo, name) for name in names}


def draw(axis, name, response):
    """Brightness-keeping kernels in grey levels, edge detectors signed around zero."""
    if filters.recommended_display(name) == "clip":
        axis.imshow(filters.to_displayable(response, "clip"), cmap="gray", vmin=0, vmax=255)
    else:
        limit = np.percentile(np.abs(response), 99.5)  # a few extreme pixels would wash it out
        shown = axis.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axis.figure.colorbar(shown, ax=axis, fraction=0.03, pad=0.02)
    axis.set_title(f"{name}  (raw {response.min():.0f} to {response.max():.0f})", fontsize=10)
    axis.axis("off")


figure, axes = plt.subplots(3, 3, figsize=(16, 11))
for axis, name in zip(axes.flat, names):
    draw(axis, name, responses[name])
figure.suptitle("The lecture's kernels on a photo", fontsize=14)
show(figure)

# %% [markdown]
# At this size the blurs and sharpen look much like the photo: they change a pixel by mixing it
# with its neighbours, which shows up close. Here is a 60x60 crop around the eye, enlarged:

# %%
row, col = np.unravel_index(np.abs(responses["edge_detection_3"]).argmax(), photo.shape)
top = int(np.clip(row - 30, 0, photo.shape[0] - 60))
left = int(np.clip(col - 30, 0, photo.shape[1] - 60))
crop = (slice(top, top + 60), slice(left, left + 60))
figure, axes = plt.subplots(1, 4, figsize=(16, 4.4))
for axis, name in zip(axes, ["identity", "box_blur", "gaussian_blur_5x5", "sharpen"]):
    draw(axis, name, responses[name][crop])
    axis.set_title(name, fontsize=11)
figure.suptitle(f"crop rows {top}-{top + 59}, columns {left}-{left + 59}", fontsize=12)
show(figure)

# %% [markdown]
# **The border.** Near the frame the kernel reads pixels outside the photo. The lecture pads with
# zeros (part 3), which puts a black frame around the picture, and edge detectors light that
# frame up as if it were an edge of the photo. Image tools mirror the photo at its edges instead
# (reflect padding, the default of `apply_kernel` for photos). Here is the strength of the
# response (its absolute value) with each border:

# %%
strengths = {
    mode: np.abs(filters.apply_kernel(photo, "edge_detection_3", padding_mode=mode))
    for mode in ["zeros", "reflect"]
}
top = np.percentile(strengths["reflect"], 99.5)  # one colour scale for the four panels
corner = (slice(-40, None), slice(-40, None))  # the bottom-right 40x40 pixels, enlarged
figure, axes = plt.subplots(2, 2, figsize=(13, 10), gridspec_kw={"height_ratios": [1, 1.3]})
for column, (mode, strength) in enumerate(strengths.items()):
    for row, (part, where) in enumerate([(strength, "whole photo"), (strength[corner], "corner")]):
        shown = axes[row, column].imshow(part, cmap="magma", vmin=0, vmax=top)
        axes[row, column].set_title(f"|edge_detection_3|, padding_mode={mode!r}: {where}")
        axes[row, column].axis("off")
figure.colorbar(shown, ax=axes, fraction=0.02, pad=0.02)
show(figure)

# %% [markdown]
# With zeros, the last row and column of the corner glow: an edge between the photo and the
# black frame, not in the photo. With reflection they look like their neighbours.

# %% [markdown]
# ## Exercise: create a horizontal edge detector
#
# The slides' edge detector `[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]` subtracts the column on the
# left from the column on the right: it answers to **vertical** edges. Write a 3x3 kernel that
# answers to **horizontal** edges (a change from one row to the next) and zero on flat regions.
# Put your answer in `my_kernel` and run the check; the answer follows.

# %%
my_kernel = None  # your answer, e.g. [[a, b, c], [d, e, f], [g, h, i]]

square = np.zeros((8, 8))
square[2:6, 2:6] = 1  # a bright square on a dark background


def check(kernel):
    """Horizontal edges answer, vertical edges and flat regions stay 0."""
    response = filters.apply_kernel(square, kernel, padding_mode="zeros")
    print(np.round(response).astype(int))
    horizontal = abs(response[1, 3]) > 0 and abs(response[6, 3]) > 0
    vertical = abs(response[3, 1]) < 1e-9 and abs(response[3, 6]) < 1e-9
    flat = abs(response[3, 3]) < 1e-9
    print("top and bottom edges answer:", horizontal)
    print("left and right edges silent:", vertical, "- flat middle silent:", flat)


if my_kernel is not None:
    check(my_kernel)

# %% [markdown]
# **One answer.** Subtract the row above from the row below: `[[-1, -1, -1], [0, 0, 0],
# [1, 1, 1]]` (Prewitt's kernel, `horizontal_edge` in `convlens.filters`). On the square it
# gives +3 on the top side (dark above, bright below), -3 on the bottom side, and 0 on the left
# and right sides and inside.

# %%
answer = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]])
check(answer)

# %% [markdown]
# On the photo, the horizontal detector finds the horizontal structures and the slides' vertical
# one the vertical structures. Signed responses are drawn in red (positive) and blue (negative)
# around white zero, with a colour bar.

# %%
vertical = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]])
figure, axes = plt.subplots(1, 3, figsize=(17, 4))
axes[0].imshow(photo, cmap="gray")
axes[0].set_title("photo")
detectors = [("horizontal edges", answer), ("vertical edges", vertical)]
for axis, (title, kern) in zip(axes[1:], detectors):
    response = filters.apply_kernel(photo, kern)
    limit = np.percentile(np.abs(response), 99.5)
    shown = axis.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axis.set_title(title)
    figure.colorbar(shown, ax=axis, fraction=0.035)
for axis in axes:
    axis.axis("off")
show(figure)
