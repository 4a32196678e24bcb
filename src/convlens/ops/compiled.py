"""The optional compiled kernels (Numba, the ``fast`` extra), each module imported on first use.

ops/direct.py, ops/winograd.py and ops/pool2x2.py each have a ``*_kernels`` module of Numba
loops and a NumPy route that takes over when it cannot be imported. Importing happens the first
time a layer asks, so ``import convlens`` does not pay for Numba; the answer is kept.
"""

from __future__ import annotations

import importlib

_loaded: dict = {}  # module name -> the module, or None when Numba cannot be imported


def kernels(name: str):
    """The module ``convlens.ops.<name>``, or None when it (Numba) cannot be imported."""
    if name not in _loaded:
        try:
            _loaded[name] = importlib.import_module(f"{__package__}.{name}")
        except ImportError:
            _loaded[name] = None
    return _loaded[name]
