"""The lecture's networks, ready to build: LeNet-5 for MNIST and a small colour CNN for CIFAR-10."""

from __future__ import annotations

from .. import layers, models


def lenet5(input_shape=(28, 28, 1), classes: int = 10, activation: str = "relu"):
    """LeNet-5 as the lecture writes it in Keras: 61,706 parameters for 28×28×1 and 10 classes.

    Conv2D 6@5×5 same → MaxPooling2D → Conv2D 16@5×5 → MaxPooling2D → Flatten → Dense 120 →
    Dense 84 → Dense ``classes`` softmax.

    Example:
        >>> lenet5().count_params()
        61706
    """
    return models.Sequential(
        [
            layers.Input(input_shape),
            layers.Conv2D(6, 5, padding="same", activation=activation),
            layers.MaxPooling2D(),
            layers.Conv2D(16, 5, activation=activation),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(120, activation=activation),
            layers.Dense(84, activation=activation),
            layers.Dense(classes, activation="softmax"),
        ],
        name="lenet5",
    )


def colour_cnn(input_shape=(32, 32, 3), classes: int = 10):
    """The lecture's colour-image CNN: two blocks of two 3×3 same convolutions (32, then 64
    filters) each followed by 2×2 max pooling, then Dense 256 and the softmax classifier."""
    return models.Sequential(
        [
            layers.Input(input_shape),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(classes, activation="softmax"),
        ],
        name="colour_cnn",
    )


MODELS = {"lenet5": lenet5, "colour_cnn": colour_cnn}
