"""Tensor and autograd: seeding, accumulation, broadcasting, no_grad, dtypes, errors."""

import numpy as np
import pytest

import convlens as cl
from oracle import host


def test_a_scalar_is_seeded_with_one():
    x = cl.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [2.0, 4.0, 6.0])


def test_gradients_accumulate_until_zeroed():
    x = cl.Tensor([1.0, -2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [6.0, 6.0])
    x.zero_grad()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(host(x.grad), [3.0, 3.0])


def test_a_tensor_used_twice_receives_both_gradients():
    x = cl.Tensor([2.0], requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward(np.ones(1, np.float32))
    np.testing.assert_array_equal(host(x.grad), [5.0])


def test_a_shared_upstream_array_is_never_mutated_by_accumulation():
    # Add hands the same gradient array to both inputs; accumulating into one must not touch
    # the other.
    a = cl.Tensor([1.0], requires_grad=True)
    b = cl.Tensor([1.0], requires_grad=True)
    s = a + b
    (s + a).sum().backward()
    np.testing.assert_array_equal(host(a.grad), [2.0])
    np.testing.assert_array_equal(host(b.grad), [1.0])


def test_broadcast_gradients_reduce_to_each_input_shape():
    a = cl.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    b = cl.Tensor(np.ones((3, 1)), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 3, 4)
    assert b.grad.shape == (3, 1)
    np.testing.assert_array_equal(host(b.grad), np.full((3, 1), 8.0))


def test_a_deep_chain_does_not_hit_the_recursion_limit():
    x = cl.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0])


def test_no_grad_records_nothing():
    x = cl.Tensor([1.0], requires_grad=True)
    with cl.no_grad():
        y = x * 2
    assert not y.requires_grad and y._ctx is None
    assert cl.tensor.is_grad_enabled()


def test_inputs_without_gradients_get_none():
    x = cl.Tensor([1.0, 2.0], requires_grad=True)
    c = cl.Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(host(x.grad), [3.0, 4.0])


def test_python_numbers_and_lists_are_float32_and_float64_arrays_stay_float64():
    assert cl.Tensor([1, 2]).dtype == np.float32
    assert cl.Tensor(np.zeros(2, np.uint8)).dtype == np.float32
    assert cl.Tensor(np.zeros(2)).dtype == np.float64
    x = cl.Tensor(np.zeros(2, np.float32))
    assert (x + 1.5).dtype == np.float32, "a Python scalar must not upcast float32"
    assert (2.0 * x / 3.0 - 1).dtype == np.float32


def test_operators_match_numpy():
    a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [2.0, 3.0]])
    ta, tb = cl.Tensor(a), cl.Tensor(b)
    cases = {
        "+": (ta + tb, a + b),
        "-": (ta - tb, a - b),
        "*": (ta * tb, a * b),
        "/": (ta / tb, a / b),
        "**": (ta**2, a**2),
        "@": (ta @ tb, a @ b),
        "neg": (-ta, -a),
        "r-": (1 - ta, 1 - a),
        "r/": (1 / ta, 1 / a),
        "index": (ta[1, ::-1], a[1, ::-1]),
        "T": (ta.T, a.T),
    }
    for name, (ours, expected) in cases.items():
        np.testing.assert_allclose(ours.numpy(), expected, err_msg=name)


def test_ndarray_on_the_left_dispatches_to_the_tensor():
    x = cl.Tensor(np.ones(2), requires_grad=True)
    y = np.array([2.0, 3.0]) * x
    assert isinstance(y, cl.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [2.0, 3.0])


def test_backward_needs_an_explicit_gradient_for_a_non_scalar():
    x = cl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"explicit grad for a tensor of shape \(2,\)"):
        (x * 2).backward()


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    x = cl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_constant_is_an_error():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        cl.Tensor([1.0]).sum().backward()


def test_integer_tensors_cannot_require_gradients():
    with pytest.raises(TypeError, match="Only floating tensors"):
        cl.Tensor(np.array([1, 2]), requires_grad=True, dtype=np.int64)


def test_a_wrong_gradient_shape_from_a_function_is_caught_by_the_driver():
    class Broken(cl.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return grad[:1]

    x = cl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape \(1,\)"):
        Broken.apply(x).sum().backward()


def test_numpy_detach_and_repr():
    x = cl.Tensor([1.0], requires_grad=True)
    assert isinstance(x.numpy(), np.ndarray)
    assert not x.detach().requires_grad
    assert "requires_grad=True" in repr(x)
