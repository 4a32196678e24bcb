"""Sequential and functional models: summary, weights, compile/fit/evaluate/predict."""

import io

import numpy as np
import pytest

import convlens as cl
from convlens import callbacks, layers, models


def lenet5():
    """The lecture's LeNet-5, in the lecture's Keras style."""
    return models.Sequential(
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


def summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_lenet5_summary_reports_61706_parameters_and_every_output_shape():
    model = lenet5()
    text = summary_text(model)
    assert "Total params: 61,706" in text
    assert "Trainable params: 61,706" in text and "Non-trainable params: 0" in text
    expected = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
    assert [layer.output_shape for layer in model.layers] == [(None,) + s for s in expected]
    for shape in expected:
        assert "(None, " + ", ".join(map(str, shape)) in text


def test_summary_shows_the_padding_applied_and_the_receptive_field():
    text = summary_text(lenet5())
    conv1, pool1, conv2, pool2 = [line for line in text.splitlines() if " pad " in line]
    assert "pad 2,2,2,2 · RF 5x5" in conv1  # "same" with F=5 pads 2 on every side
    assert "pad 0,0,0,0 · RF 6x6" in pool1  # 5 + (2-1)·1
    assert "pad 0,0,0,0 · RF 14x14" in conv2  # 6 + (5-1)·2
    assert "RF 16x16" in pool2  # 14 + (2-1)·2


@pytest.mark.parametrize(
    "build, count",
    [
        # Conv2D: (F·F·C_in + 1)·filters; Dense: (in + 1)·units; BatchNorm: 4·C (2·C trainable).
        (
            lambda: [layers.Input((32, 32, 3)), layers.Conv2D(32, 3, padding="same")],
            (3 * 3 * 3 + 1) * 32,
        ),
        (
            lambda: [layers.Input((8, 8, 4)), layers.Conv2D(8, 3, groups=2, use_bias=False)],
            3 * 3 * 2 * 8,
        ),
        (
            lambda: [layers.Input((8, 8, 4)), layers.DepthwiseConv2D(3, depth_multiplier=2)],
            3 * 3 * 4 * 2 + 8,
        ),
        (lambda: [layers.Input((8, 8, 4)), layers.SeparableConv2D(5, 3)], 3 * 3 * 4 + 4 * 5 + 5),
        (lambda: [layers.Input((8, 8, 4)), layers.BatchNormalization()], 4 * 4),
        (lambda: [layers.Input((10,)), layers.Dense(7)], (10 + 1) * 7),
    ],
)
def test_parameter_counts_follow_the_formulas(build, count):
    assert models.Sequential(build()).count_params() == count


def test_functional_model_with_a_residual_branch():
    inputs = layers.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = layers.Conv2D(4, 3, padding="same")(x)
    merged = layers.Add()([x, y])
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(merged))
    model = models.Model(inputs, outputs)
    assert model.output_shape == (None, 2)
    assert [type(layer).__name__ for layer in model.layers][0] == "InputLayer"
    data = np.random.default_rng(0).standard_normal((3, 8, 8, 3)).astype(np.float32)
    assert model.predict(data, verbose=0).shape == (3, 2)
    assert "Total params: " + f"{model.count_params():,}" in summary_text(model)


def test_get_layer_and_weights_round_trip():
    model = lenet5()
    assert model.get_layer(model.layers[0].name) is model.layers[0]
    with pytest.raises(ValueError, match="No layer named 'nope'"):
        model.get_layer("nope")
    weights = model.get_weights()
    other = lenet5()
    other.set_weights(weights)
    for a, b in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def blobs(n=200, seed=0):
    """Two separable Gaussian blobs: a problem any working training loop solves."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 4)).astype(np.float32) + (2 * y[:, None] - 1) * 1.5
    return x, y


def small_model():
    return models.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(2, activation="softmax"),
        ]
    )


def test_fit_learns_and_returns_a_history_of_every_epoch():
    x, y = blobs()
    model = small_model()
    model.compile(
        optimizer=cl.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, validation_split=0.25, seed=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 5 and history.epoch == [0, 1, 2, 3, 4]
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.9
    np.testing.assert_allclose(loss, model.evaluate(x, y, batch_size=7, verbose=0)[0], rtol=1e-5)


def test_the_same_seed_gives_the_same_weights():
    x, y = blobs()
    results = []
    for _ in range(2):
        model = small_model()
        model.set_weights(
            [np.full(w.shape, 0.1, np.float32) * (i + 1) for i, w in enumerate(model.get_weights())]
        )
        model.compile(optimizer=cl.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=10, verbose=0, seed=42)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_an_epoch_is_ceil_of_samples_over_batch_size_steps():
    x, y = blobs(n=50)
    seen = []
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[counter])
    assert len(seen) == 4  # ceil(50 / 16)


def test_fit_accepts_an_iterable_of_batches_like_the_lectures_dataset():
    x, y = blobs()
    dataset = [(x[i : i + 20], y[i : i + 20]) for i in range(0, len(x), 20)]
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(dataset, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3

    def generator():
        while True:
            yield from dataset

    history = model.fit(generator(), epochs=2, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 2


def test_sample_and_class_weights_scale_the_loss():
    x, y = blobs(n=20)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.test_on_batch(x, y)
    doubled = model.evaluate(x, y, sample_weight=np.full(20, 2.0), verbose=0)
    np.testing.assert_allclose(doubled, 2 * plain, rtol=1e-5)
    before = model.get_weights()
    model.train_on_batch(x, y, class_weight={0: 0.0, 1: 0.0})
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # zero weights: zero gradient, no update


def test_predict_records_no_graph_and_batches():
    model = small_model()
    x, _ = blobs(n=45)
    out = model.predict(x, batch_size=8, verbose=0)
    assert out.shape == (45, 2)
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)


def test_verbose_progress_goes_to_the_callback_not_the_loop(capsys):
    x, y = blobs(n=20)
    model = small_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, verbose=2)
    assert capsys.readouterr().out.count("Epoch ") == 2


def test_errors_for_an_uncompiled_model_and_unknown_names():
    model = small_model()
    with pytest.raises(RuntimeError, match="must be compiled"):
        model.fit(*blobs(n=4), verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(
        ValueError, match="Unknown loss 'crossentropy'.*sparse_categorical_crossentropy"
    ):
        model.compile(optimizer="adam", loss="crossentropy")
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(optimizer="adam", loss="mse", metrics=["acuracy"])
        model.fit(*blobs(n=4), verbose=0)


def test_wrong_input_shape_for_a_model_is_named():
    model = lenet5()
    with pytest.raises(
        ValueError, match=r"expects shape \(None, 28, 28, 1\), received \(2, 28, 28, 3\)"
    ):
        model.predict(np.zeros((2, 28, 28, 3), np.float32), verbose=0)


def test_sequential_without_input_builds_on_first_data():
    model = models.Sequential([layers.Dense(3), layers.Dense(1)])
    with pytest.raises(ValueError, match="not built yet"):
        model.summary(print_fn=io.StringIO().write)
    model.predict(np.zeros((2, 5), np.float32), verbose=0)
    assert model.count_params() == (5 + 1) * 3 + (3 + 1) * 1
