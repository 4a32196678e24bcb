"""Careless calls of fit/evaluate/predict fail at once with a message naming the argument, what
is accepted and what was received (issue 15 item 6); none trains on garbage."""

import numpy
import pytest

import convlens as cl


@pytest.fixture(scope="module")
def model():
    model = cl.models.Sequential([cl.layers.Input((4,)), cl.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X = numpy.random.default_rng(0).normal(size=(12, 4)).astype("float32")
Y = numpy.arange(12) % 3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, r"fit: batch_size must be an int >= 1 or None, received 0"),
        ({"batch_size": True}, TypeError, r"batch_size must be an int >= 1 or None, received True"),
        ({"batch_size": 2.5}, TypeError, r"batch_size .* received 2.5"),
        ({"epochs": -1}, ValueError, r"fit: epochs must be an int >= 0, received -1"),
        ({"initial_epoch": -1}, ValueError, r"initial_epoch must be an int >= 0, received -1"),
        ({"epochs": 2, "initial_epoch": 3}, ValueError, r"initial_epoch \(3\) must be <= epochs"),
        ({"validation_freq": 0}, ValueError, r"validation_freq must be an int >= 1, received 0"),
        ({"validation_split": 1.5}, ValueError, r"validation_split must be a finite number in"),
        ({"validation_split": 1}, ValueError, r"validation_split must be < 1"),
        ({"steps_per_epoch": 0}, ValueError, r"steps_per_epoch must be an int >= 1"),
        ({"class_weight": [1, 2, 3]}, TypeError, r"class_weight must be a dict .* received list"),
        ({"class_weight": {0: -5}}, ValueError, r"class_weight\[0\] must be a finite number >= 0"),
        ({"class_weight": {7: 2.0}}, ValueError, r"class_weight names classes \[7\]"),
        ({"class_weight": {"a": 1.0}}, TypeError, r"class_weight keys must be class indices"),
        ({"class_weight": {0: float("nan")}}, ValueError, r"class_weight\[0\] .* received nan"),
        ({"sample_weight": -numpy.ones(12)}, ValueError, r"sample_weight must be >= 0 everywhere"),
    ],
)
def test_fit_refuses_careless_arguments(model, kwargs, error, message):
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=message):
        model.fit(X, Y, verbose=0, **kwargs)
    assert all(numpy.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("bad", [numpy.nan, numpy.inf, -numpy.inf])
def test_nan_or_inf_in_the_inputs_is_refused_before_training(model, bad):
    x = X.copy()
    x[3, 1] = bad
    for call, args in [(model.fit, (x, Y)), (model.evaluate, (x, Y)), (model.predict, (x,))]:
        with pytest.raises(ValueError, match=r"x holds 1 NaN or infinite value\(s\)"):
            call(*args, verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight holds 1 NaN"):
        model.fit(X, Y, sample_weight=numpy.r_[numpy.ones(11), bad], verbose=0)


def test_empty_data_is_refused(model):
    with pytest.raises(ValueError, match=r"fit: x holds no samples"):
        model.fit(X[:0], Y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"predict: x holds no samples"):
        model.predict(X[:0], verbose=0)


def test_evaluate_and_predict_check_their_batch_size(model):
    with pytest.raises(ValueError, match=r"evaluate: batch_size must be an int >= 1"):
        model.evaluate(X, Y, batch_size=-2, verbose=0)
    with pytest.raises(ValueError, match=r"predict: steps must be an int >= 1"):
        model.predict(X, steps=0, verbose=0)


def test_valid_class_weights_are_still_applied(model):
    """The checks keep what is right: weights of 1 change nothing, a weight of 0 changes it."""
    start = model.get_weights()

    def first_loss(class_weight):
        model.set_weights(start)
        history = model.fit(X, Y, batch_size=12, verbose=0, seed=0, class_weight=class_weight)
        return history.history["loss"][0]

    plain = first_loss(None)
    assert first_loss({0: 1.0, 1: 1, 2: numpy.float32(1)}) == pytest.approx(plain, rel=1e-6)
    assert first_loss({0: 0.0}) != pytest.approx(plain, rel=1e-3)
    model.set_weights(start)


def _diverging_model():
    model = cl.Sequential([cl.layers.Input((4,)), cl.layers.Dense(1)])
    model.compile(optimizer=cl.optimizers.SGD(learning_rate=1e6), loss="mse")
    x = numpy.random.default_rng(0).normal(size=(64, 4)).astype("float32") * 100
    return model, x, x.sum(axis=1, keepdims=True)


def test_a_diverging_loss_stops_training_with_a_warning():
    model, x, y = _diverging_model()
    with pytest.warns(RuntimeWarning, match=r"fit: the loss became (nan|inf) at batch \d+"):
        history = model.fit(x, y, batch_size=8, epochs=20, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 1 and not numpy.isfinite(losses[-1])  # stopped in the first epoch


def test_a_users_terminate_on_nan_replaces_the_default():
    model, x, y = _diverging_model()
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="fit: ")  # the default's would fail the test
        history = model.fit(
            x, y, batch_size=8, epochs=20, verbose=0, callbacks=[cl.callbacks.TerminateOnNaN()]
        )
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
def test_check_finite_finds_one_bad_value_and_passes_sums_that_overflow(dtype):
    """check_finite adds the values first (one pass, no temporary): one NaN or infinity
    anywhere makes the sum non-finite; finite values whose sum overflows are checked one by
    one and pass."""
    from convlens.arguments import check_finite

    big = numpy.full(1000, numpy.finfo(dtype).max / 2, dtype=dtype)
    check_finite(big, "x", "fit")  # the sum overflows to inf, every value is finite
    for bad in (numpy.nan, numpy.inf, -numpy.inf):
        for at in (0, 517, 999):
            values = numpy.ones(1000, dtype=dtype)
            values[at] = bad
            with pytest.raises(ValueError, match="fit: x holds 1 NaN or infinite value"):
                check_finite(values, "x", "fit")
