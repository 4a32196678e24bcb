"""The thread pool behind the array kernels: the same results, in order, with or without it."""

import threading

import numpy as np
import pytest

from convlens.kernels import parallel
from oracle import numpy_only

pytestmark = numpy_only


def test_map_chunks_returns_results_in_order_from_several_threads(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "3")
    seen = set()

    def work(item):
        seen.add(threading.current_thread().name)
        return item * item

    assert parallel.map_chunks(work, range(40)) == [i * i for i in range(40)]
    assert any(name.startswith("convlens") for name in seen)


def test_one_thread_runs_every_chunk_in_the_caller(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "1")
    names = parallel.map_chunks(lambda _: threading.current_thread().name, range(5))
    assert set(names) == {threading.current_thread().name}


def test_a_kernel_inside_a_pool_thread_runs_in_sequence(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")

    def outer(item):
        here = threading.current_thread().name
        inner = parallel.map_chunks(lambda _: threading.current_thread().name, range(4))
        return set(inner) == {here}

    assert all(parallel.map_chunks(outer, range(4)))


def test_chunks_write_disjoint_parts_of_one_output(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    x = np.random.default_rng(0).standard_normal((64, 50))
    out = np.empty_like(x)

    def square(bounds):
        start, stop = bounds
        np.square(x[start:stop], out=out[start:stop])

    parallel.map_chunks(square, parallel.split(len(x), 7))
    np.testing.assert_array_equal(out, x * x)


@pytest.mark.parametrize("n, parts", [(10, 3), (2, 5), (1, 1), (128, 2), (7, 7)])
def test_split_covers_every_item_once_in_near_equal_ranges(n, parts):
    ranges = parallel.split(n, parts)
    assert [i for a, b in ranges for i in range(a, b)] == list(range(n))
    sizes = [b - a for a, b in ranges]
    assert len(ranges) == min(n, parts) and max(sizes) - min(sizes) <= 1


def test_a_bad_thread_count_says_what_it_received(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="CONVLENS_NUM_THREADS must be a positive integer.*many"):
        parallel.num_threads()


def test_blas_runs_on_one_thread_inside_the_pool_and_is_restored_after(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")

    def blas_threads(_=None):
        return {
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        }

    before = blas_threads()
    inside = parallel.map_chunks(blas_threads, range(2))
    assert inside == [{1}, {1}] or not before  # no BLAS found: nothing to limit
    assert blas_threads() == before


def test_relu_on_an_array_large_enough_to_split_matches_the_definition(monkeypatch):
    from convlens import ops
    from convlens.tensor import Tensor

    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 64, 64, 64)).astype(np.float32)  # odd rows: uneven halves
    x[0, 0, 0, :4] = 0.0  # relu'(0) = 0, as every framework
    assert x.nbytes >= 2 * parallel.MIN_BYTES
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    t = Tensor(x, requires_grad=True)
    y = ops.relu(t)
    (y * Tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(y.numpy(), np.where(x > 0, x, 0))
    np.testing.assert_array_equal(t.grad, np.where(x > 0, upstream, 0))


@pytest.mark.parametrize(
    "x_shape, kernel_shape, options",
    [
        ((5, 7, 7, 20), (3, 3, 10, 6), dict(strides=2, padding="same", groups=2)),  # col2im
        ((5, 9, 9, 2), (5, 5, 2, 4), dict(padding="same")),  # banded, few channels
        ((5, 6, 6, 3), (2, 2, 3, 20), dict(strides=2)),  # 20 filters: plain im2col
    ],
)
def test_convolutions_split_over_threads_in_uneven_chunks_match_the_loop_oracle(
    monkeypatch, x_shape, kernel_shape, options
):
    from conv_oracle import naive_conv2d
    from convlens import kernels, ops
    from convlens.kernels.geometry import resolve_padding
    from oracle import check_op

    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 1)  # one image per chunk: threads get 3 and 2
    assert parallel.chunks(5, 100) == [(i, i + 1) for i in range(5)]
    rng = np.random.default_rng(8)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    strides = (options.get("strides", 1),) * 2
    amounts = resolve_padding(
        options.get("padding", "valid"), x_shape[1:3], kernel_shape[:2], strides
    )
    with kernels.force(keep_patches=False):  # dW rebuilds the patches, in chunks
        check_op(
            lambda x, k: ops.conv2d(x, k, **options),
            lambda x, k: naive_conv2d(
                x, k, None, strides, amounts, groups=options.get("groups", 1)
            ),
            x,
            kernel,
        )


def test_inside_kernel_threads_blas_runs_on_one_thread_and_matmul_splits_rows(monkeypatch):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from convlens import ops
    from convlens.ops import linalg
    from convlens.tensor import Tensor

    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    monkeypatch.setattr(linalg, "PARALLEL_PRODUCT", 1)
    calls = []
    original = parallel.map_chunks
    monkeypatch.setattr(parallel, "map_chunks", lambda f, i: calls.append(1) or original(f, i))
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((9, 7)), rng.standard_normal((7, 4))
    upstream = rng.standard_normal((9, 4))
    expected = [a @ b, upstream @ b.T, a.T @ upstream]
    with parallel.kernel_threads():
        info = threadpoolctl.threadpool_info()
        assert {p["num_threads"] for p in info if p["user_api"] == "blas"} <= {1}
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        y = ops.matmul(ta, tb)
        y.backward(upstream)
    for got, want in zip((y.numpy(), ta.grad, tb.grad), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(calls) == 3  # forward, dA and dB each split


def test_zero_padding_split_over_threads_matches_numpy_pad(monkeypatch):
    from convlens.kernels.padding import pad_array

    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    x = np.random.default_rng(6).standard_normal((9, 64, 64, 16)).astype(np.float32)
    assert x.nbytes >= 2 * parallel.MIN_BYTES  # split into two blocks of images
    amounts = ((2, 0), (1, 3))
    expected = np.pad(x, ((0, 0), *amounts, (0, 0)))
    np.testing.assert_array_equal(pad_array(x, amounts), expected)


@pytest.mark.parametrize(
    "x_shape, kernel_shape, padding",
    [((33, 16, 16, 8), (3, 3, 8, 16), "valid"), ((40, 28, 28, 1), (5, 5, 1, 6), "same")],
    ids=["im2col patches", "banded patches"],
)
def test_kernel_gradient_from_kept_patches_split_over_threads_matches_tap_sums(
    monkeypatch, x_shape, kernel_shape, padding
):
    from convlens import kernels, ops
    from convlens.kernels import banded, im2col
    from convlens.kernels.thresholds import limit
    from convlens.tensor import Tensor

    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    KH, KW = kernel_shape[:2]
    if padding == "same":
        x_padded = np.pad(x, ((0, 0), (KH // 2, KH // 2), (KW // 2, KW // 2), (0, 0)))
    else:
        x_padded = x
    OH, OW = x_padded.shape[1] - KH + 1, x_padded.shape[2] - KW + 1
    upstream = rng.standard_normal((x_shape[0], OH, OW, kernel_shape[3]))
    w = Tensor(kernel, requires_grad=True)
    route = "banded" if kernel_shape[2] == 1 else "im2col"  # the path named
    with kernels.force(route, keep_patches=True):
        y = ops.conv2d(x, w, padding=padding)
        saved = y._ctx.saved
        assert isinstance(saved, (banded if route == "banded" else im2col).KeptPatches)
        kept = saved.matrix if route == "banded" else saved.cols
        assert 2 * parallel.MIN_BYTES <= kept.nbytes <= limit("keep_patches_bytes")  # split
        y.backward(upstream)
    # dW[i, j] = Σ over images and pixels of the input at tap (i, j) times dY
    expected = [
        [
            np.einsum("nhwc,nhwo->co", x_padded[:, i : i + OH, j : j + OW], upstream)
            for j in range(KW)
        ]
        for i in range(KH)
    ]
    np.testing.assert_allclose(w.grad, np.array(expected), rtol=1e-10)


def test_a_chunks_error_reaches_the_caller_after_every_chunk_has_finished(monkeypatch):
    """The first failing chunk's error, in chunk order, once the others are done writing."""
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "3")
    finished = []

    def chunk(index):
        if index in (1, 2):
            raise ValueError(f"chunk {index}")
        finished.append(index)
        return index

    with pytest.raises(ValueError, match="chunk 1"):
        parallel.map_chunks(chunk, [0, 1, 2, 3])
    assert sorted(finished) == [0, 3]
    assert parallel.map_chunks(lambda i: i * i, range(5)) == [0, 1, 4, 9, 16]
