"""CuPy on a GPU gives what NumPy gives: every op's forward and gradients, and whole models.

The NumPy engine is checked against independent oracles everywhere else in this suite, so here
it is the reference: the same op, run once on each backend from the same float64 inputs, must
agree to float64 rounding (different summation orders on the GPU, nothing more). Whole models
train a few float32 steps from the same weights on both and must follow the same losses.
These tests run only where CuPy finds a GPU; everywhere else they skip. The rest of the suite
also runs on the GPU: ``CONVLENS_BACKEND=cupy python -m pytest -q``.
"""

from __future__ import annotations

import numpy as np
import pytest

import convlens as cl
from convlens import backend, ops


def _gpu_or_skip():
    cupy = pytest.importorskip("cupy")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # CUDA libraries present, no driver or device  # noqa: BLE001
        count = 0
    if count == 0:
        pytest.skip("CuPy is installed but finds no GPU")
    return cupy


@pytest.fixture
def on_backend():
    """``on_backend(name)`` switches the array module; the previous one comes back afterwards."""
    _gpu_or_skip()
    previous = backend.backend_name()
    yield backend.set_backend
    backend.set_backend(previous)


def _run(op, arrays, upstream_seed=1):
    """``op``'s output and every input's gradient for a random upstream gradient, on the host."""
    tensors = [cl.Tensor(a, requires_grad=True) for a in arrays]
    out = op(*tensors)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    out.backward(upstream.astype(out.dtype))
    return [out.numpy()] + [backend.to_numpy(t.grad) for t in tensors]


def _images(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


OPS = {  # name -> (op on tensors, input arrays)
    "conv2d valid": (lambda x, k: ops.conv2d(x, k), (_images(2, 9, 9, 3), _images(3, 3, 3, 4))),
    "conv2d same strided dilated": (
        lambda x, k, b: ops.conv2d(x, k, b, strides=2, padding="same", dilation_rate=2),
        (_images(2, 11, 10, 3), _images(3, 3, 3, 5), _images(5)),
    ),
    "conv2d 5x5 few channels + relu": (
        lambda x, k, b: ops.conv2d(x, k, b, padding="same", activation="relu"),
        (_images(3, 28, 28, 1), _images(5, 5, 1, 6), _images(6)),
    ),
    "conv2d 3x3 32 channels + relu": (
        lambda x, k, b: ops.conv2d(x, k, b, padding="same", activation="relu"),
        (_images(2, 8, 8, 32), _images(3, 3, 32, 32), _images(32)),
    ),
    "conv2d groups channels_first reflect": (
        lambda x, k: ops.conv2d(
            x, k, padding=1, groups=2, data_format="channels_first", padding_mode="reflect"
        ),
        (_images(2, 4, 7, 7), _images(3, 3, 2, 6)),
    ),
    "conv2d_transpose": (
        lambda x, k: ops.conv2d_transpose(x, k, strides=2, padding="same"),
        (_images(2, 5, 5, 3), _images(3, 3, 4, 3)),
    ),
    "depthwise_conv2d": (
        lambda x, k: ops.depthwise_conv2d(x, k, padding="same"),
        (_images(2, 7, 7, 3), _images(3, 3, 3, 2)),
    ),
    "max_pool2d 2x2": (lambda x: ops.max_pool2d(x), (_images(2, 8, 8, 6),)),
    "min_pool2d 3x3 s1 same": (
        lambda x: ops.min_pool2d(x, 3, 1, padding="same"),
        (_images(2, 7, 7, 3),),
    ),
    "avg_pool2d 3x3 s2": (lambda x: ops.avg_pool2d(x, 3, 2), (_images(2, 9, 9, 3),)),
    "global pools": (
        lambda x: ops.global_max_pool2d(x) + ops.global_avg_pool2d(x),
        (_images(2, 5, 5, 3),),
    ),
    "pad replicate": (lambda x: ops.pad(x, 2, mode="replicate"), (_images(2, 4, 5, 3),)),
    "batch_norm_train": (
        lambda x, g, b: ops.batch_norm_train(x, g, b)[0],
        (_images(4, 3, 3, 5), _images(5), _images(5)),
    ),
    "dense + activations": (
        lambda x, w: ops.softmax(ops.gelu(ops.matmul(x, w)) + ops.elu(ops.matmul(x, w))),
        (_images(6, 7), _images(7, 4)),
    ),
}


@pytest.mark.parametrize("name", list(OPS))
def test_each_op_agrees_between_numpy_and_cupy(on_backend, name):
    op, arrays = OPS[name]
    on_backend("numpy")
    expected = _run(op, arrays)
    on_backend("cupy")
    got = _run(op, arrays)
    assert backend.backend_name() == "cupy"
    for i, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}, output {i}")


def _losses_of_a_few_steps(network, shape, steps=3, batch=16):
    """Train ``network`` from seed-0 weights on fixed data; the loss of each step."""
    rng = np.random.default_rng(0)
    x = rng.random((batch * steps, *shape), dtype=np.float32)
    y = rng.integers(0, 10, batch * steps)
    model = cl.applications.MODELS[network](shape, 10)
    weights = [np.random.default_rng(i).standard_normal(w.shape).astype(np.float32) * 0.1
               for i, w in enumerate(model.get_weights())]  # fmt: skip
    model.set_weights(weights)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return [
        model.train_on_batch(x[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch])
        for i in range(steps)
    ], model


@pytest.mark.parametrize("network, shape", [("lenet5", (28, 28, 1)), ("colour_cnn", (32, 32, 3))])
def test_training_steps_follow_the_same_losses(on_backend, network, shape):
    on_backend("numpy")
    expected, cpu_model = _losses_of_a_few_steps(network, shape)
    on_backend("cupy")
    got, gpu_model = _losses_of_a_few_steps(network, shape)
    assert isinstance(gpu_model.trainable_weights[0].data, backend.xp.ndarray)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    for a, b in zip(gpu_model.get_weights(), cpu_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_fit_takes_arrays_of_either_backend_and_predict_answers_on_the_host(on_backend):
    cupy = _gpu_or_skip()
    on_backend("cupy")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64)
    model = cl.applications.lenet5()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    host_history = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history
    device_history = model.fit(cupy.asarray(x), cupy.asarray(y), epochs=1, verbose=0).history
    assert np.isfinite(host_history["loss"][0]) and np.isfinite(device_history["loss"][0])
    predictions = model.predict(cupy.asarray(x[:8]), verbose=0)
    assert isinstance(predictions, np.ndarray) and predictions.shape == (8, 10)
    np.testing.assert_allclose(predictions, model.predict_on_batch(x[:8]), rtol=1e-5, atol=1e-7)


def test_a_model_saved_on_the_gpu_loads_and_predicts_the_same_on_the_cpu(on_backend, tmp_path):
    on_backend("cupy")
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    model = cl.applications.lenet5()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, np.arange(4))
    path = tmp_path / "lenet.keras"
    model.save(path)
    on_gpu = model.predict_on_batch(x)
    on_backend("numpy")
    restored = cl.models.load_model(path)
    assert isinstance(restored.trainable_weights[0].data, np.ndarray)
    np.testing.assert_allclose(restored.predict_on_batch(x), on_gpu, rtol=1e-5, atol=1e-7)
