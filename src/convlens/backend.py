"""The array module behind every op: NumPy by default, CuPy on a GPU; runtime switches.

This is the only file that imports cupy. Ops read ``backend.xp`` at call time (never
``from convlens.backend import xp``), so :func:`set_backend` takes effect everywhere at once.
:func:`set_memory_tuning` switches the malloc tuning of :mod:`convlens.memory`, which is
applied when the first model step starts, never at import.
"""

from __future__ import annotations

import os
import types

import numpy

from . import config, memory
from .config import (  # noqa: F401 - Keras's keras.backend names for the same settings
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)

xp: types.ModuleType = numpy
"""The active array module; NumPy unless ``CONVLENS_BACKEND=cupy`` or :func:`set_backend`."""

_BACKENDS = ("numpy", "cupy")


def set_backend(name: str) -> types.ModuleType:
    """Switch the array module used by every op.

    Args:
        name: ``"numpy"`` or ``"cupy"``.

    Returns:
        The module now in use.

    Raises:
        ValueError: for an unknown name.
        ImportError: when ``"cupy"`` is asked for and CuPy is not installed.
    """
    global xp
    if name not in _BACKENDS:
        raise ValueError(f"Unknown backend {name!r}; expected one of {', '.join(_BACKENDS)}.")
    if name == "cupy":
        try:
            import cupy
        except ImportError as error:  # pragma: no cover - needs a GPU machine
            raise ImportError(
                "The cupy backend needs CuPy: pip install cupy-cuda12x (or your CUDA's build)."
            ) from error
        xp = cupy
    else:
        xp = numpy
    return xp


def backend_name() -> str:
    """The name of the active backend, ``"numpy"`` or ``"cupy"``."""
    return "cupy" if xp is not numpy else "numpy"


def to_numpy(array) -> numpy.ndarray:
    """A host (NumPy) copy of an array of any backend; NumPy arrays come back as they are."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):  # a cupy.ndarray
        return array.get()
    return numpy.asarray(array)


def is_array(value) -> bool:
    """Whether ``value`` is an array of the active backend (or a NumPy array)."""
    return isinstance(value, (numpy.ndarray, xp.ndarray))


def set_memory_tuning(enabled: bool) -> None:
    """Allow (the default) or forbid raising glibc's malloc thresholds at the first model step.

    The tuning (:mod:`convlens.memory`) keeps freed arrays' memory in the process, about twice
    as fast on LeNet-5's steps, but it changes malloc for the whole process, so it waits for
    the first ``fit``/``evaluate``/``predict``/``*_on_batch`` call. Switch it off before that
    call: once applied it stays. ``CONVLENS_MALLOC_TUNING=0`` in the environment does the same.

    Args:
        enabled: True or False.

    Raises:
        TypeError: for anything but a bool.

    Example:
        >>> set_memory_tuning(False)
        >>> memory.tuning_enabled()
        False
        >>> set_memory_tuning(True)
    """
    memory.set_tuning(enabled)


if os.environ.get("CONVLENS_BACKEND"):
    set_backend(os.environ["CONVLENS_BACKEND"].strip().lower())


# ----- Keras's keras.backend helpers -----
_session_resets: list = []  # callables that forget per-session state (layers' name counters)


def on_clear_session(reset) -> None:
    """Register ``reset``, run by :func:`clear_session` (layers/ registers its name counters)."""
    _session_resets.append(reset)


def clear_session() -> None:
    """Start afresh, as Keras's ``clear_session``: layer names count from the start again
    (``dense``, ``dense_1``...), and memory held by freed arrays is returned."""
    import gc

    for reset in _session_resets:
        reset()
    gc.collect()


def backend() -> str:
    """The engine's name, as ``keras.backend.backend()`` (``"convlens"``)."""
    return config.backend()


def is_keras_tensor(value) -> bool:
    """Whether ``value`` is a symbolic tensor of a functional graph (from ``Input``)."""
    return bool(getattr(type(value), "_keras_symbolic", False))
