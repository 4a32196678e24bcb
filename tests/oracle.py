"""Independent references for the tests: finite differences, a comparison helper, PyTorch.

Never imported by the package. ``check_op`` is the one line per case that compares an op's
forward pass with an oracle and every input's gradient with float64 central differences.
"""

from __future__ import annotations

import contextlib
import sys

import numpy as np
import pytest

import convlens as cl


def to_float64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


numpy_only = pytest.mark.skipif(
    cl.backend.backend_name() != "numpy",
    reason="checks a NumPy-only path (thread pool, compiled kernels); CuPy takes the others",
)


def without_numba(monkeypatch, kernels_module: str) -> None:
    """Make Numba, and so ``convlens.kernels.compiled.<kernels_module>``, unimportable for one test:
    the compiled loops' cache is emptied (restored afterwards) and the NumPy route takes over."""
    from convlens.kernels import compiled

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    monkeypatch.setitem(sys.modules, f"convlens.kernels.compiled.{kernels_module}", None)
    monkeypatch.delattr(compiled, kernels_module, raising=False)
    monkeypatch.setattr(compiled, "_loaded", {})
    assert compiled.compiled(kernels_module) is None


@contextlib.contextmanager
def spies(module, *names):
    """Within the block, calls of ``module.<name>`` for each of ``names`` are recorded (by name,
    in order) in the list it yields, and still run: proof that a route was reached."""
    calls = []
    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            function = getattr(module, name)
            spy = lambda *a, _f=function, _name=name, **k: calls.append(_name) or _f(*a, **k)  # noqa: E731
            patch.setattr(module, name, spy)
        yield calls


def host(array):
    """A NumPy copy of a backend array (a CuPy array is copied from the GPU), for assertions."""
    return cl.backend.to_numpy(array)


def backprop(fn, arrays, upstream):
    """Gradients of ``sum(fn(*arrays) * upstream)`` with respect to every array, by our autograd."""
    tensors = [cl.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(np.asarray(upstream, dtype=out.dtype))
    return [None if t.grad is None else host(t.grad) for t in tensors]


def assert_gradients(fn, *arrays, directions=3, eps=1e-6, rtol=1e-6, atol=1e-8, seed=0, wrt=None):
    """Check autograd against float64 central differences along random directions.

    For a random upstream gradient R and random directions V_i, the directional derivative
    (L(x + eV) - L(x - eV)) / 2e of L = Σ fn(x)·R must equal Σ_i <grad_i, V_i>.
    ``wrt`` lists the indices of the arguments to differentiate (default: all).
    """
    rng = np.random.default_rng(seed)
    arrays = to_float64(*arrays)
    wrt = range(len(arrays)) if wrt is None else wrt
    out = fn(*[cl.Tensor(a) for a in arrays]).numpy()
    upstream = rng.standard_normal(out.shape)
    grads = backprop(fn, arrays, upstream)

    def loss(values):
        return float((fn(*[cl.Tensor(v) for v in values]).numpy() * upstream).sum())

    for _ in range(directions):
        direction = [
            rng.standard_normal(a.shape) if i in wrt else np.zeros_like(a)
            for i, a in enumerate(arrays)
        ]
        plus = loss([a + eps * d for a, d in zip(arrays, direction)])
        minus = loss([a - eps * d for a, d in zip(arrays, direction)])
        numeric = (plus - minus) / (2 * eps)
        analytic = sum(
            float((g * d).sum()) for i, (g, d) in enumerate(zip(grads, direction)) if i in wrt
        )
        np.testing.assert_allclose(
            analytic,
            numeric,
            rtol=rtol,
            atol=atol,
            err_msg="autograd disagrees with central differences",
        )


def check_op(ours, oracle, *arrays, rtol=1e-6, atol=1e-9, grad=True, wrt=None, **grad_options):
    """Forward of ``ours`` (on Tensors) equals ``oracle`` (on float64 arrays); gradients equal
    central differences. Both run in float64, so tolerances are tight."""
    arrays = to_float64(*arrays)
    expected = np.asarray(oracle(*arrays))
    got = ours(*[cl.Tensor(a) for a in arrays]).numpy()
    assert got.shape == expected.shape, f"shape {got.shape} != oracle's {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    if grad:
        assert_gradients(ours, *arrays, wrt=wrt, **grad_options)


def torch_or_skip():
    """PyTorch, the further oracle, or a clean skip when it is not installed."""
    return pytest.importorskip("torch")
