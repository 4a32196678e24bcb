# %% [markdown]
# # 2. A toy ConvNet: is it an X or an O?
#
# Slides *"How do CNNs really work?"*. The input is a 9x9 black-and-white picture (+1 ink,
# -1 background) and the answer is one of two classes, X or O. The network, built by hand:
#
# 1. **Filtering** with three 3x3 features (a diagonal, a small X, an anti-diagonal): one
#    feature map each;
# 2. **ReLU**: negative values become 0;
# 3. **Pooling**: 2x2 max pooling shrinks each map from 7x7 to 4x4;
# 4. **Flatten and vote**: every value of the stack votes for X or for O.
#
# Then the same network learns its own features by backpropagation (*"Training"*).
# %% shared: setup

# %%
import matplotlib.pyplot as plt
import numpy as np

from convlens.lecture import xo, xo_images
# %% shared: show


def draw_grids(grids, titles, suptitle="", signed=False):
    """Small grids of numbers side by side; signed values in red/blue around white zero.
    The numbers are cut to two decimals, as the slides print them (7/9 is 0.77)."""
    size = max(2.6, 0.6 * grids[0].shape[1])
    figure, axes = plt.subplots(1, len(grids), figsize=(size * len(grids), size + 0.6))
    for axis, grid, title in zip(np.atleast_1d(axes), grids, titles):
        shown = axis.imshow(grid, cmap="RdBu_r" if signed else "gray_r", vmin=-1, vmax=1)
        for (i, j), value in np.ndenumerate(xo.truncate(grid)):
            dark = abs(value) > 0.6 if signed else value > 0
            axis.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=9,
                      color="white" if dark else "black")  # fmt: skip
        axis.set_title(title, fontsize=11)
        axis.set_xticks([])
        axis.set_yticks([])
    if signed:
        figure.colorbar(shown, ax=axes, fraction=0.02, pad=0.02)
    figure.suptitle(suptitle, fontsize=12)
    show(figure)


# %% [markdown]
# ## The images and the features
#
# An X, an O, and a distorted X (shifted and drawn differently: the *"trickier cases"*, which a
# pixel-by-pixel comparison with the ideal X gets wrong). Below them, the three features.

# %%
pictures = {"X": xo_images.X_IMAGE, "O": xo_images.O_IMAGE, "distorted X": xo_images.DISTORTED_X}
figure, axes = plt.subplots(1, 3, figsize=(9, 3.3))
for axis, (name, picture) in zip(axes, pictures.items()):
    axis.imshow(picture, cmap="gray_r", vmin=-1, vmax=1)
    axis.set_title(f"{name} ({picture.shape[0]}x{picture.shape[1]})")
    axis.set_xticks([])
    axis.set_yticks([])
show(figure)
draw_grids(list(xo_images.FEATURES.values()), list(xo_images.FEATURES), "the three features")

# %% [markdown]
# ## Filtering: three feature maps
#
# Each feature slides over the 9x9 image (part 1): multiply, add, divide by 9. A 9x9 image and a
# 3x3 feature give a 7x7 map, with 1.00 where the feature matches exactly. The slides print the
# first map as:

# %%
maps = xo.feature_maps(xo_images.X_IMAGE)
print("\n".join(xo.format_map(maps["diagonal"])))
draw_grids(list(maps.values()), list(maps), "feature maps of the X (before ReLU)", signed=True)

# %% [markdown]
# ## ReLU and pooling
#
# ReLU keeps the positive values and sets the others to 0. Max pooling with a 2x2 window and
# stride 2 keeps the largest value of each window; the last row and column of the 7x7 map get a
# window of their own (padding "same"), so the map becomes 4x4. The strong matches survive,
# shifted by at most a pixel: that is what makes the network tolerant to small shifts.

# %%
relu = {name: np.maximum(m, 0) for name, m in maps.items()}
pooled = {name: xo.pool(m) for name, m in relu.items()}
draw_grids(list(relu.values()), [f"ReLU({n})" for n in relu], "after ReLU", signed=True)
draw_grids(list(pooled.values()), [f"pool({n})" for n in pooled], "after 2x2 max pooling",
           signed=True)  # fmt: skip
stack = xo.image_stack(xo_images.X_IMAGE)
print("the stack of pooled maps:", stack.shape, "-> flattened:", stack.size, "values")

# %% [markdown]
# ## The vote
#
# The fully connected layer: each of the 48 values votes for X and for O with a weight. Here the
# weights are made by hand from the ideal X and O (`xo.vote_weights`): a value that is high for
# the ideal X votes X. The class with the higher score wins, and the distorted X is still an X.

# %%
for name, picture in pictures.items():
    scores = xo.vote(picture)
    print(f"{name:>12s}: score X {scores['X']:6.2f}, score O {scores['O']:6.2f}"
          f" -> {xo.classify(picture)}")  # fmt: skip

# %% [markdown]
# ## Training: the network learns its own features
#
# The same network in Keras's terms, `Conv2D(3, 3) -> ReLU -> MaxPooling2D -> Flatten ->
# Dense(2, softmax)`, starts from random weights and learns from generated X's and O's
# (shifted, rotated, scaled, thicker or thinner). Some examples:

# %%
x_examples, y_examples = xo_images.make_dataset(12, seed=0)
figure, axes = plt.subplots(2, 6, figsize=(12, 4.4))
for axis, picture, label in zip(axes.flat, x_examples, y_examples):
    axis.imshow(picture.squeeze(), cmap="gray_r", vmin=-1, vmax=1)
    axis.set_title(xo_images.CLASS_NAMES[int(label)])
    axis.axis("off")
show(figure)

# %%
settings = dict(epochs=3, train_size=300, test_size=300) if SMALL else dict(epochs=15)
result = xo.train_xo(seed=0, **settings)
print(f"trained on {result.train_size} images for {result.epochs} epochs "
      f"in {result.seconds:.1f} s")  # fmt: skip
print(f"test accuracy {result.accuracy:.4f} on {result.test_size} other images")

# %% [markdown]
# Are the learned filters like the hand-made features? For each learned filter, the feature it
# is most similar to (cosine similarity: 1 is the same pattern, -1 its negative, which detects
# the same pattern with the opposite sign).

# %%
kernel = result.model.layers[0].get_weights()[0]  # (3, 3, 1, 3)
for match in result.matches:
    print(f"filter {match.filter}: most like {match.feature!r} (cosine {match.cosine:+.2f})")
learned = [kernel[:, :, 0, i] / np.abs(kernel[:, :, 0, i]).max() for i in range(3)]
draw_grids(learned, [f"learned filter {i}" for i in range(3)],
           "learned filters (each scaled to a largest value of 1)", signed=True)  # fmt: skip

# %% [markdown]
# The cosines are well below 1: the learned filters are not copies of the hand-made features.
# Backpropagation only looks for filters that, through ReLU, pooling and the vote, tell X from O
# on the training images; the lecture's three features are one such set, not the only one. The
# test accuracy on images the network never saw is what says whether the learned set works.
