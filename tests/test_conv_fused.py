"""conv2d(..., activation="relu") is relu(conv2d(...)) fused: every kernel path, both passes."""

import numpy as np
import pytest

import convlens as cl
from conv_oracle import naive_conv2d
from convlens import ops
from convlens.kernels.geometry import resolve_padding
from convlens.ops import conv as conv_module

PATHS = {  # name: x shape, kernel shape, options (the kernel path each one takes)
    "im2col": ((3, 7, 7, 20), (3, 3, 20, 24), dict(strides=2, padding="same")),
    "direct (few channels, 5x5)": ((8, 12, 12, 1), (5, 5, 1, 6), dict(padding="same")),
    "banded (few channels, 4x4)": ((3, 12, 12, 1), (4, 4, 1, 6), dict(padding="same")),
    "winograd (3x3, >= 16 channels)": ((2, 7, 9, 16), (3, 3, 16, 16), dict(padding="same")),
    "depthwise": ((2, 8, 8, 4), (3, 3, 1, 8), dict(groups=4)),
    "1x1": ((2, 5, 5, 6), (1, 1, 6, 5), dict()),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_relu_equals_relu_after_the_convolution(path, dtype):
    x_shape, kernel_shape, options = PATHS[path]
    rng = np.random.default_rng(11)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    bias = rng.standard_normal(kernel_shape[-1])
    strides = (options.get("strides", 1),) * 2
    amounts = resolve_padding(
        options.get("padding", "valid"), x_shape[1:3], kernel_shape[:2], strides
    )
    expected = np.maximum(
        naive_conv2d(x, kernel, bias, strides, amounts, groups=options.get("groups", 1)), 0
    )
    tensors = [cl.Tensor(a.astype(dtype), requires_grad=True) for a in (x, kernel, bias)]
    fused = ops.conv2d(*tensors, activation="relu", **options)
    tolerance = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fused.numpy(), expected, **tolerance)
    assert fused.dtype == dtype and (expected == 0).any() and (expected > 0).any()
    upstream = rng.standard_normal(fused.shape).astype(dtype)
    fused.backward(upstream)
    fused_grads = [t.grad for t in tensors]
    plain = [cl.Tensor(a.astype(dtype), requires_grad=True) for a in (x, kernel, bias)]
    ops.relu(ops.conv2d(*plain, **options)).backward(upstream)  # the separate ReLU op
    for ours, theirs in zip(fused_grads, (t.grad for t in plain), strict=True):
        np.testing.assert_allclose(ours, theirs, **tolerance)


def test_conv2d_layer_with_relu_takes_the_fused_op(monkeypatch):
    calls = []
    apply = conv_module.Conv2D.apply
    monkeypatch.setattr(
        conv_module.Conv2D, "apply", lambda *a, **k: calls.append(k["relu"]) or apply(*a, **k)
    )
    x = np.random.default_rng(2).standard_normal((2, 6, 6, 3)).astype(np.float32)
    fused = cl.layers.Conv2D(4, 3, activation="relu", padding="same")
    plain = cl.layers.Conv2D(4, 3, padding="same")
    fused(x), plain(x)  # built on first call
    plain.set_weights(fused.get_weights())
    calls.clear()
    np.testing.assert_array_equal(fused(x).numpy(), np.maximum(plain(x).numpy(), 0))
    assert calls == [True, False]


def test_an_activation_other_than_relu_is_refused_by_name():
    with pytest.raises(ValueError, match='conv2d: activation must be None or "relu".*tanh'):
        ops.conv2d(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), activation="tanh")
