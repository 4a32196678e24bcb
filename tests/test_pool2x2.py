"""2×2 stride-2 max and min pooling through both of its routes: the Numba kernels
(kernels/compiled/pool2x2.py, each test checks that they ran) and the NumPy passes that take over
where numba cannot be imported, against the definition (test_pool.py's oracles)."""

import importlib.util
import itertools

import numpy as np
import pytest

import convlens as cl
from convlens import ops
from convlens.kernels import conv_plan, parallel, pool2x2
from convlens.kernels.pool_plan import pool_plan
from oracle import numpy_only, without_numba
from test_pool import every_2x2_tie_pattern, first_winner_gradient, naive_pool

pytestmark = [
    numpy_only,
    pytest.mark.skipif(  # without numba, test_pool.py covers the NumPy passes
        importlib.util.find_spec("numba") is None, reason="the pooling kernels need numba"
    ),
]
POOLS = {"max": ops.max_pool2d, "min": ops.min_pool2d}
ROUTES = ["kernels", "numpy"]


def take(route, monkeypatch):
    """Send 2×2 pooling down ``route``: returns the list of kernel calls it records (kernels),
    or None after making numba unimportable (numpy)."""
    if route == "numpy":
        without_numba(monkeypatch, "pool2x2")
        assert pool2x2.compiled() is None
        return None
    kernels, calls = pool2x2.compiled(), []
    for name in ("forward", "forward_values", "backward"):
        kernel = getattr(kernels, name)
        spy = lambda *a, _kernel=kernel, _name=name: calls.append(_name) or _kernel(*a)  # noqa: E731
        monkeypatch.setattr(kernels, name, spy)
    return calls


def to_layout(a, data_format):
    return a.transpose(0, 3, 1, 2) if data_format == "channels_first" else a


def pool_both_ways(x, kind, data_format, upstream):
    """(values, dX for ``upstream``, values without a gradient) of 2×2 pooling of NHWC ``x`` in
    ``data_format``, all returned NHWC."""
    ours = cl.Tensor(np.ascontiguousarray(to_layout(x, data_format)), requires_grad=True)
    y = POOLS[kind](ours, 2, data_format=data_format)
    y.backward(np.ascontiguousarray(to_layout(upstream, data_format)))
    with cl.no_grad():
        inference = POOLS[kind](ours.numpy(), 2, data_format=data_format).numpy()
    back = (lambda a: a.transpose(0, 2, 3, 1)) if data_format == "channels_first" else np.asarray
    return back(y.numpy()), back(ours.grad), back(inference)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_tie_pattern_matches_the_definition(monkeypatch, route, kind, data_format, dtype):
    """All 81 windows of values in {0, 1, 2}: the first cell (row by row) holding the extreme
    takes the gradient, as PyTorch and TensorFlow."""
    calls = take(route, monkeypatch)
    x = every_2x2_tie_pattern(channels=3).astype(dtype)
    upstream = np.random.default_rng(2).standard_normal((1, 9, 9, 3)).astype(dtype)
    y, dx, inference = pool_both_ways(x, kind, data_format, upstream)
    expected = naive_pool(x, (2, 2), (2, 2), "valid", kind)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(inference, expected)
    np.testing.assert_array_equal(dx, first_winner_gradient(x, upstream, kind))
    assert y.dtype == dx.dtype == inference.dtype == dtype
    assert calls is None or calls == ["forward", "backward", "forward_values"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "shape, padding",
    [
        ((2, 6, 8, 1), "valid"),  # one value per pixel: the kernels' loops along a row
        ((2, 4, 6, 6), "valid"),  # LeNet-5's 6 channels: dX zeroed, then dY placed
        ((2, 4, 4, 16), "valid"),  # whole vectors of channels: one loop per window cell
        ((3, 4, 2, 24), "valid"),
        ((2, 5, 7, 3), "same"),  # padded to 6×8 with -inf (+inf): padded cells never win
    ],
)
def test_channel_counts_and_padding_match_the_definition(monkeypatch, route, shape, padding):
    calls = take(route, monkeypatch)
    x = np.random.default_rng(3).integers(0, 3, shape).astype(np.float64)  # many ties
    for kind in ("max", "min"):
        ours = cl.Tensor(x, requires_grad=True)
        y = POOLS[kind](ours, 2, padding=padding)
        upstream = np.random.default_rng(4).standard_normal(y.shape)
        y.backward(upstream)
        np.testing.assert_array_equal(y.numpy(), naive_pool(x, (2, 2), (2, 2), padding, kind))
        fill = -np.inf if kind == "max" else np.inf
        rows, columns = shape[1] % 2, shape[2] % 2  # the "same" padding at the bottom/right
        padded = np.pad(x, ((0, 0), (0, rows), (0, columns), (0, 0)), constant_values=fill)
        dx = first_winner_gradient(padded, upstream, kind)[:, : shape[1], : shape[2]]
        np.testing.assert_array_equal(ours.grad, dx)
    assert calls is None or calls == ["forward", "backward"] * 2


