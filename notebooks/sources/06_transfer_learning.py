# %% [markdown]
# # 6. Transfer learning: digits help with clothes
#
# Outline item 7, *"Transfer Learning"*. The first layers of a CNN learn general patterns
# (edges, strokes, corners) that are useful beyond the task they were trained on. Transfer
# learning reuses them: train a network on a task with plenty of labelled data, keep its
# convolutional base, and put a new classifier head on it for a task with few labels.
#
# Here the base learns MNIST's digits; the new task is Fashion-MNIST (28x28 pictures of
# clothes, ten classes) with only a few labelled images. Keras's two phases
# (`convlens.lecture.transfer`):
#
# 1. **Feature extraction**: the base is frozen (`base.trainable = False`), only the head learns;
# 2. **Fine-tuning**: the top block of the base is unfrozen and everything trains again at a
#    learning rate ten times lower, so the pretrained filters move a little, not far.
#
# The baseline is the same network trained from scratch on the same images for as many epochs.
# %% shared: setup

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown

from convlens import viz
from convlens.datasets import fashion_mnist, mnist
from convlens.lecture import transfer
# %% shared: show

# %% [markdown]
# ## The data
#
# MNIST is bundled with convlens. Fashion-MNIST is read from `FASHION_DIR` when you set it (a
# folder with its four `.gz` files), otherwise from `$CONVLENS_DATA/fashion-mnist` or the cache
# `~/.cache/convlens/fashion-mnist`, where it is downloaded (30 MB) the first time.

# %%
FASHION_DIR = None  # e.g. "../shared/datasets/fashion-mnist"
if SMALL:  # a quick run: few images, one seed, one epoch per phase
    MNIST_IMAGES, TEST_IMAGES, LABELLED, SEEDS, EPOCHS, BASE_EPOCHS = 600, 300, [100], [0], (1, 1), 1
else:  # the lecture's experiment (several minutes): 100 and 1,000 labelled clothes, 3 seeds
    MNIST_IMAGES, TEST_IMAGES, LABELLED, SEEDS, EPOCHS, BASE_EPOCHS = (
        None, None, [100, 1000], [0, 1, 2], (10, 5), 2
    )

(x_digits, y_digits), _ = mnist.load_data()
(x_clothes, y_clothes), (x_test, y_test) = fashion_mnist.load_data(path=FASHION_DIR)
x_digits, y_digits = x_digits[:MNIST_IMAGES, ..., None] / 255.0, y_digits[:MNIST_IMAGES]
x_clothes = x_clothes[..., None] / 255.0
x_test, y_test = x_test[:TEST_IMAGES, ..., None] / 255.0, y_test[:TEST_IMAGES]
print(f"{len(x_digits)} digits to pretrain on; clothes: {len(x_clothes)} to draw the labelled "
      f"ones from, {len(x_test)} to test")  # fmt: skip

figure, axes = plt.subplots(2, 8, figsize=(13, 3.8))
for axis, picture, label in zip(axes[0], x_digits, y_digits):
    axis.imshow(picture[..., 0], cmap="gray_r")
    axis.set_title(str(label))
for axis, picture, label in zip(axes[1], x_clothes, y_clothes):
    axis.imshow(picture[..., 0], cmap="gray_r")
    axis.set_title(fashion_mnist.CLASS_NAMES[label], fontsize=9)
for axis in axes.flat:
    axis.axis("off")
figure.suptitle("the task with many labels (digits) and the new task (clothes)")
show(figure)

# %% [markdown]
# ## Pretraining on digits
#
# The base: three blocks of 3x3 convolution, batch normalisation, ReLU and 2x2 max pooling.

# %%
base = transfer.pretrain(x_digits, y_digits, epochs=BASE_EPOCHS)
base.summary()
base.save("mnist_base.keras")
display(Image(viz.conv_filters(base.get_layer("block1_conv"), "base_filters.png"), width=560))

# %% [markdown]
# ## Transfer against training from scratch
#
# For each seed, a class-balanced draw of labelled clothes; the pretrained base is transferred
# (head first, then fine-tuning), and the same network is trained from random weights on the
# same images; both are tested on the same test clothes.

# %%
results = {}
for count in LABELLED:
    trials = transfer.compare(base, (x_clothes, y_clothes), (x_test, y_test), count, SEEDS, EPOCHS)
    results[count] = trials
    display(Markdown(f"**{count} labelled images**\n\n" + transfer.table(trials)))

# %%
figure, axis = plt.subplots(figsize=(7, 4.2))
width = 0.35
positions = np.arange(len(results))
for offset, (label, key) in enumerate([("transfer", "transfer_accuracy"),
                                       ("from scratch", "scratch_accuracy")]):  # fmt: skip
    means = [np.mean([getattr(t, key) for t in trials]) for trials in results.values()]
    bars = axis.bar(positions + (offset - 0.5) * width, means, width, label=label)
    axis.bar_label(bars, fmt="%.3f")
axis.set_xticks(positions, [f"{count} labelled clothes" for count in results])
axis.set_ylabel(f"test accuracy (mean of {len(SEEDS)} seed(s))")
axis.set_ylim(0, 1)
axis.set_xlim(-0.8, len(results) - 0.2)
axis.legend()
show(figure)

# %% [markdown]
# With few labelled images, the network that starts from the digits' filters is clearly ahead;
# as the labelled set grows, training from scratch catches up. (One full run: 0.63 against 0.20
# with 100 images, 0.79 against 0.77 with 1,000, means of 3 seeds. Part of the gap at 100 images
# is batch normalisation: 100 images make too few steps for the from-scratch network's moving
# statistics to settle, while the pretrained base brings settled ones.) In the quick run (one
# epoch per phase) the numbers are only a smoke test.
