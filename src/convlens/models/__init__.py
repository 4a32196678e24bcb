"""Models: Sequential and the functional Model, with compile/fit/evaluate/predict and summary."""

from .model import Model
from .sequential import Sequential


def load_model(filepath, compile=True):  # noqa: A002 - Keras's argument name
    """Load a model saved by ``model.save``: architecture, weights, and (when compiled)
    the optimizer with its state. Never executes code from the file."""
    from ..saving import load_model as load

    return load(filepath, compile=compile)


__all__ = ["Model", "Sequential", "load_model"]
