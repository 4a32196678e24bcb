# Adapted from: keras.io examples, "Visualizing what convnets learn" (fchollet), Keras 3 version
# (its feature extractor built with `get_layer(...).output` and its forward loss; the gradient
# ascent there is written with tf.GradientTape, a TensorFlow-only API, and is left out), and
# "Visualizing intermediate activations" from "Deep Learning with Python" (Chollet, 2nd ed.,
# chapter 9, the Keras notebook): a model returning every conv and pooling output, and the grid
# of all channels of each layer.
# Changed in: the import lines (convlens for keras); the ImageNet ResNet50V2 / cats-vs-dogs
# convnet is replaced by a small convnet trained here for 2 epochs on the 20 offline CIFAR-10
# images, which also give the input image; the figures are written to PNG files.
"""
Title: Visualizing what convnets learn / visualizing intermediate activations
"""

import os

import matplotlib.pyplot as plt
import numpy as np

import convlens as keras
from convlens import layers

# The images (cats and dogs / ImageNet in the originals; the offline CIFAR-10 sample here)
folder = os.path.join(os.environ["OUTSIDE_DATA"], "cifar10-sample")
names = sorted(name for name in os.listdir(folder) if name.endswith(".png"))


def get_img_array(img_path, target_size):
    img = keras.utils.load_img(img_path, target_size=target_size)
    array = keras.utils.img_to_array(img)
    array = np.expand_dims(array, axis=0)
    return array


images = np.concatenate([get_img_array(os.path.join(folder, n), (32, 32)) for n in names])
labels = np.array([int(n[-5]) for n in names])

# A small convnet (a cats-vs-dogs convnet trained from scratch in the book)
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Conv2D(filters=16, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
x = layers.MaxPooling2D(pool_size=2)(x)
x = layers.Conv2D(filters=32, kernel_size=3, activation="relu", name="conv3")(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
model.fit(images, labels, epochs=2, batch_size=8)
model.summary()

# Visualizing intermediate activations
img_tensor = images[:1]

layer_outputs = []
layer_names = []
for layer in model.layers:
    if isinstance(layer, (layers.Conv2D, layers.MaxPooling2D)):
        layer_outputs.append(layer.output)
        layer_names.append(layer.name)
activation_model = keras.Model(inputs=model.input, outputs=layer_outputs)

activations = activation_model.predict(img_tensor)

first_layer_activation = activations[0]
print(first_layer_activation.shape)

plt.matshow(first_layer_activation[0, :, :, 5], cmap="viridis")
plt.savefig("first_layer_channel_5.png")

images_per_row = 8
for layer_name, layer_activation in zip(layer_names, activations):
    n_features = layer_activation.shape[-1]
    size = layer_activation.shape[1]
    n_cols = n_features // images_per_row
    display_grid = np.zeros(((size + 1) * n_cols - 1, images_per_row * (size + 1) - 1))
    for col in range(n_cols):
        for row in range(images_per_row):
            channel_index = col * images_per_row + row
            channel_image = layer_activation[0, :, :, channel_index].copy()
            if channel_image.sum() != 0:
                channel_image -= channel_image.mean()
                channel_image /= channel_image.std()
                channel_image *= 64
                channel_image += 128
            channel_image = np.clip(channel_image, 0, 255).astype("uint8")
            display_grid[
                col * (size + 1) : (col + 1) * size + col,
                row * (size + 1) : (row + 1) * size + row,
            ] = channel_image
    scale = 1.0 / size
    plt.figure(figsize=(scale * display_grid.shape[1], scale * display_grid.shape[0]))
    plt.title(layer_name)
    plt.grid(False)
    plt.axis("off")
    plt.imshow(display_grid, aspect="auto", cmap="viridis")
    plt.savefig(f"activations_{layer_name}.png")
    plt.close("all")

# Visualizing what convnets learn: set up a feature extraction model
# The dimensions of our input image
img_width = 32
img_height = 32
# Our target layer: we will visualize the filters from this layer.
layer_name = "conv3"

# Set up a model that returns the activation values for our target layer
layer = model.get_layer(name=layer_name)
feature_extractor = keras.Model(inputs=model.inputs, outputs=layer.output)


def compute_loss(input_image, filter_index):
    activation = feature_extractor(input_image)
    # We avoid border artifacts by only involving non-border pixels in the loss.
    filter_activation = activation[:, 2:-2, 2:-2, filter_index]
    return keras.ops.mean(filter_activation)


def initialize_image():
    # We start from a gray image with some random noise
    img = np.random.random((1, img_width, img_height, 3)).astype("float32")
    # ResNet50V2 expects inputs in the range [-1, +1]; our model rescales [0, 255] itself.
    return img * 255.0


for filter_index in range(4):
    loss = compute_loss(initialize_image(), filter_index)
    print(f"filter {filter_index}: mean activation {float(keras.ops.convert_to_numpy(loss)):.4f}")


def deprocess_image(img):
    # Normalize array: center on 0., ensure variance is 0.15
    img -= img.mean()
    img /= img.std() + 1e-5
    img *= 0.15

    # Center crop
    img = img[2:-2, 2:-2, :]

    # Clip to [0, 1]
    img += 0.5
    img = np.clip(img, 0, 1)

    # Convert to RGB array
    img *= 255
    img = np.clip(img, 0, 255).astype("uint8")
    return img


img = deprocess_image(initialize_image()[0])
keras.utils.save_img("0.png", img)
