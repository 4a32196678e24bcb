"""Issue 14, item 10: ``reset_weights(seed)`` then ``fit(seed=0)``, twice on one compiled model,
gives the losses of a freshly built model (the optimizer's state and the noise streams restart).
"""

import numpy as np
import pytest

from convlens import layers, models


def _model(dropout_seed=1):
    model = models.Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.Flatten(),
            layers.Dropout(0.3, seed=dropout_seed),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("dropout_seed", [1, None])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_reset_then_fit_twice_matches_a_fresh_model(optimizer, dropout_seed):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, 48)

    def losses(model):
        model.reset_weights(7)
        return model.fit(x, y, epochs=2, batch_size=16, seed=0, verbose=0).history["loss"]

    fresh = _model(dropout_seed)
    fresh.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    oracle = losses(fresh)  # a new model and optimizer: nothing carried over
    reused = _model(dropout_seed)
    reused.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    first, second = losses(reused), losses(reused)
    assert first == oracle and second == oracle
    assert reused.optimizer.iterations == 6  # 3 steps x 2 epochs, counted from 0 again
