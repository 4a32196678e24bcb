"""Large inputs run in bounded memory (issue 15 item 9): predict computes any batch in chunks of
PREDICT_CHUNK samples, so predict(batch_size=60000) costs what 1,024 images cost."""

import subprocess
import sys
import textwrap

import numpy

import convlens as cl
from convlens.models import training

PEAK_GROWTH = textwrap.dedent(
    """
    import resource
    import convlens as cl
    (x, _), _ = cl.datasets.mnist.load_data()
    x = (x[..., None] / 255.0).astype("float32")
    model = cl.applications.lenet5()
    model.predict(x[:64], verbose=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = model.predict(x, batch_size=60000, verbose=0)
    assert out.shape == (60000, 10)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """
)


def peak_growth_mib(code: str, *args) -> int:
    """The MiB of peak memory ``code`` prints that it grew by, run in its own process."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


def test_predict_on_one_batch_of_60000_images_stays_small():
    """Measured: +1,115 MiB of peak memory before chunking, +0 after; the bound is 200 MiB."""
    assert peak_growth_mib(PEAK_GROWTH) < 200


def test_chunked_predictions_equal_whole_batch_ones(monkeypatch):
    inputs = cl.layers.Input((6, 6, 2))
    a = cl.layers.Conv2D(3, 3, activation="relu")(inputs)
    b = cl.layers.Dense(4)(cl.layers.Flatten()(a))
    model = cl.models.Model(inputs, [b, cl.layers.GlobalAveragePooling2D()(a)])
    x = numpy.random.default_rng(0).normal(size=(50, 6, 6, 2)).astype("float32")
    whole = model.predict(x, batch_size=50, verbose=0)
    monkeypatch.setattr(training, "PREDICT_CHUNK", 7)
    chunked = model.predict(x, batch_size=50, verbose=0)
    on_batch = model.predict_on_batch(x)
    for w, c, o in zip(whole, chunked, on_batch):
        numpy.testing.assert_allclose(c, w, rtol=1e-6, atol=1e-7)
        numpy.testing.assert_allclose(o, w, rtol=1e-6, atol=1e-7)


CALL_GROWTH = textwrap.dedent(
    """
    import resource
    import convlens as cl
    (x, _), _ = cl.datasets.mnist.load_data()
    x = (x[..., None] / 255.0).astype("float32")
    model = cl.applications.lenet5()
    model.predict(x[:64], verbose=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with cl.no_grad():
        out = model(x)
    assert out.shape == (60000, 10)
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """
)


def test_calling_a_model_on_60000_images_under_no_grad_stays_small():
    """Measured: +1,070 MiB of peak memory before chunking, +0 after; the bound is 200 MiB."""
    assert peak_growth_mib(CALL_GROWTH) < 200


def test_chunked_calls_equal_whole_ones_and_keep_the_structure(monkeypatch):
    from convlens.models import model as model_module

    inputs = cl.layers.Input((5,))
    hidden = cl.layers.Dense(4, activation="relu")(inputs)
    model = cl.models.Model(inputs, {"a": cl.layers.Dense(2)(hidden), "b": hidden})
    x = numpy.random.default_rng(1).normal(size=(23, 5)).astype("float32")
    with cl.no_grad():
        whole = model(x)
    monkeypatch.setattr(model_module, "PREDICT_CHUNK", 4)
    with cl.no_grad():
        chunked = model(x)
    recorded = model(x)  # gradients recorded: one pass, never chunked
    assert recorded["a"].requires_grad
    for key in ("a", "b"):
        numpy.testing.assert_allclose(chunked[key].numpy(), whole[key].numpy(), rtol=1e-6)
        numpy.testing.assert_allclose(recorded[key].numpy(), whole[key].numpy(), rtol=1e-6)


LOAD_GROWTH = textwrap.dedent(
    """
    import resource, sys
    import convlens as cl
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    model = cl.models.load_model(sys.argv[1])
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """
)


def test_loading_a_large_model_holds_its_weights_about_once(tmp_path):
    """A 128 MiB model: the peak grew by 3.2 times its weights before (initializers drawn,
    the weights file read whole and joined, every array read before any was set), about 1.5
    times after; the bound is 2 times."""
    model = cl.models.Sequential(
        [cl.layers.Input((2048,)), cl.layers.Dense(8192), cl.layers.Dense(2048)]
    )
    path = str(tmp_path / "large.keras")
    model.save(path)
    weights_mib = model.count_params() * 4 / 2**20
    assert peak_growth_mib(LOAD_GROWTH, path) < 2 * weights_mib
