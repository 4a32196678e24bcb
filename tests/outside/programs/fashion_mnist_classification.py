# Adapted from: TensorFlow tutorials, "Basic classification: Classify images of clothing"
# (Keras, Fashion-MNIST).
# Changed in: the imports (`import tensorflow as tf` ... `tf.keras.X` becomes
# `import convlens as keras` ... `keras.X`), the data size (1,000 training and 200 test
# images, 2 epochs instead of 60,000 / 10,000 and 10) and offline data; the tutorial's
# matplotlib figures are left out (no library calls in them).
"""
Basic classification: Classify images of clothing
"""

import numpy as np

import convlens as keras

print(keras.__version__)

# Import the Fashion MNIST dataset
fashion_mnist = keras.datasets.fashion_mnist

(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
train_images, train_labels = train_images[:1000], train_labels[:1000]  # data size: adapted
test_images, test_labels = test_images[:200], test_labels[:200]  # data size: adapted

class_names = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

# Explore the data
print(train_images.shape)
print(len(train_labels))
print(train_labels)
print(test_images.shape)
print(len(test_labels))

# Preprocess the data
train_images = train_images / 255.0

test_images = test_images / 255.0

# Build the model: set up the layers
model = keras.Sequential(
    [
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ]
)

# Compile the model
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

# Train the model: feed the model
model.fit(train_images, train_labels, epochs=2)  # 10 in the tutorial

# Evaluate accuracy
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)

print("\nTest accuracy:", test_acc)

# Make predictions
probability_model = keras.Sequential([model, keras.layers.Softmax()])

predictions = probability_model.predict(test_images)

print(predictions[0])
print(np.argmax(predictions[0]))
print(test_labels[0])

# Use the trained model
# Grab an image from the test dataset.
img = test_images[1]

print(img.shape)

# Add the image to a batch where it's the only member.
img = np.expand_dims(img, 0)

print(img.shape)

predictions_single = probability_model.predict(img)

print(predictions_single)

print(np.argmax(predictions_single[0]))
print(class_names[np.argmax(predictions_single[0])])
