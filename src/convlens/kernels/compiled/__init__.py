"""The optional compiled loops (Numba, the ``fast`` extra), each module imported on first use.

kernels/direct.py, kernels/winograd.py and kernels/pool2x2.py each have a module of Numba loops
here (of the same name) and a NumPy route that takes over when it cannot be imported. Importing
happens the first time a layer asks, so ``import convlens`` does not pay for Numba; the answer
is kept.
"""

from __future__ import annotations

import importlib

_loaded: dict = {}  # module name -> the module, or None when Numba cannot be imported


def compiled(name: str):
    """The module ``convlens.kernels.compiled.<name>``, or None when it (Numba) cannot be
    imported."""
    if name not in _loaded:
        try:
            _loaded[name] = importlib.import_module(f"{__package__}.{name}")
        except ImportError:
            _loaded[name] = None
    return _loaded[name]
