"""Metrics: values by hand (Keras's documented examples), against NumPy, with sample weights,
accumulated over batches, reset; the "accuracy" resolution; the registry."""

import json

import numpy as np
import pytest

import convlens as cl
from convlens import metrics

# Keras's documented standalone examples: (metric, y_true, y_pred, result, sample_weight, result)
KERAS_EXAMPLES = [
    (metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.75, [1, 1, 0, 0], 0.5),
    (
        metrics.BinaryAccuracy(),
        [[1], [1], [0], [0]],
        [[0.98], [1], [0], [0.6]],
        0.75,
        [1, 0, 0, 1],
        0.5,
    ),
    (
        metrics.CategoricalAccuracy(),
        [[0, 0, 1], [0, 1, 0]],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.5,
        [0.7, 0.3],
        0.3,
    ),
    (
        metrics.SparseCategoricalAccuracy(),
        [[2], [1]],
        [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
        0.5,
        [0.7, 0.3],
        0.3,
    ),
    (
        metrics.TopKCategoricalAccuracy(k=1),
        [[0, 0, 1], [0, 1, 0]],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.5,
        [0.7, 0.3],
        0.3,
    ),
    (
        metrics.SparseTopKCategoricalAccuracy(k=1),
        [2, 1],
        [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
        0.5,
        [0.7, 0.3],
        0.3,
    ),
    (metrics.MeanSquaredError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.25, [1, 0], 0.5),
    (metrics.MeanAbsoluteError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.25, [1, 0], 0.5),
]


@pytest.mark.parametrize("example", KERAS_EXAMPLES, ids=lambda e: type(e[0]).__name__)
def test_keras_documented_values(example):
    metric, y_true, y_pred, expected, weight, weighted = example
    metric.reset_state()
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(expected)
    metric.reset_state()
    assert metric.result() == 0.0
    metric.update_state(y_true, y_pred, sample_weight=weight)
    assert metric.result() == pytest.approx(weighted)
    assert isinstance(metric.result(), float)


def test_mean():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0
    tracker = metrics.Mean(name="loss")  # as the training loop uses it: batch loss x batch size
    tracker.update_state(0.5, sample_weight=32)
    tracker.update_state(2.0, sample_weight=8)
    assert tracker.result() == pytest.approx((0.5 * 32 + 2.0 * 8) / 40)


def test_top_k_ties_count_as_in_top_k():
    scores = [[0.5, 0.5, 0.5, 0.1]] * 3
    assert metrics.sparse_top_k_categorical_accuracy([0, 2, 3], scores, k=1).tolist() == [1, 1, 0]
    assert metrics.sparse_top_k_categorical_accuracy([3], scores[:1], k=3).tolist() == [0]
    assert metrics.sparse_top_k_categorical_accuracy([3], scores[:1], k=4).tolist() == [1]
    nan_row = [[np.nan, 0.2, 0.1]]  # TF in_top_k: a row with a non-finite score is a miss
    assert metrics.sparse_top_k_categorical_accuracy([1], nan_row, k=3).tolist() == [0]


def test_argmax_ties_take_the_first_class():
    assert metrics.sparse_categorical_accuracy([0, 1], [[0.4, 0.4], [0.4, 0.4]]).tolist() == [1, 0]


RNG = np.random.default_rng(0)
N, K = 50, 6
LABELS = RNG.integers(0, K, N)
ONE_HOT = np.eye(K)[LABELS]
SCORES = RNG.random((N, K)).astype(np.float32)
TARGETS = RNG.standard_normal((N, 3))
OUTPUTS = RNG.standard_normal((N, 3)).astype(np.float32)
BINARY = RNG.integers(0, 2, (N, 4)).astype(np.float32)
PROBS = RNG.random((N, 4)).astype(np.float32)
WEIGHTS = RNG.random(N)


def top_k(labels, scores, k):
    """In the top k when fewer than k scores are strictly larger."""
    return ((scores > scores[np.arange(len(labels)), labels][:, None]).sum(1) < k).astype(float)


# metric, y_true, y_pred, per-sample values by NumPy
CASES = {
    "sparse_categorical": (
        metrics.SparseCategoricalAccuracy,
        LABELS,
        SCORES,
        (SCORES.argmax(1) == LABELS).astype(float),
    ),
    "sparse_categorical_column": (
        metrics.SparseCategoricalAccuracy,
        LABELS[:, None],
        SCORES,
        (SCORES.argmax(1) == LABELS).astype(float),
    ),
    "categorical": (
        metrics.CategoricalAccuracy,
        ONE_HOT,
        SCORES,
        (SCORES.argmax(1) == LABELS).astype(float),
    ),
    "binary_multilabel": (metrics.BinaryAccuracy, BINARY, PROBS, ((PROBS > 0.5) == BINARY).mean(1)),
    "top_3": (
        lambda: metrics.TopKCategoricalAccuracy(k=3),
        ONE_HOT,
        SCORES,
        top_k(LABELS, SCORES, 3),
    ),
    "sparse_top_2": (
        lambda: metrics.SparseTopKCategoricalAccuracy(k=2),
        LABELS,
        SCORES,
        top_k(LABELS, SCORES, 2),
    ),
    "mse": (metrics.MeanSquaredError, TARGETS, OUTPUTS, ((TARGETS - OUTPUTS) ** 2).mean(1)),
    "mae": (metrics.MeanAbsoluteError, TARGETS, OUTPUTS, np.abs(TARGETS - OUTPUTS).mean(1)),
    "mse_rank1": (
        metrics.MeanSquaredError,
        TARGETS[:, 0],
        OUTPUTS[:, 0],
        (TARGETS[:, 0] - OUTPUTS[:, 0]) ** 2,
    ),
    "mse_column_vs_rank1": (
        metrics.MeanSquaredError,
        TARGETS[:, 0],
        OUTPUTS[:, :1],
        (TARGETS[:, 0] - OUTPUTS[:, 0]) ** 2,
    ),
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_against_numpy_and_accumulation_over_batches(case, weighted):
    make, y_true, y_pred, per_sample = CASES[case]
    weights = WEIGHTS if weighted else None
    expected = np.average(per_sample, weights=weights)

    whole = make()
    whole.update_state(y_true, y_pred, sample_weight=weights)
    assert whole.result() == pytest.approx(expected, rel=1e-6)

    batched = make()
    for part in np.array_split(np.arange(N), [7, 30]):  # uneven batches: 7, 23, 20
        batched.update_state(
            y_true[part], y_pred[part], sample_weight=None if weights is None else weights[part]
        )
    assert batched.result() == pytest.approx(whole.result(), rel=1e-12)

    batched.reset_state()
    assert batched.result() == 0.0
    batched.update_state(y_true[:5], y_pred[:5])
    assert batched.result() == pytest.approx(per_sample[:5].mean(), rel=1e-6)


def test_per_pixel_outputs_average_to_one_value_per_sample():
    labels = RNG.integers(0, 3, (4, 5, 5))
    scores = RNG.random((4, 5, 5, 3))
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(labels, scores, sample_weight=[1.0, 2.0, 0.0, 1.0])
    per_sample = (scores.argmax(-1) == labels).mean(axis=(1, 2))
    assert m.result() == pytest.approx(np.average(per_sample, weights=[1, 2, 0, 1]))


def test_accepts_tensors_column_weights_and_call():
    m = metrics.SparseCategoricalAccuracy()
    result = m(
        cl.Tensor([2, 1]),
        cl.Tensor([[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]),
        sample_weight=np.array([[0.7], [0.3]]),
    )
    assert result == pytest.approx(0.3)


def test_mismatched_weights_raise():
    with pytest.raises(ValueError, match=r'Metric "mean": sample_weight of shape \(3,\)'):
        metrics.Mean().update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1, 2, 3])


# ----- "accuracy" as Keras's compile resolves it -----
@pytest.mark.parametrize(
    "loss, y_true, y_pred, expected",
    [
        ("sparse_categorical_crossentropy", (32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ("sparse_categorical_crossentropy", (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ("categorical_crossentropy", (32, 10), (32, 10), metrics.CategoricalAccuracy),
        ("binary_crossentropy", (32, 1), (32, 1), metrics.BinaryAccuracy),
        ("binary_crossentropy", (32, 5), (32, 5), metrics.BinaryAccuracy),  # multi-label
        ("mse", (32, 1), (32, 1), metrics.BinaryAccuracy),  # shapes decide: Keras 3's rules
        ("mse", (32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ("mse", (32, 10), (32, 10), metrics.CategoricalAccuracy),
        ("my_loss", (32,), (32,), metrics.BinaryAccuracy),
        (None, None, None, metrics.Accuracy),
    ],
)
def test_resolve_accuracy(loss, y_true, y_pred, expected):
    metric = metrics.resolve_accuracy(loss, y_true, y_pred)
    assert type(metric) is expected and metric.name == "accuracy"


def test_resolve_accuracy_reads_loss_objects():
    class BinaryCrossentropy:  # stands in for convlens.losses.BinaryCrossentropy(name="bce_1")
        name = "bce_1"

    assert (
        type(metrics.resolve_accuracy(BinaryCrossentropy(), (8, 3), (8, 3)))
        is metrics.BinaryAccuracy
    )
    assert metrics.resolve_accuracy("categorical_crossentropy", name="acc").name == "acc"


# ----- registry -----
@pytest.mark.parametrize(
    "name, cls",
    [
        ("mse", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("mean_squared_error", metrics.MeanSquaredError),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("mean", metrics.Mean),
        ("accuracy", metrics.Accuracy),
        ("acc", metrics.Accuracy),
    ],
)
def test_names_and_log_keys(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls and metric.name == name  # logged as typed, as Keras 3


def test_get_with_loss_objects_classes_and_functions():
    assert (
        type(metrics.get("accuracy", loss="sparse_categorical_crossentropy"))
        is metrics.SparseCategoricalAccuracy
    )
    m = metrics.BinaryAccuracy(threshold=0.3)
    assert metrics.get(m) is m
    assert metrics.get(metrics.MeanSquaredError).name == "mean_squared_error"
    assert metrics.get("MeanSquaredError").name == "mean_squared_error"

    def hits(y_true, y_pred):
        return (np.asarray(y_true) == np.asarray(y_pred)).astype(float)

    custom = metrics.get(hits)
    assert custom.name == "hits"
    custom.update_state([1, 2, 3, 4], [1, 0, 3, 0])
    assert custom.result() == 0.5
    with pytest.raises(ValueError, match='The metric "hits" wraps the function'):
        metrics.serialize(custom)


def test_unknown_name_lists_the_accepted_ones():
    with pytest.raises(
        ValueError,
        match=r"Unknown metric 'accuracy_top5'\. Accepted names: acc, accuracy, auc, bce, "
        r"binary_accuracy, binary_crossentropy, .*, mae, mape, mean, mean_absolute_error, ",
    ):
        metrics.get("accuracy_top5")


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"threshold must be a finite number in \(0, 1\)"):
        metrics.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match="k must be a positive int, received 0"):
        metrics.TopKCategoricalAccuracy(k=0)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="loss"),
        metrics.Accuracy(),
        metrics.BinaryAccuracy(threshold=0.7),
        metrics.CategoricalAccuracy(name="cat"),
        metrics.SparseCategoricalAccuracy(),
        metrics.TopKCategoricalAccuracy(k=2),
        metrics.SparseTopKCategoricalAccuracy(k=3, name="top3"),
        metrics.MeanSquaredError(),
        metrics.MeanAbsoluteError(name="mae"),
    ],
    ids=lambda m: type(m).__name__,
)
def test_config_and_json_round_trips(metric):
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()
    loaded = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(loaded) is type(metric) and loaded.get_config() == metric.get_config()
    assert loaded.name == metric.name
