"""Ops check their arguments at the boundary (issue 15, item 7): an axis past the rank is an
error naming the op, never wrapped around onto another axis; shapes that do not broadcast are an
error naming the op and the shapes; sizes and steps are checked before NumPy sees them.

The oracle for "no silent wrap" is NumPy itself: every op here refuses exactly the axes NumPy's
own function refuses, and on the accepted ones gives NumPy's answer.
"""

import numpy as np
import pytest

from convlens import ops

x = np.arange(6, dtype="float32").reshape(2, 3)

# (our op, NumPy's equivalent), both called as f(x, axis)
AXIS_OPS = {
    "sum": (lambda a, k: ops.sum(a, axis=k), lambda a, k: np.sum(a, axis=k)),
    "softmax": (
        lambda a, k: ops.softmax(a, axis=k),
        lambda a, k: np.exp(a) / np.exp(a).sum(axis=k, keepdims=True),
    ),
    "log_softmax": (
        lambda a, k: ops.log_softmax(a, axis=k),
        lambda a, k: a - np.log(np.exp(a).sum(axis=k, keepdims=True)),
    ),
    "sort": (lambda a, k: ops.sort(a, axis=k), lambda a, k: np.sort(a, axis=k)),
    "argsort": (lambda a, k: ops.argsort(a, axis=k), lambda a, k: np.argsort(a, axis=k)),
    "flip": (lambda a, k: ops.flip(a, axis=k), lambda a, k: np.flip(a, axis=k)),
    "repeat": (lambda a, k: ops.repeat(a, 2, axis=k), lambda a, k: np.repeat(a, 2, axis=k)),
    "take": (lambda a, k: ops.take(a, 0, axis=k), lambda a, k: np.take(a, 0, axis=k)),
    "concatenate": (
        lambda a, k: ops.concatenate([a, a], axis=k),
        lambda a, k: np.concatenate([a, a], axis=k),
    ),
    "stack": (lambda a, k: ops.stack([a, a], axis=k), lambda a, k: np.stack([a, a], axis=k)),
    "expand_dims": (lambda a, k: ops.expand_dims(a, k), lambda a, k: np.expand_dims(a, k)),
    "cumsum": (lambda a, k: ops.cumsum(a, axis=k), lambda a, k: np.cumsum(a, axis=k)),
    "argmax": (lambda a, k: ops.argmax(a, axis=k), lambda a, k: np.argmax(a, axis=k)),
    "unstack": (
        lambda a, k: ops.stack(ops.unstack(a, axis=k)),
        lambda a, k: np.stack(list(np.moveaxis(a, k, 0))),
    ),
    "moveaxis": (lambda a, k: ops.moveaxis(a, 0, k), lambda a, k: np.moveaxis(a, 0, k)),
    "swapaxes": (lambda a, k: ops.swapaxes(a, 0, k), lambda a, k: np.swapaxes(a, 0, k)),
    "take_along_axis": (
        lambda a, k: ops.take_along_axis(a, np.zeros((2, 3), "int64"), axis=k),
        lambda a, k: np.take_along_axis(a, np.zeros((2, 3), "int64"), axis=k),
    ),
}


@pytest.mark.parametrize("name", sorted(AXIS_OPS))
@pytest.mark.parametrize("axis", [-4, -3, -2, -1, 0, 1, 2, 3, 5])
def test_axes_are_refused_exactly_where_numpy_refuses_them(name, axis):
    ours, numpys = AXIS_OPS[name]
    try:
        expected = numpys(x, axis)
    except (np.exceptions.AxisError, ValueError, IndexError):
        with pytest.raises(ValueError, match=rf"{name}: \w+ must be in \[-\d, \d\] .* {axis}\."):
            ours(x, axis)
        return
    np.testing.assert_allclose(np.asarray(ours(x, axis).numpy()), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda: ops.add(x, np.ones((4, 5))), "add"),
        (lambda: ops.multiply(x, np.ones((3, 2))), "multiply"),
        (lambda: ops.maximum(x, np.ones((4,))), "maximum"),
        (lambda: ops.subtract(x, np.ones((3, 4))), "subtract"),
        (lambda: ops.equal(x, np.ones((4, 5))), "equal"),
        (lambda: ops.greater(x, np.ones((2,))), "greater"),
        (lambda: ops.where(x > 0, x, np.ones((4, 5))), "where"),
        (lambda: ops.broadcast_to(x, (4, 5)), "broadcast_to"),
    ],
)
def test_shapes_that_do_not_broadcast_name_the_op_and_shapes(call, op):
    with pytest.raises(ValueError, match=rf"^{op}: .*\(2, 3\).*broadcast"):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.zeros((2, -3)), r"zeros: shape must be an int >= 0 .* received \(2, -3\)"),
        (lambda: ops.ones(2.5), "ones: shape must be an int >= 0 .* received 2.5"),
        (lambda: ops.full((-1,), 0.0), r"full: shape must be an int >= 0"),
        (lambda: ops.tile(x, (2, -1)), r"tile: repeats must be an int >= 0"),
        (lambda: ops.eye(-2), "eye: N must be an int >= 0, received -2"),
        (lambda: ops.arange(0, 10, 0), "arange: step must not be 0"),
        (lambda: ops.transpose(x, (0, 0)), "transpose: axes must not repeat an axis"),
        (lambda: ops.mean(x, axis=(0, -2)), "mean: axis must not repeat an axis"),
        (lambda: ops.max_pool(x, 2), r"max_pool: .*4-D input .* received shape \(2, 3\)"),
    ],
)
def test_sizes_and_steps_are_checked_before_numpy(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_bool_or_float_axis_is_a_type_error():
    with pytest.raises(TypeError, match="softmax: axis must be an int, received True"):
        ops.softmax(x, axis=True)
    with pytest.raises(TypeError, match="flip: axis must be an int, received 1.0"):
        ops.flip(x, axis=1.0)


def test_keras_pool_names_match_the_2d_pools():
    images = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
    np.testing.assert_array_equal(
        ops.max_pool(images, 2).numpy(), ops.max_pool2d(images, 2).numpy()
    )
    np.testing.assert_array_equal(
        ops.average_pool(images, 3, strides=1, padding="same").numpy(),
        ops.avg_pool2d(images, 3, strides=1, padding="same").numpy(),
    )


@pytest.mark.parametrize("padding", [100_000, 10**20])
def test_a_padding_too_large_for_memory_is_refused_before_numpy(padding):
    """Measured before: 100,000 a MemoryError (149 GiB asked of NumPy), 10**20 a TypeError
    from numpy.pad; found by the CLI fuzz through filters.apply_kernel."""
    from convlens import explain, filters

    image = np.zeros((30, 40))
    with pytest.raises(ValueError, match=r"conv2d: padding .* GiB, more than this machine"):
        filters.apply_kernel(image, "sharpen", padding=padding, padding_mode="zeros")
    with pytest.raises(ValueError, match=r"explain_conv: padding .* GiB, more than"):
        explain.explain_conv([[1, 2], [3, 4]], [[1]], padding=padding)
    with pytest.raises(ValueError, match=r"explain_pool: padding .* GiB, more than"):
        explain.explain_pool([[0.0]], pool_size=10**6, padding="same")
