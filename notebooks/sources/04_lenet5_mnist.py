# %% [markdown]
# # 4. LeNet-5 on MNIST, with callbacks and TensorBoard
#
# Slides *"CNNs in Keras"*, *"The architecture: Feature extractor / Classifier"* and
# *"Recap: Callbacks"*. LeNet-5 stacks two convolution + pooling blocks (the feature extractor)
# and three dense layers (the classifier). We train it on MNIST's handwritten digits (bundled
# with convlens, no download) with the recap's callbacks:
#
# - `EarlyStopping(patience=2)`: stop when the validation loss has not improved for 2 epochs;
# - `ModelCheckpoint("model.{epoch:02d}-{val_loss:.2f}.h5")`: save the model after each epoch;
# - `ReduceLROnPlateau`: divide the learning rate when the validation loss stalls;
# - `CSVLogger`: the numbers of every epoch in a file;
# - `TensorBoard(log_dir="./logs")`: curves, histograms and filters for TensorBoard.
# %% shared: setup

# %%
import glob

import matplotlib.pyplot as plt

from convlens import applications, callbacks, viz
from convlens.datasets import mnist
# %% shared: show

# %% [markdown]
# ## The data
#
# 60,000 training and 10,000 test images of 28x28 grey pixels. We scale pixels to 0..1 and add
# the channel axis: Conv2D expects (images, height, width, channels). The quick run (`SMALL`)
# uses the first 2,000 training images, 300 test images and one epoch.

# %%
(x_train, y_train), (x_test, y_test) = mnist.load_data()
TRAIN, TEST, EPOCHS = (2000, 300, 1) if SMALL else (len(x_train), len(x_test), 10)
x_train, y_train = x_train[:TRAIN, ..., None] / 255.0, y_train[:TRAIN]
x_test, y_test = x_test[:TEST, ..., None] / 255.0, y_test[:TEST]
print("training images", x_train.shape, "test images", x_test.shape)

figure, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for axis, picture, label in zip(axes.flat, x_train, y_train):
    axis.imshow(picture[..., 0], cmap="gray_r")
    axis.set_title(str(label))
    axis.axis("off")
show(figure)

# %% [markdown]
# ## The model
#
# `model.summary()` gives each layer's output shape (the formula of part 3 at work: 28 -> 28
# with "same" padding, 14 after pooling, 14 - 5 + 1 = 10, 5 after pooling), its parameters,
# and its receptive field: how many input pixels one value of the layer sees.

# %%
model = applications.lenet5()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()

# %% [markdown]
# ## Training with callbacks
#
# The validation data is 10% of the *training* images (`validation_split=0.1`): the callbacks
# watch it to decide when to stop or slow down. The test images stay unseen until the very end.
# `verbose=1` draws a progress bar per epoch.

# %%
os.makedirs("checkpoints", exist_ok=True)
my_callbacks = [
    callbacks.EarlyStopping(patience=2, restore_best_weights=True),
    callbacks.ModelCheckpoint(filepath="checkpoints/model.{epoch:02d}-{val_loss:.2f}.h5"),
    callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
    callbacks.CSVLogger("training_log.csv"),
    callbacks.TensorBoard(log_dir="./logs"),
]
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=128, validation_split=0.1,
                    callbacks=my_callbacks, seed=0, verbose=1)  # fmt: skip

# %% [markdown]
# What the callbacks left behind: one checkpoint per epoch, named after its epoch and
# validation loss, the CSV log, and TensorBoard's event files.

# %%
print("checkpoints:", sorted(os.listdir("checkpoints")))
print(open("training_log.csv").read())
print("TensorBoard files:", sorted(glob.glob("logs/*/*"))[:4])

# %% [markdown]
# ## Curves
#
# Training and validation loss and accuracy per epoch. When the validation loss turns up while
# the training loss keeps going down, the network is learning the training images by heart:
# that is when EarlyStopping steps in.

# %%
display(Image(viz.training_curves(history, "curves.png")))

# %% [markdown]
# ## Testing, once
#
# The test set gives the accuracy to report.

# %%
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {accuracy:.4f} (test loss {loss:.4f}, {len(x_test)} images)")
predictions = model.predict(x_test, verbose=0)
display(Image(viz.confusion_matrix(y_test, predictions, "confusion.png")))

# %% [markdown]
# ## What the first layer sees
#
# The six 5x5 filters of the first convolution (red: positive weights, blue: negative), and the
# six feature maps they make of a test digit after the ReLU (bright: strong response). After a
# short training the filters still look noisy; after the full training they show oriented
# strokes, and each map lights up the parts of the digit that match its filter.

# %%
display(Image(viz.conv_filters(model.layers[0], "filters.png"), width=520))
display(Image(viz.feature_maps(model, 0, x_test[0], "feature_maps.png"), width=520))

# %% [markdown]
# ## TensorBoard
#
# In Jupyter or Colab, TensorBoard runs inside the notebook: the next cell does what
# `%load_ext tensorboard` and `%tensorboard --logdir logs` do (it needs the `tensorboard`
# package: `pip install tensorboard`). From a terminal: `tensorboard --logdir logs`. The quick
# run used by the tests skips it, since it starts a server.

# %%
if SMALL:
    print("Skipped in the quick run; run `tensorboard --logdir logs` to see the curves.")
else:
    try:
        get_ipython().run_line_magic("load_ext", "tensorboard")
        get_ipython().run_line_magic("tensorboard", "--logdir logs")
    except ImportError:
        print("TensorBoard is not installed: pip install tensorboard")
