"""Pooling against a naive loop written from the lecture's definition, central differences and
PyTorch."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import convlens as cl
from convlens import ops
from convlens.kernels import pool2x2
from convlens.ops import pool as pool_module
from oracle import assert_gradients, check_op, host, torch_or_skip

POOLS = {"max": ops.max_pool2d, "min": ops.min_pool2d, "avg": ops.avg_pool2d}
REDUCE = {"max": np.max, "min": np.min, "avg": np.mean}


def naive_pool(x, pool, strides, padding, kind, data_format="channels_last"):
    """Walk the window over every map and keep the max, min or mean of the real cells in it.

    "same" as TensorFlow: ceil(H / S) outputs, the padding split with the odd cell at the end;
    padded cells are not part of any window's values.
    """
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    N, H, W, C = x.shape
    (PH, PW), (SH, SW) = pool, strides
    if padding == "same":
        OH, OW = math.ceil(H / SH), math.ceil(W / SW)
        top = max((OH - 1) * SH + PH - H, 0) // 2
        left = max((OW - 1) * SW + PW - W, 0) // 2
    else:
        OH, OW, top, left = (H - PH) // SH + 1, (W - PW) // SW + 1, 0, 0
    out = np.empty((N, OH, OW, C))
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                for c in range(C):
                    window = [
                        x[n, r, s, c]
                        for r in range(oh * SH - top, oh * SH - top + PH)
                        for s in range(ow * SW - left, ow * SW - left + PW)
                        if 0 <= r < H and 0 <= s < W
                    ]
                    out[n, oh, ow, c] = REDUCE[kind](window)
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


def distinct(shape, seed=0):
    """Distinct values in [-0.5, 0.5) in random order: no ties, so central differences (steps of
    about 1e-6) see one winner, and the loss stays near 1 so their round-off stays small."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) - n / 2) / n


def pool_fn(kind, pool, strides, padding, data_format):
    return lambda t: POOLS[kind](t, pool, strides, padding, data_format)


side = st.integers(1, 9)
pair = st.tuples(st.integers(1, 3), st.integers(1, 3))


@given(
    kind=st.sampled_from(["max", "min", "avg"]),
    shape=st.tuples(st.integers(1, 3), side, side, st.integers(1, 3)),
    pool=pair,
    strides=st.one_of(st.none(), pair),
    padding=st.sampled_from(["valid", "same"]),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
)
def test_pooling_matches_the_lecture_definition(kind, shape, pool, strides, padding, data_format):
    N, H, W, C = shape
    assume(padding == "same" or (H >= pool[0] and W >= pool[1]))
    x = distinct(shape, seed=H * 10 + W)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    strides_ = pool if strides is None else strides
    check_op(
        pool_fn(kind, pool, strides, padding, data_format),
        lambda a: naive_pool(a, pool, strides_, padding, kind, data_format),
        x,
        rtol=1e-12,
        atol=1e-12,
    )


@given(
    kind=st.sampled_from(["max", "min", "avg"]),
    shape=st.tuples(st.integers(1, 3), side, side, st.integers(1, 3)),
    pool=pair,
    padding=st.sampled_from(["valid", "same"]),
)
def test_float32_stays_float32_and_agrees_with_float64(kind, shape, pool, padding):
    assume(padding == "same" or (shape[1] >= pool[0] and shape[2] >= pool[1]))
    x64 = distinct(shape)
    x32 = cl.Tensor(x64.astype(np.float32), requires_grad=True)
    y32 = POOLS[kind](x32, pool, padding=padding)
    assert y32.dtype == np.float32
    expected = naive_pool(x64, pool, pool, padding, kind)
    np.testing.assert_allclose(y32.numpy(), expected, rtol=1e-6, atol=1e-7)
    upstream = np.random.default_rng(1).standard_normal(y32.shape)
    y32.backward(upstream.astype(np.float32))
    x = cl.Tensor(x64, requires_grad=True)
    POOLS[kind](x, pool, padding=padding).backward(upstream)
    assert x32.grad.dtype == np.float32
    np.testing.assert_allclose(host(x32.grad), host(x.grad), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "min", "avg"])
