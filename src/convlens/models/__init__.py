"""Models: Sequential and the functional Model, with compile/fit/evaluate/predict and summary."""

from .. import registry
from ..saving import load_model
from .cloning import clone_model
from .model import Model
from .sequential import Sequential
from .serialization import model_from_json

# Model files name these classes; saving finds them here through the registry, never by import.
registry.register_layers(
    {"Sequential": Sequential, "Functional": Model, "Model": Model}, models=True
)

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]
