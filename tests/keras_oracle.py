"""The real Keras 3, on its JAX backend, as a test oracle (installed only for tests).

``real_keras()`` returns the ``keras`` module or skips the test cleanly where Keras or JAX is
absent; CI installs both from the ``test`` extra, so there the comparisons run. The backend is
chosen before the first import, as Keras requires.
"""

from __future__ import annotations

import os

import pytest


def real_keras():
    """The real ``keras`` package on JAX, or a pytest skip naming what is missing."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras", reason="the real Keras 3 is a test-only oracle")
    pytest.importorskip("jax", reason="the real Keras 3 runs on JAX in these tests")
    if keras.backend.backend() != "jax":
        pytest.skip(f"the real Keras runs on {keras.backend.backend()}, these tests expect jax")
    return keras