@pytest.mark.parametrize(
    "shape, pool, strides, padding",
    [
        ((2, 8, 8, 3), 2, None, "valid"),  # windows tile exactly
        ((2, 7, 9, 2), 2, None, "valid"),  # a leftover row and column get no gradient
        ((1, 7, 7, 2), 3, 1, "same"),  # overlapping windows, padding on every side
        ((2, 6, 5, 2), (2, 3), (3, 1), "same"),  # rectangular pool, gaps between rows
        ((1, 5, 5, 1), 2, 3, "valid"),  # stride larger than the pool
        ((1, 4, 4, 2), 5, 2, "same"),  # pool larger than the input, allowed by "same"
        ((1, 17, 18, 1), 17, 1, "valid"),  # a 17×17 pool: the arg index needs 16 bits
    ],
)
def test_pooling_cases(kind, shape, pool, strides, padding):
    pool_pair = (pool, pool) if isinstance(pool, int) else pool
    strides_pair = (
        pool_pair if strides is None else ((strides,) * 2 if isinstance(strides, int) else strides)
    )
    for data_format in ("channels_last", "channels_first"):
        x = distinct(shape)
        if data_format == "channels_first":
            x = x.transpose(0, 3, 1, 2).copy()
        check_op(
            pool_fn(kind, pool, strides, padding, data_format),
            lambda a, df=data_format: naive_pool(a, pool_pair, strides_pair, padding, kind, df),
            x,
            rtol=1e-12,
            atol=1e-12,
        )


def test_max_and_min_ties_send_the_gradient_to_the_first_cell_of_the_window():
    window = np.array([[0.0, 5.0], [5.0, 0.0]]).reshape(1, 2, 2, 1)
    x = cl.Tensor(window, requires_grad=True)
    ops.max_pool2d(x, 2).backward(np.ones((1, 1, 1, 1)))
    assert host(x.grad)[0, :, :, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]  # row by row: (0, 1) first
    x = cl.Tensor(-window, requires_grad=True)
    ops.min_pool2d(x, 2).backward(np.ones((1, 1, 1, 1)))
    assert host(x.grad)[0, :, :, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]
    x = cl.Tensor(np.ones((1, 4, 4, 1)), requires_grad=True)
    ops.max_pool2d(x, 2).backward(np.full((1, 2, 2, 1), 3.0))
    assert host(x.grad)[0, :, :, 0].tolist() == [
        [3, 0, 3, 0],
        [0, 0, 0, 0],
        [3, 0, 3, 0],
        [0, 0, 0, 0],
    ]


def every_2x2_tie_pattern(channels):
    """All 81 windows of values in {0, 1, 2}, one per 2×2 tile: (1, 18, 18, channels), each
    channel the windows in another order."""
    windows = np.array(list(itertools.product(range(3), repeat=4)), float)  # (81, 4)
    channels = [np.roll(windows, 7 * c, axis=0).reshape(9, 9, 2, 2) for c in range(channels)]
    return np.stack([w.transpose(0, 2, 1, 3).reshape(18, 18) for w in channels], -1)[None]


