"""Keras 3 metrics (issue 12, items 4 and 7): every new metric against the real Keras 3 on JAX
(two batches, with and without sample weights), Keras's names and configs, the Metric
subclassing contract (add_variable, update_state, result, reset_state) inside ``fit``, and the
argument errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convlens as cl
from convlens import metrics, ops
from keras_oracle import real_keras

RNG = np.random.default_rng(3)
N, K = 40, 4
BINARY = RNG.integers(0, 2, N).astype(np.float32)
PROB = np.clip(BINARY * 0.3 + RNG.uniform(0, 0.7, N), 0, 1).astype(np.float32)
LOGIT = RNG.normal(size=N).astype(np.float32) + 2 * BINARY - 1
SPARSE = RNG.integers(0, K, N)
ONE_HOT = np.eye(K, dtype=np.float32)[SPARSE]
PROBS = RNG.dirichlet(np.ones(K), N).astype(np.float32)
PROBS = (0.6 * PROBS + 0.4 * ONE_HOT * RNG.uniform(0, 1, (N, 1))).astype(np.float32)
PROBS /= PROBS.sum(axis=1, keepdims=True)
MULTI = RNG.integers(0, 2, (N, K)).astype(np.float32)
MULTI_PROB = np.clip(MULTI * 0.25 + RNG.uniform(0, 0.75, (N, K)), 0, 1).astype(np.float32)
REAL = RNG.normal(size=(N, K)).astype(np.float32)
REAL2 = (REAL + RNG.normal(scale=0.5, size=(N, K))).astype(np.float32)
POSITIVE = RNG.uniform(0.1, 3, (N, K)).astype(np.float32)
POSITIVE2 = RNG.uniform(0.1, 3, (N, K)).astype(np.float32)
PREDICTED_CLASS = np.where(RNG.uniform(size=N) < 0.6, SPARSE, RNG.integers(0, K, N))
WEIGHTS = RNG.uniform(0, 2, N).astype(np.float32)
INT_WEIGHTS = RNG.integers(0, 3, N).astype(np.float32)

# (class name, constructor arguments, y_true, y_pred)
CASES = [
    ("Precision", {}, BINARY, PROB),
    ("Precision", {"thresholds": [0.3, 0.5, 0.7]}, BINARY, PROB),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, MULTI, MULTI_PROB),  # evenly: bucket path
    ("Precision", {"top_k": 2}, MULTI, MULTI_PROB),
    ("Precision", {"class_id": 1}, MULTI, MULTI_PROB),
    ("Precision", {"thresholds": 0.4, "top_k": 1, "class_id": 2}, ONE_HOT, PROBS),
    ("Recall", {}, BINARY, PROB),
    ("Recall", {"thresholds": [0.2, 0.6]}, MULTI, MULTI_PROB),
    ("Recall", {"top_k": 2}, ONE_HOT, PROBS),
    ("Recall", {"class_id": 3}, ONE_HOT, PROBS),
    ("TruePositives", {}, BINARY, PROB),
    ("FalsePositives", {"thresholds": [0.25, 0.75]}, MULTI, MULTI_PROB),
    ("TrueNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, BINARY, PROB),
    ("FalseNegatives", {}, MULTI, MULTI_PROB),
    ("AUC", {}, BINARY, PROB),
    ("AUC", {"curve": "PR"}, BINARY, PROB),
    ("AUC", {"summation_method": "minoring"}, MULTI, MULTI_PROB),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, BINARY, PROB),
    ("AUC", {"num_thresholds": 7}, BINARY, PROB),
    ("AUC", {"thresholds": [0.1, 0.45, 0.8]}, BINARY, PROB),
    ("AUC", {"from_logits": True}, BINARY, LOGIT),
    ("AUC", {"multi_label": True}, MULTI, MULTI_PROB),
    ("AUC", {"multi_label": True, "curve": "PR", "label_weights": [1, 2, 0, 1]}, MULTI, MULTI_PROB),
    ("AUC", {"label_weights": [0.5, 1, 2, 1]}, MULTI, MULTI_PROB),
    ("AUC", {"curve": "PRGAIN"}, BINARY, PROB),
    ("F1Score", {}, ONE_HOT, PROBS),
    ("F1Score", {"average": "micro"}, MULTI, MULTI_PROB),
    ("F1Score", {"average": "macro", "threshold": 0.5}, MULTI, MULTI_PROB),
    ("F1Score", {"average": "weighted"}, ONE_HOT, PROBS),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.3}, MULTI, MULTI_PROB),
    ("MeanIoU", {"num_classes": K}, SPARSE, PREDICTED_CLASS),
    ("MeanIoU", {"num_classes": K, "sparse_y_pred": False}, SPARSE, PROBS),
    (
        "MeanIoU",
        {"num_classes": K, "sparse_y_true": False, "ignore_class": 0},
        ONE_HOT,
        PREDICTED_CLASS,
    ),
    ("IoU", {"num_classes": K, "target_class_ids": [0, 2]}, SPARSE, PREDICTED_CLASS),
    ("BinaryIoU", {}, BINARY, PROB),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, MULTI, MULTI_PROB),
    ("TopKCategoricalAccuracy", {"k": 2}, ONE_HOT, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, SPARSE, PROBS),
    ("RootMeanSquaredError", {}, REAL, REAL2),
    ("MeanAbsolutePercentageError", {}, REAL, REAL2),
    ("MeanSquaredLogarithmicError", {}, POSITIVE, POSITIVE2),
    ("CosineSimilarity", {}, REAL, REAL2),
    ("LogCoshError", {}, REAL, REAL2),
    ("BinaryCrossentropy", {}, MULTI, MULTI_PROB),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, MULTI, REAL),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, REAL),
    ("SparseCategoricalCrossentropy", {}, SPARSE, PROBS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, SPARSE, REAL),
    ("KLDivergence", {}, ONE_HOT * 0.7 + 0.075, PROBS),
    ("Poisson", {}, POSITIVE, POSITIVE2),
    ("Hinge", {}, MULTI, REAL),
    ("SquaredHinge", {}, 2 * MULTI - 1, REAL),
    ("CategoricalHinge", {}, ONE_HOT, REAL),
    ("MeanSquaredError", {}, REAL, REAL2),
    ("MeanAbsoluteError", {}, REAL, REAL2),
]


def assert_same_keys(ours, theirs, name):
    """Our config has Keras's keys; Keras's CosineSimilarity metric drops its ``axis`` (so its
    round trip loses it), ours keeps it."""
    extra = {"axis"} if "osine" in name else set()
    assert set(ours) == set(theirs) | extra, name


def two_batches(metric, y_true, y_pred, sample_weight):
    half = N // 2
    for part in (slice(0, half), slice(half, N)):
        weight = None if sample_weight is None else sample_weight[part]
        metric.update_state(y_true[part], y_pred[part], sample_weight=weight)
    return np.asarray(metric.result(), dtype=np.float64)


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_result_matches_keras(name, kwargs, y_true, y_pred, weighted):
    keras = real_keras()
    iou = "IoU" in name  # Keras's IoU matrix is integer: it truncates fractional weights
    weight = (INT_WEIGHTS if iou else WEIGHTS) if weighted else None
    if weighted and name == "BinaryIoU" and y_true.ndim > 1:  # one weight per label, as Keras
        with pytest.raises(ValueError, match=r"sample_weight of shape \(20,\) does not match"):
            two_batches(getattr(metrics, name)(**kwargs), y_true, y_pred, weight)
        return
    expected = two_batches(getattr(keras.metrics, name)(**kwargs), y_true, y_pred, weight)
    got = two_batches(getattr(metrics, name)(**kwargs), y_true, y_pred, weight)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", CASES[::4])
def test_reset_state_and_call_as_keras(name, kwargs, y_true, y_pred):
    metric = getattr(metrics, name)(**kwargs)
    fresh = getattr(metrics, name)(**kwargs)
    metric.update_state(y_true[:5], y_pred[:5])
    metric.reset_state()
    assert all(np.all(v.numpy() == 0) for v in metric.variables)
    once = np.asarray(metric(y_true, y_pred))  # __call__: update, then the result
    np.testing.assert_allclose(once, np.asarray(fresh(y_true, y_pred)), rtol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "precision",
        "recall",
        "auc",
        "f1_score",
        "f_beta_score",
        "true_positives",
        "false_negatives",
        "root_mean_squared_error",
        "mape",
        "msle",
        "MAPE",
        "bce",
        "sum",
        "log_cosh_error",
        "kl_divergence",
        "poisson",
        "hinge",
        "categorical_hinge",
        "cosine_similarity",
        "binary_io_u",
        "Precision",
        "AUC",
    ],
)
def test_keras_names(name):
    keras = real_keras()
    theirs = keras.metrics.get(name)
    ours = metrics.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert_same_keys(ours.get_config(), theirs.get_config(), name)
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()


@pytest.mark.parametrize("name, kwargs, y_true, y_pred", CASES)
def test_config_keys_and_round_trip(name, kwargs, y_true, y_pred):
    keras = real_keras()
    ours = getattr(metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    assert_same_keys(ours.get_config(), theirs.get_config(), name)
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
    np.testing.assert_allclose(
        two_batches(rebuilt, y_true, y_pred, None), two_batches(ours, y_true, y_pred, None)
    )


def test_the_keras_guide_metric_subclass_in_fit():
    """keras.io's ``BinaryTruePositives``, with only the import changed (NumPy stands in for
    keras.ops.cast/logical_and here), as a metric of fit and evaluate."""

    class BinaryTruePositives(metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), initializer="zeros", name="true_positives"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = np.logical_and(np.asarray(y_true) > 0.5, np.asarray(y_pred) > 0.5)
            values = values.astype(self.dtype).reshape(-1)
            if sample_weight is not None:
                values = values * np.asarray(sample_weight, dtype=self.dtype)
            self.true_positives.assign(self.true_positives + ops.sum(values))

        def result(self):
            return self.true_positives

    x = RNG.normal(size=(N, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = cl.models.Sequential([cl.layers.Input((3,)), cl.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[
            BinaryTruePositives(),
            "precision",
            "recall",
            "auc",
            metrics.F1Score(average="macro", threshold=0.5),
        ],
    )
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert {"binary_true_positives", "precision", "recall", "auc", "f1_score"} <= set(
        history.history
    )
    logs = model.evaluate(x, y, batch_size=8, return_dict=True, verbose=0)
    predicted = model.predict(x, verbose=0)
    assert logs["binary_true_positives"] == float(np.sum((y > 0.5) & (predicted > 0.5)))
    keras = real_keras()
    for key, metric in [
        ("precision", keras.metrics.Precision()),
        ("recall", keras.metrics.Recall()),
        ("auc", keras.metrics.AUC()),
        ("f1_score", keras.metrics.F1Score(average="macro", threshold=0.5)),
    ]:
        metric.update_state(y, predicted)
        assert logs[key] == pytest.approx(float(metric.result()), rel=1e-4, abs=1e-6), key


def test_metric_contract_details():
    class Ratio(metrics.Metric):
        def __init__(self, name="ratio", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_weight(shape=(2,), initializer="ones", name="hits")
            self.inner = metrics.Mean(name="inner")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.hits.assign_add(np.array([1.0, 2.0]))
            self.inner.update_state(y_pred)

        def result(self):
            return self.hits[1] / self.hits[0]

    ratio = Ratio(dtype="float64")
    assert ratio.dtype == "float64" and ratio.hits.dtype == np.float64
    assert ratio.hits.numpy().tolist() == [1.0, 1.0]  # the initializer, at creation
    assert float(ratio(None, [1.0, 3.0])) == pytest.approx(1.5)  # __call__: (1+2)/(1+1)
    assert [v.name for v in ratio.variables] == ["hits", "total", "count"]  # nested too
    ratio.reset_state()  # as Keras: every variable to zeros, not to its initializer
    assert all(np.all(v.numpy() == 0) for v in ratio.variables)
    assert Ratio.from_config(ratio.get_config()).get_config() == {
        "name": "ratio",
        "dtype": "float64",
    }

    class Forgetful(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable(shape=(), initializer="zeros")

    with pytest.raises(RuntimeError, match=r"Forgetful: call super\(\).__init__\(\)"):
        Forgetful()
    with pytest.raises(NotImplementedError, match="must implement update_state"):
        metrics.Metric().update_state([1], [1])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"Precision: thresholds must be in"),
        (lambda: metrics.Recall(top_k=0), r"Recall: top_k must be a positive int"),
        (lambda: metrics.Precision(class_id=1.5), r"class_id must be an int"),
        (lambda: metrics.AUC(num_thresholds=1), r"AUC: num_thresholds must be an int > 1"),
        (lambda: metrics.AUC(curve="DET"), r"AUC: curve must be one of"),
        (lambda: metrics.AUC(summation_method="simpson"), r"summation_method must be one of"),
        (lambda: metrics.AUC(num_labels=3), r"num_labels is needed only when multi_label"),
        (lambda: metrics.F1Score(average="samples"), r"F1Score: average must be one of"),
        (lambda: metrics.FBetaScore(beta=2), r"beta must be a float > 0"),
        (lambda: metrics.F1Score(threshold=0.0), r"threshold must be a float in \(0, 1\]"),
        (lambda: metrics.IoU(num_classes=3, target_class_ids=[3]), r"target_class_ids"),
        (lambda: metrics.MeanIoU(num_classes="3"), r"MeanIoU: num_classes must be an int"),
        (lambda: metrics.SparseCategoricalCrossentropy(ignore_class=0), r"ignore_class"),
        (lambda: metrics.get("presicion"), r"Unknown metric.*Did you mean 'precision'"),
    ],
)
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_input_errors_name_the_metric():
    with pytest.raises(ValueError, match=r"F1Score: expected 2-D inputs"):
        metrics.F1Score().update_state(BINARY, PROB)
    with pytest.raises(ValueError, match=r"AUC: y_pred must have rank 2 when multi_label"):
        metrics.AUC(multi_label=True).update_state(BINARY, PROB)
    with pytest.raises(ValueError, match=r"Precision: with class_id, y_pred must have shape"):
        metrics.Precision(class_id=0).update_state(BINARY, PROB)
    with pytest.raises(ValueError, match=r"Precision: y_true and y_pred must have the same"):
        metrics.Precision().update_state(MULTI, PROB)


def test_float_of_a_zero_dimensional_tensor():
    assert float(cl.Tensor(2.5)) == 2.5 and int(cl.Tensor(3.0)) == 3
    assert np.asarray(cl.Tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    with pytest.raises(TypeError):
        float(cl.Tensor([1.0, 2.0]))
