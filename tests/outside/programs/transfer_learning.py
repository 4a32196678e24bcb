# Adapted from: keras.io guides, "Transfer learning & fine-tuning" (fchollet), Keras 3 version.
# Changed in: the import lines (convlens for keras); the pre-trained Xception (an ImageNet
# weight download) is replaced by a small convnet with BatchNormalization trained first here on
# 1,000 MNIST digits, and the guide's cats-vs-dogs dataset (tensorflow_datasets) by a new task
# on 600 Fashion-MNIST images as NumPy arrays: footwear or not (the guide's task is binary too).
# Data augmentation is applied inside the model, since tf.data is not available on every backend.
# Epochs: 1 where the guide has 2 or 10-20.
"""
Title: Transfer learning & fine-tuning
"""

import numpy as np

import convlens as keras
from convlens import layers

# Freezing layers: understanding the trainable attribute
layer = keras.layers.Dense(3)
layer.build((None, 4))  # Create the weights

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))

layer = keras.layers.BatchNormalization()
layer.build((None, 4))  # Create the weights

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))

layer = keras.layers.Dense(3)
layer.build((None, 4))  # Create the weights
layer.trainable = False  # Freeze the layer

print("weights:", len(layer.weights))
print("trainable_weights:", len(layer.trainable_weights))
print("non_trainable_weights:", len(layer.non_trainable_weights))

# Make a model with 2 layers
layer1 = keras.layers.Dense(3, activation="relu")
layer2 = keras.layers.Dense(3, activation="sigmoid")
model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])

# Freeze the first layer
layer1.trainable = False

# Keep a copy of the weights of layer1 for later reference
initial_layer1_weights_values = layer1.get_weights()

# Train the model
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((2, 3)), np.random.random((2, 3)))

# Check that the weights of layer1 have not changed during training
final_layer1_weights_values = layer1.get_weights()
np.testing.assert_allclose(initial_layer1_weights_values[0], final_layer1_weights_values[0])
np.testing.assert_allclose(initial_layer1_weights_values[1], final_layer1_weights_values[1])

# Recursive setting of the trainable attribute
inner_model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(3, activation="relu"),
    ]
)

model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        inner_model,
        keras.layers.Dense(3, activation="sigmoid"),
    ]
)

model.trainable = False  # Freeze the outer model

assert inner_model.trainable == False  # All layers in `model` are now frozen  # noqa: E712
assert inner_model.layers[0].trainable == False  # `trainable` is propagated  # noqa: E712

# The "pre-trained" base model (an ImageNet Xception in the guide): trained here on MNIST
(x_digits, y_digits), _ = keras.datasets.mnist.load_data()
x_digits, y_digits = x_digits[:1000, :, :, None], y_digits[:1000]

base_model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Rescaling(scale=1 / 127.5, offset=-1),
        layers.Conv2D(16, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.BatchNormalization(),
    ],
    name="base_model",
)
pretraining = keras.Sequential([base_model, layers.GlobalAveragePooling2D(), layers.Dense(10)])
pretraining.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
pretraining.fit(x_digits, y_digits, batch_size=64, epochs=1)

# The new dataset (cats vs. dogs in the guide): footwear or not, on Fashion-MNIST
(x_fashion, y_fashion), _ = keras.datasets.fashion_mnist.load_data()
x_fashion = x_fashion[:600, :, :, None].astype("float32")
y_fashion = np.isin(y_fashion[:600], [5, 7, 9]).astype("float32")[:, None]
x_new, y_new = x_fashion[:400], y_fashion[:400]
x_val, y_val = x_fashion[400:500], y_fashion[400:500]
x_test, y_test = x_fashion[500:], y_fashion[500:]

# Build a model: data augmentation, the frozen base model in inference mode, a new head
data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(x):
    for layer in data_augmentation_layers:
        x = layer(x)
    return x


base_model.trainable = False

inputs = keras.Input(shape=(28, 28, 1))
x = data_augmentation(inputs)

# The base model contains batchnorm layers. We want to keep them in inference mode
# when we unfreeze the base model for fine-tuning, so we make sure that the
# base_model is running in inference mode here.
x = base_model(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)  # Regularize with dropout
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)

model.summary(show_trainable=True)

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)

epochs = 1  # 2 in the guide
print("Fitting the top layer of the model")
model.fit(x_new, y_new, epochs=epochs, validation_data=(x_val, y_val))

# Do a round of fine-tuning of the entire model
base_model.trainable = True
model.summary(show_trainable=True)

model.compile(
    optimizer=keras.optimizers.Adam(1e-5),  # Low learning rate
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)

epochs = 1
print("Fitting the end-to-end model")
model.fit(x_new, y_new, epochs=epochs, validation_data=(x_val, y_val))

print("Test dataset evaluation")
model.evaluate(x_test, y_test)