def first_winner_gradient(x, upstream, kind):
    """dX of 2×2 stride-2 pooling by the definition: each window's upstream value goes to the
    first cell, row by row, that holds the window's max (min)."""
    pick = np.argmax if kind == "max" else np.argmin  # both return the first occurrence
    dx = np.zeros_like(x)
    N, H, W, C = x.shape
    for n, oh, ow, c in np.ndindex(N, H // 2, W // 2, C):
        i, j = divmod(int(pick(x[n, 2 * oh : 2 * oh + 2, 2 * ow : 2 * ow + 2, c])), 2)
        dx[n, 2 * oh + i, 2 * ow + j, c] = upstream[n, oh, ow, c]
    return dx


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2x2_windows_with_every_tie_pattern(monkeypatch, kind, data_format, dtype):
    """2×2 windows that tile the input take a contiguous path (pool2x2.extreme_2x2); with ties the
    first cell of the window still takes the gradient."""
    calls = []
    fast = pool_module.extreme_2x2
    spy = lambda *a, **k: calls.append(1) or fast(*a, **k)  # noqa: E731
    monkeypatch.setattr(pool_module, "extreme_2x2", spy)
    x = every_2x2_tie_pattern(channels=3)
    upstream = np.random.default_rng(2).standard_normal((1, 9, 9, 3))
    to_layout = (lambda a: a.transpose(0, 3, 1, 2)) if data_format == "channels_first" else None
    ours = cl.Tensor((to_layout or np.asarray)(x).astype(dtype), requires_grad=True)
    y = POOLS[kind](ours, 2, data_format=data_format)
    y.backward((to_layout or np.asarray)(upstream).astype(dtype))
    expected = naive_pool(x, (2, 2), (2, 2), "valid", kind)
    np.testing.assert_array_equal(y.numpy(), (to_layout or np.asarray)(expected))
    dx = first_winner_gradient(x, upstream.astype(dtype), kind)
    np.testing.assert_array_equal(host(ours.grad), (to_layout or np.asarray)(dx))
    assert y.dtype == ours.grad.dtype == dtype and calls


@pytest.mark.parametrize(
    "shape, pool, strides, padding, fast",
    [
        ((2, 8, 10, 3), 2, None, "valid", True),
        ((2, 7, 9, 3), 2, None, "same", True),  # padded to 8×10: padded cells never win
        ((2, 7, 9, 3), 2, None, "valid", False),  # a leftover row and column
        ((2, 8, 8, 3), 2, 1, "valid", False),  # overlapping windows
        ((2, 9, 9, 3), 3, None, "valid", False),  # 3×3 windows
    ],
)
def test_2x2_path_routing_with_ties_matches_the_definition(
    monkeypatch, shape, pool, strides, padding, fast
):
    monkeypatch.setattr(pool2x2, "POOL_CHUNK_BYTES", 1)  # one image per chunk
    calls = []
    original = pool_module.extreme_2x2
    spy = lambda *a, **k: calls.append(1) or original(*a, **k)  # noqa: E731
    monkeypatch.setattr(pool_module, "extreme_2x2", spy)
    x = np.random.default_rng(3).integers(0, 3, shape).astype(np.float64)  # many ties
    for kind in ("max", "min"):
        ours = cl.Tensor(x, requires_grad=True)
        y = POOLS[kind](ours, pool, strides, padding)
        strides_ = (pool, pool) if strides is None else (strides, strides)
        np.testing.assert_array_equal(
            y.numpy(), naive_pool(x, (pool, pool), strides_, padding, kind)
        )
        y.backward(np.ones(y.shape))
        assert ours.grad.sum() == y.size  # every window sends its upstream value somewhere
        if pool == 2 and strides is None:  # no overlap: compare with the definition
            fill = -np.inf if kind == "max" else np.inf
            padded = np.pad(
                x, ((0, 0), (0, shape[1] % 2), (0, shape[2] % 2), (0, 0)), constant_values=fill
            )
            dx = first_winner_gradient(padded if padding == "same" else x, np.ones(y.shape), kind)
            np.testing.assert_array_equal(host(ours.grad), dx[:, : shape[1], : shape[2]])
    assert bool(calls) == fast


@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 1), (2, 1), ((3, 2), (1, 2))])
def test_max_pool_with_ties_matches_pytorch(pool, strides):
    torch = torch_or_skip()
    x = np.random.default_rng(0).integers(0, 3, (2, 3, 7, 8)).astype(np.float64)  # many ties
    upstream_shape = ops.max_pool2d(x, pool, strides, data_format="channels_first").shape
    upstream = np.random.default_rng(1).standard_normal(upstream_shape)
    ours = cl.Tensor(x, requires_grad=True)
    y = ops.max_pool2d(ours, pool, strides, data_format="channels_first")
    y.backward(upstream)
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.max_pool2d(theirs, pool, strides)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(
    "pool, strides, padding, torch_padding",
    [(2, 2, "valid", 0), (3, 2, "valid", 0), (3, 1, "same", 1), ((3, 5), 1, "same", (1, 2))],
)
def test_against_pytorch(kind, pool, strides, padding, torch_padding):
    """Where TensorFlow's "same" padding is symmetric, PyTorch can compute it too: max pooling
    pads with -inf, average pooling with count_include_pad=False."""
    torch = torch_or_skip()
    F = torch.nn.functional
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10))
    if kind == "max":
        oracle = lambda t: F.max_pool2d(t, pool, strides, torch_padding)  # noqa: E731
    else:
        oracle = lambda t: F.avg_pool2d(t, pool, strides, torch_padding, count_include_pad=False)  # noqa: E731
    ours = cl.Tensor(x, requires_grad=True)
    y = POOLS[kind](ours, pool, strides, padding, "channels_first")
    theirs = torch.tensor(x, requires_grad=True)
    expected = oracle(theirs)
    upstream = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(data_format, keepdims):
    x = distinct((2, 3, 4, 5))
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    check_op(
        lambda t: ops.global_avg_pool2d(t, data_format, keepdims),
        lambda a: a.mean(axis=axes, keepdims=keepdims),
        x,
    )
    check_op(
        lambda t: ops.global_max_pool2d(t, data_format, keepdims),
        lambda a: a.max(axis=axes, keepdims=keepdims),
        x,
    )
    assert ops.global_avg_pool2d(x.astype(np.float32), data_format).dtype == np.float32


