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


def test_predict_on_one_batch_of_60000_images_stays_small():
    """Measured: +1,115 MiB of peak memory before chunking, +0 after; the bound is 200 MiB."""
    result = subprocess.run(
        [sys.executable, "-c", PEAK_GROWTH], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) < 200


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