def test_nan_and_infinities_give_what_the_numpy_passes_give(monkeypatch):
    """Every window of values in {0, 1, NaN, -inf, +inf}: the same values (NaN wherever a
    window holds one), winners and inference values through both routes."""
    cells = [0.0, 1.0, np.nan, -np.inf, np.inf]
    windows = np.array(list(itertools.product(cells, repeat=4)))  # (625, 4)
    x = np.repeat(windows.reshape(-1, 2, 2, 1), 3, axis=-1)  # (625, 2, 2, 3)
    upstream = np.arange(1.0, 1 + x.size // 4).reshape(-1, 1, 1, 3)
    answers = {}
    for route in ROUTES:
        with monkeypatch.context() as patch:
            take(route, patch)
            for case in itertools.product(["max", "min"], ["channels_last", "channels_first"]):
                answers[route, case] = pool_both_ways(x, *case, upstream)
    for case in itertools.product(["max", "min"], ["channels_last", "channels_first"]):
        kernels, numpy_passes = answers["kernels", case], answers["numpy", case]
        for ours, theirs in zip(kernels, numpy_passes, strict=True):
            np.testing.assert_array_equal(ours, theirs)
        assert np.array_equal(np.isnan(kernels[0][:, 0, 0, 0]), np.isnan(windows).any(axis=1))


def test_image_blocks_on_several_threads_give_the_same_answer(monkeypatch):
    """Blocks of window rows on three threads, the last one short."""
    calls = take("kernels", monkeypatch)
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "3")
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)  # split even this small input
    x = np.random.default_rng(5).integers(0, 3, (5, 6, 4, 6)).astype(np.float32)
    upstream = np.random.default_rng(6).standard_normal((5, 3, 2, 6)).astype(np.float32)
    for data_format in ("channels_last", "channels_first"):
        y, dx, inference = pool_both_ways(x, "max", data_format, upstream)
        expected = naive_pool(x, (2, 2), (2, 2), "valid", "max")
        np.testing.assert_array_equal(y, expected)
        np.testing.assert_array_equal(inference, expected)
        np.testing.assert_array_equal(dx, first_winner_gradient(x, upstream, "max"))
    assert calls.count("forward") == 2 * 3  # three blocks per call


def test_other_backends_and_dtypes_take_the_numpy_passes(monkeypatch):
    def plan(dtype):
        return pool_plan((1, 4, 4, 2), (2, 2), (2, 2), (1, 2), dtype)

    assert (plan(np.float32).forward, plan(np.float32).backward) == ("compiled_2x2",) * 2
    assert (plan(np.float16).forward, plan(np.float16).backward) == ("passes_2x2", "windows")
    x = cl.Tensor(np.random.default_rng(7).standard_normal((1, 4, 4, 2)).astype(np.float16))
    y = ops.max_pool2d(x)
    np.testing.assert_array_equal(y.numpy(), naive_pool(x.numpy(), (2, 2), (2, 2), "valid", "max"))
    monkeypatch.setattr(conv_plan.backend, "xp", object())  # CuPy: NumPy's passes, on the GPU
    assert plan(np.float32).forward == "passes_2x2"
