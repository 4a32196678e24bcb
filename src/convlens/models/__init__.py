"""Models: Sequential and the functional Model, with compile/fit/evaluate/predict and summary."""

from .. import registry
from ..saving import load_model
from .model import Model
from .sequential import Sequential

# Model files name these classes; saving finds them here through the registry, never by import.
registry.register_layers(
    {"Sequential": Sequential, "Functional": Model, "Model": Model}, models=True
)

__all__ = ["Model", "Sequential", "load_model"]
