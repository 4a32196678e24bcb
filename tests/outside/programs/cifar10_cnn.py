# Adapted from: TensorFlow tutorials, "Convolutional Neural Network (CNN)" (CIFAR-10).
# Changed in: the imports (`from tensorflow.keras import datasets, layers, models` and
# `tf.keras.losses` become `from convlens import ...`); offline data: the tutorial's
# `datasets.cifar10.load_data()` downloads 60,000 images, here the 20 real CIFAR-10 test images
# kept offline are read with `utils.load_img` / `utils.img_to_array` (16 to train, 4 to test,
# labels from the file names), 2 epochs instead of 10; the matplotlib figures are left out.
"""
Convolutional Neural Network (CNN)
"""

import os

import numpy as np

from convlens import layers, losses, models, utils

# Download and prepare the CIFAR10 dataset (here: read the offline sample)
folder = os.path.join(os.environ["OUTSIDE_DATA"], "cifar10-sample")
names = sorted(name for name in os.listdir(folder) if name.endswith(".png"))
images = np.stack([utils.img_to_array(utils.load_img(os.path.join(folder, n))) for n in names])
labels = np.array([[int(n[-5])] for n in names], dtype="uint8")
(train_images, train_labels), (test_images, test_labels) = (
    (images[:16].astype("uint8"), labels[:16]),
    (images[16:].astype("uint8"), labels[16:]),
)

# Normalize pixel values to be between 0 and 1
train_images, test_images = train_images / 255.0, test_images / 255.0

class_names = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
print([class_names[label[0]] for label in train_labels])

# Create the convolutional base
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation="relu"))

# Let's display the architecture of your model so far:
model.summary()

# Add Dense layers on top
model.add(layers.Flatten())
model.add(layers.Dense(64, activation="relu"))
model.add(layers.Dense(10))

# Here's the complete architecture of your model:
model.summary()

# Compile and train the model
model.compile(
    optimizer="adam",
    loss=losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

history = model.fit(
    train_images, train_labels, epochs=2, validation_data=(test_images, test_labels)
)

# Evaluate the model (the tutorial plots these two curves)
print(history.history["accuracy"], history.history["val_accuracy"])

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)

print(test_acc)
