"""The compiled kernels on Numba's own threads (kernels/compiled_threads.py): the same answers as
on the Python threads, TBB as the layer, and processes forked after training still train."""

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from convlens.kernels import compiled_threads, direct, parallel, pool2x2
from oracle import numpy_only

pytestmark = [
    numpy_only,
    pytest.mark.skipif(
        importlib.util.find_spec("numba") is None, reason="the compiled kernels need numba"
    ),
]


def tbb_installed() -> bool:
    try:
        importlib.metadata.version("tbb")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


needs_tbb = pytest.mark.skipif(not tbb_installed(), reason="Numba's pool is used on TBB only")


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")


def on_python_threads(monkeypatch):
    monkeypatch.setattr(compiled_threads, "threads", lambda: 0)


@needs_tbb
def test_a_fresh_process_launches_numbas_pool_on_tbb():
    script = "import numba\nfrom convlens.kernels import compiled_threads\n"
    script += "print(compiled_threads.usable(), numba.threading_layer())"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "tbb"]


def test_no_numba_threads_for_one_thread_or_inside_a_kernel_thread(monkeypatch):
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "1")
    assert compiled_threads.threads() == 0
    monkeypatch.setenv("CONVLENS_NUM_THREADS", "2")
    inside = parallel.map_chunks(lambda _: compiled_threads.threads(), [0, 1])
    assert inside == [0, 0]  # nested kernels run in sequence on the thread they were given


@needs_tbb
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", [((2, 2), (2, 2)), ((0, 0), (0, 0))])
def test_direct_convolution_gives_the_same_answers_on_both_pools(
    monkeypatch, two_threads, dtype, padding
):
    """37 images (three blocks of 16, the last partial), bias and ReLU fused: forward equal bit
    for bit, gradients to the last bits (dW's per-block sums are added in another order)."""
    assert compiled_threads.threads() == 2
    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 14, 14, 6)).astype(dtype)
    kernel = rng.standard_normal((5, 5, 6, 16)).astype(dtype)
    bias = rng.standard_normal(16).astype(dtype)

    def run():
        y, blocks = direct.direct_forward(x, kernel, bias, padding, "zeros", True, True)
        dy = np.random.default_rng(4).standard_normal(y.shape).astype(dtype)
        padded = (37, 14 + sum(padding[0]), 14 + sum(padding[1]), 6)
        return (y, *direct.direct_grads(dy, kernel, blocks, padded, y, True))

    numba_answers = run()
    on_python_threads(monkeypatch)
    python_answers = run()
    np.testing.assert_array_equal(numba_answers[0], python_answers[0])
    np.testing.assert_array_equal(numba_answers[1], python_answers[1])  # dX: one block each
    for ours, theirs in zip(numba_answers[2:], python_answers[2:], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == np.float32 else 1e-13)


@needs_tbb
@pytest.mark.parametrize("kind", ["max", "min"])
def test_pooling_gives_the_same_answers_on_both_pools(monkeypatch, two_threads, kind):
    """A (33, 28, 28, 6) input (above NUMBA_THREADS_BYTES, an odd number of window rows per
    thread) with ties in most windows: values, winners and dX equal bit for bit."""
    x = np.random.default_rng(5).integers(0, 3, (33, 28, 28, 6)).astype(np.float32)
    assert x.nbytes >= pool2x2.NUMBA_THREADS_BYTES and compiled_threads.threads() == 2
    upstream = np.random.default_rng(6).standard_normal((33 * 14, 14 * 6)).astype(np.float32)

    def run():
        values, winners = pool2x2.extreme_2x2(x, 2, kind)
        only_values, _ = pool2x2.extreme_2x2(x, 2, kind, with_index=False)
        return values, winners, only_values, pool2x2.route_2x2(upstream, winners, x.shape, 2)

    numba_answers = run()
    on_python_threads(monkeypatch)
    for ours, theirs in zip(numba_answers, run(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


FORKED_TRAINING = """
import multiprocessing
import numpy as np
import convlens as cl
from convlens.kernels import compiled_threads

def model():
    network = cl.applications.MODELS["lenet5"]((28, 28, 1), 10)
    network.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return network

def step(queue):
    x = np.random.default_rng(0).random((32, 28, 28, 1), dtype=np.float32)
    queue.put(float(model().train_on_batch(x, np.arange(32) % 10)))

if __name__ == "__main__":
    queue = multiprocessing.SimpleQueue()
    step(queue)  # the parent trains first: Numba's pool and the Python threads are running
    assert compiled_threads.usable()
    child = multiprocessing.get_context("fork").Process(target=step, args=(queue,))
    child.start()
    child.join(120)
    assert not child.is_alive() and child.exitcode == 0, child.exitcode
    print(queue.get(), queue.get())
"""


@needs_tbb
def test_a_process_forked_after_training_trains_too(tmp_path):
    """GNU OpenMP would abort the child; a ThreadPoolExecutor made in the parent left the child
    waiting forever for its first parallel kernel."""
    script = tmp_path / "forked.py"
    script.write_text(textwrap.dedent(FORKED_TRAINING))
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300,
        env={**os.environ, "CONVLENS_NUM_THREADS": "2"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    losses = [float(v) for v in result.stdout.split()]
    assert len(losses) == 2 and all(np.isfinite(losses))


def test_a_users_workqueue_layer_keeps_the_kernels_on_python_threads():
    """A threading layer that is not thread- and fork-safe, chosen by the user, is left to the
    user's own loops: convlens's kernels stay on its Python threads, and training works."""
    script = textwrap.dedent(
        """
        import numpy as np
        import convlens as cl
        from convlens.kernels import compiled_threads
        model = cl.applications.MODELS["lenet5"]((28, 28, 1), 10)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).random((40, 28, 28, 1), dtype=np.float32)
        loss = model.train_on_batch(x, np.arange(40) % 10)
        print(compiled_threads.usable(), compiled_threads.threads(), np.isfinite(loss))
        """
    )
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue", "CONVLENS_NUM_THREADS": "2"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "0", "True"]
