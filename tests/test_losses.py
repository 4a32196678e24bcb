"""Per-sample losses against Keras's formulas written out by hand, PyTorch and central
differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import convlens as cl
from convlens import ops
from oracle import check_op, host, torch_or_skip

EPS = 1e-7  # Keras's backend.epsilon()


def log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def keras_crossentropy(y, p, axis=-1):
    """Keras: renormalise, clip to [1e-7, 1 - 1e-7], -Σ y log p."""
    p = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(p)).sum(axis=axis)


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def probabilities(rng, shape):
    p = rng.uniform(0.05, 1, shape)
    return p / p.sum(axis=-1, keepdims=True)


# ----- sparse categorical cross-entropy -----


@given(n=st.integers(1, 3), classes=st.integers(1, 5), column=st.booleans())
def test_sparse_crossentropy_from_logits(n, classes, column):
    rng = np.random.default_rng(n * 10 + classes)
    labels = rng.integers(0, classes, n)
    z = rng.standard_normal((n, classes)) * 3
    y_true = labels[:, None] if column else labels  # (N,) or (N, 1), as Keras
    check_op(
        lambda t: ops.sparse_categorical_crossentropy(y_true, t, from_logits=True),
        lambda a: -log_softmax(a)[np.arange(n), labels],
        z,
        rtol=1e-12,
    )


@given(n=st.integers(1, 3), classes=st.integers(2, 5))
def test_sparse_crossentropy_from_probabilities_is_keras(n, classes):
    rng = np.random.default_rng(n * 10 + classes)
    labels = rng.integers(0, classes, n)
    p = rng.uniform(0.05, 1, (n, classes))  # unnormalised: Keras renormalises
    check_op(
        lambda t: ops.sparse_categorical_crossentropy(labels.astype(float), t),
        lambda a: keras_crossentropy(one_hot(labels, classes), a),
        p,
        rtol=1e-12,
    )


def test_sparse_crossentropy_against_pytorch_including_a_class_axis():
    torch = torch_or_skip()
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 10)) * 4
    labels = rng.integers(0, 10, 6)
    upstream = rng.standard_normal(6)
    ours = cl.Tensor(z, requires_grad=True)
    loss = ops.sparse_categorical_crossentropy(labels, ours, from_logits=True)
    loss.backward(upstream)
    theirs = torch.tensor(z, requires_grad=True)
    expected = F.cross_entropy(theirs, torch.tensor(labels), reduction="none")
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    # Segmentation-like: classes on axis 1 of (N, K, L), as PyTorch's layout.
    z3 = rng.standard_normal((2, 4, 3))
    labels3 = rng.integers(0, 4, (2, 3))
    check_op(
        lambda t: ops.sparse_categorical_crossentropy(labels3, t, from_logits=True, axis=1),
        lambda a: F.cross_entropy(torch.tensor(a), torch.tensor(labels3), reduction="none").numpy(),
        z3,
        rtol=1e-12,
    )


def test_sparse_crossentropy_from_huge_logits_stays_finite():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], np.float32)
    x = cl.Tensor(z, requires_grad=True)
    loss = ops.sparse_categorical_crossentropy([0, 0], x, from_logits=True)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [0.0, 1000.0])
    loss.backward(np.ones(2, np.float32))
    np.testing.assert_allclose(host(x.grad), [[0, 0, 0], [-1, 1, 0]], atol=1e-6)  # softmax - onehot


def test_sparse_crossentropy_from_probabilities_clips_like_keras():
    p = np.array([[0.0, 1.0], [2.0, 2.0]])  # a zero probability; a row summing to 4
    loss = ops.sparse_categorical_crossentropy([0, 1], p).numpy()
    np.testing.assert_allclose(loss, [-np.log(EPS), -np.log(0.5)], rtol=1e-12)


@pytest.mark.parametrize(
    "labels, message",
    [
        (
            [0, 3],
            r"sparse_categorical_crossentropy: labels must be in \[0, 3\), the 3 classes of "
            r"y_pred \(axis 1\); received values from 0 to 3",
        ),
        ([-1, 0], r"labels must be in \[0, 3\).*from -1 to 0"),
        ([0.5, 1.0], r"labels must be integers in \[0, 3\)"),
        (
            [[0, 1]],
            r"y_true must hold one class label per sample, shape \(2,\) .*received "
            r"y_true.shape=\(1, 2\)",
        ),
    ],
)
def test_sparse_crossentropy_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        ops.sparse_categorical_crossentropy(np.array(labels), np.full((2, 3), 1 / 3))


# ----- categorical cross-entropy -----


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_categorical_crossentropy(from_logits, smoothing):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 5)
    y = one_hot(labels, 4)
    smoothed = y * (1 - smoothing) + smoothing / 4
    pred = rng.standard_normal((5, 4)) if from_logits else probabilities(rng, (5, 4))
    if from_logits:
        oracle = lambda a: -(smoothed * log_softmax(a)).sum(-1)  # noqa: E731
    else:
        oracle = lambda a: keras_crossentropy(smoothed, a)  # noqa: E731
    check_op(
        lambda t: ops.categorical_crossentropy(y, t, from_logits, label_smoothing=smoothing),
        oracle,
        pred,
        rtol=1e-12,
    )


def test_categorical_crossentropy_with_soft_labels_and_class_axis_first():
    rng = np.random.default_rng(2)
    y = rng.uniform(0, 1, (4, 3, 2))  # soft labels that do not sum to 1: the gradient still holds
    z = rng.standard_normal((4, 3, 2))
    check_op(
        lambda t: ops.categorical_crossentropy(y, t, from_logits=True, axis=1),
        lambda a: -(y * log_softmax(a, axis=1)).sum(axis=1),
        z,
        rtol=1e-12,
    )


def test_categorical_crossentropy_against_pytorch_label_smoothing():
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    z, labels = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    ours = ops.categorical_crossentropy(
        one_hot(labels, 5), z, from_logits=True, label_smoothing=0.1
    ).numpy()
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(z), torch.tensor(labels), reduction="none", label_smoothing=0.1
    )
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-12)


def test_sparse_and_categorical_agree():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 7)
    z = rng.standard_normal((7, 3))
    for from_logits in (False, True):
        pred = z if from_logits else probabilities(rng, (7, 3))
        np.testing.assert_allclose(
            ops.sparse_categorical_crossentropy(labels, pred, from_logits).numpy(),
            ops.categorical_crossentropy(one_hot(labels, 3), pred, from_logits).numpy(),
            rtol=1e-12,
        )


# ----- binary cross-entropy -----


@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_binary_crossentropy_from_logits(smoothing):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, (4, 3)).astype(float)
    z = rng.standard_normal((4, 3)) * 3
    t = y * (1 - smoothing) + 0.5 * smoothing

    def oracle(a):  # -(t log σ(a) + (1 - t) log(1 - σ(a))), mean over the last axis
        sigmoid = 1 / (1 + np.exp(-a))
        return -(t * np.log(sigmoid) + (1 - t) * np.log(1 - sigmoid)).mean(-1)

    check_op(
        lambda p: ops.binary_crossentropy(y, p, from_logits=True, label_smoothing=smoothing),
        oracle,
        z,
        rtol=1e-10,
    )


def test_binary_crossentropy_from_probabilities_clips_like_keras():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, (4, 3)).astype(float)
    p = rng.uniform(0.05, 0.95, (4, 3))

    def oracle(a):
        c = np.clip(a, EPS, 1 - EPS)
        return -(y * np.log(c) + (1 - y) * np.log(1 - c)).mean(-1)

    check_op(lambda t: ops.binary_crossentropy(y, t), oracle, p, rtol=1e-12)
    edge = ops.binary_crossentropy([[1.0, 0.0]], np.array([[0.0, 1.0]])).numpy()
    np.testing.assert_allclose(edge, [-np.log(EPS)], rtol=1e-6)  # both clipped to 1e-7


def test_binary_crossentropy_against_pytorch_and_huge_logits():
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    y, z = rng.uniform(0, 1, (5, 4)), rng.standard_normal((5, 4)) * 5
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(z), torch.tensor(y), reduction="none"
    ).mean(-1)
    np.testing.assert_allclose(
        ops.binary_crossentropy(y, z, from_logits=True).numpy(), expected.numpy(), rtol=1e-12
    )
    huge = cl.Tensor(np.array([[1000.0, -1000.0]], np.float32), requires_grad=True)
    loss = ops.binary_crossentropy([[0.0, 1.0]], huge, from_logits=True)
    np.testing.assert_allclose(loss.numpy(), [1000.0])
    loss.backward(np.ones(1, np.float32))
    np.testing.assert_allclose(host(huge.grad), [[0.5, -0.5]])  # (σ(z) - y) / 2 for the mean


# ----- regression losses -----


def away_from_kinks(rng, shape, kinks):
    e = rng.uniform(-3, 3, shape)
    for k in kinks:
        e = np.where(np.abs(np.abs(e) - k) < 0.05, e + 0.1, e)
    return e


@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_regression_losses(delta):
    rng = np.random.default_rng(8)
    y = rng.standard_normal((4, 5))
    pred = y + away_from_kinks(rng, (4, 5), (0.0, delta))
    check_op(lambda t: ops.mean_squared_error(y, t), lambda a: ((a - y) ** 2).mean(-1), pred)
    check_op(lambda t: ops.mean_absolute_error(y, t), lambda a: np.abs(a - y).mean(-1), pred)

    def huber(a):
        e = np.abs(a - y)
        return np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)).mean(-1)

    check_op(lambda t: ops.huber(y, t, delta), huber, pred)


def test_regression_losses_against_pytorch():
    torch = torch_or_skip()
    F = torch.nn.functional
    rng = np.random.default_rng(9)
    y, pred = rng.standard_normal((3, 6)), rng.standard_normal((3, 6)) * 2
    ty, tp = torch.tensor(y), torch.tensor(pred)
    for ours, theirs in [
        (ops.mean_squared_error, F.mse_loss(tp, ty, reduction="none")),
        (ops.mean_absolute_error, F.l1_loss(tp, ty, reduction="none")),
        (lambda a, b: ops.huber(a, b, 0.7), F.huber_loss(tp, ty, reduction="none", delta=0.7)),
    ]:
        np.testing.assert_allclose(ours(y, pred).numpy(), theirs.mean(-1).numpy(), rtol=1e-12)


def test_shapes_dtypes_and_rank_one_inputs():
    y32 = np.array([[0.0, 1.0], [1.0, 1.0]], np.float32)
    for loss in (
        ops.mean_squared_error,
        ops.mean_absolute_error,
        ops.huber,
        ops.binary_crossentropy,
        ops.categorical_crossentropy,
    ):
        out = loss(y32, np.full((2, 2), 0.5, np.float32))
        assert out.shape == (2,) and out.dtype == np.float32
    # (N,) labels against (N, 1) predictions line up, as in Keras.
    np.testing.assert_allclose(
        ops.mean_squared_error([1.0, 2.0], [[1.5], [2.0]]).numpy(), [0.25, 0]
    )
    # Rank 1: each element is one sample.
    np.testing.assert_allclose(ops.mean_absolute_error([1.0, 2.0], [1.5, 4.0]).numpy(), [0.5, 2.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ops.mean_squared_error(np.ones((2, 3)), np.ones((2, 4))),
            r"mean_squared_error: y_true and y_pred must have the same shape, received "
            r"y_true.shape=\(2, 3\) and y_pred.shape=\(2, 4\)",
        ),
        (
            lambda: ops.categorical_crossentropy(np.ones((2, 3)), np.ones((3, 3))),
            r"categorical_crossentropy: .*y_true.shape=\(2, 3\) and y_pred.shape=\(3, 3\)",
        ),
        (lambda: ops.binary_crossentropy(np.ones(4), np.ones((4, 2))), r"y_true.shape=\(4,\)"),
        (
            lambda: ops.categorical_crossentropy(
                np.ones((2, 3)), np.ones((2, 3)), label_smoothing=2
            ),
            r"label_smoothing must be in \[0, 1\], received 2",
        ),
        (
            lambda: ops.huber(np.ones(2), np.ones(2), delta=-1.0),
            r"huber: delta must be a non-negative number, received -1.0",
        ),
        (
            lambda: ops.sparse_categorical_crossentropy([0], np.ones((1, 3)), axis=2),
            r"axis \(of y_pred\) must be in \[-2, 1\] for a tensor of rank 2, received 2",
        ),
    ],
)
def test_losses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