def test_arrays_in_tensors_out_and_integers_become_float32():
    image = np.arange(16).reshape(1, 4, 4, 1)  # an integer image
    y = ops.max_pool2d(image)
    assert isinstance(y, cl.Tensor) and y.dtype == np.float32
    assert y.numpy()[0, :, :, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]


def test_gradient_of_overlapping_windows_adds_the_shares():
    x = distinct((1, 6, 6, 2), seed=3)
    for kind in ("max", "avg"):
        assert_gradients(lambda t, k=kind: POOLS[k](t, 3, 1, "same"), x)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: ops.max_pool2d(np.zeros((1, 2, 2, 1)), 3),
            ValueError,
            r"max_pool2d: the pool \(3, 3\) does not fit the input.*\(1, 2, 2, 1\)",
        ),
        (
            lambda: ops.avg_pool2d(np.zeros((1, 4, 4, 1)), padding="full"),
            ValueError,
            r'avg_pool2d: padding must be "valid" or "same", received \'full\'',
        ),
        (
            lambda: ops.min_pool2d(np.zeros((1, 4, 4, 1)), padding=1),
            ValueError,
            r'min_pool2d: padding must be "valid" or "same"',
        ),
        (
            lambda: ops.max_pool2d(np.zeros((4, 4, 1))),
            ValueError,
            r"max_pool2d: expected a 4-D input \(batch, height, width, channels\), "
            r"received shape \(4, 4, 1\)",
        ),
        (
            lambda: ops.max_pool2d(np.zeros((1, 1, 4, 4, 1)), data_format="channels_first"),
            ValueError,
            r"\(batch, channels, height, width\)",
        ),
        (
            lambda: ops.max_pool2d(np.zeros((1, 4, 4, 1)), data_format="NHWC"),
            ValueError,
            r"max_pool2d: unknown data_format 'NHWC'",
        ),
        (
            lambda: ops.max_pool2d(np.zeros((1, 4, 4, 1)), 0),
            ValueError,
            r"max_pool2d: pool_size must be positive",
        ),
        (
            lambda: ops.avg_pool2d(np.zeros((1, 4, 4, 1)), 2, (1, 2, 3)),
            ValueError,
            r"avg_pool2d: strides must be an int or a pair of ints",
        ),
        (
            lambda: ops.max_pool2d(np.zeros((0, 4, 4, 1))),
            ValueError,
            r"max_pool2d: expected a non-empty input",
        ),
        (
            lambda: ops.global_avg_pool2d(np.zeros((4, 4, 1))),
            ValueError,
            r"global_avg_pool2d: expected a 4-D input",
        ),
        (
            lambda: ops.max_pool2d(cl.Tensor(np.zeros((1, 2, 2, 1)), dtype=np.int32)),
            TypeError,
            r"max_pool2d: expected a floating input, received dtype int32",
        ),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_2x2_pooling_without_a_gradient_skips_the_index(monkeypatch, kind, data_format):
    """Inference keeps no winner index: the values-only path must still match the definition."""
    calls = []
    original = pool_module.extreme_2x2
    spy = lambda *a, **k: calls.append(k["with_index"]) or original(*a, **k)  # noqa: E731
    monkeypatch.setattr(pool_module, "extreme_2x2", spy)
    x = np.random.default_rng(9).integers(0, 3, (3, 8, 10, 5)).astype(np.float32)  # ties
    to_layout = (lambda a: a.transpose(0, 3, 1, 2)) if data_format == "channels_first" else None
    with cl.no_grad():
        y = POOLS[kind]((to_layout or np.asarray)(x), 2, data_format=data_format)
    expected = naive_pool(x, (2, 2), (2, 2), "valid", kind)
    np.testing.assert_array_equal(y.numpy(), (to_layout or np.asarray)(expected))
    assert calls == [False]
