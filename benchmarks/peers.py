"""The lecture's networks written in the peer frameworks, layer for layer as
``convlens.applications.lenet5`` and ``colour_cnn``, for the benchmarks.

PyTorch models end in logits (``CrossEntropyLoss`` applies the softmax, the same mathematics as
convlens's softmax + sparse categorical cross-entropy); Keras models end in a softmax Dense as
convlens's do. Each function imports its framework lazily: a benchmark process imports one
framework only.
"""

from __future__ import annotations

import importlib.util
import subprocess

CLASSES = 10
SHAPES = {"lenet5": (28, 28, 1), "colour_cnn": (32, 32, 3)}
PEERS = {  # framework -> the module it needs
    "torch": "torch",
    "torch channels_last": "torch",
    "keras tensorflow": "tensorflow",
    "keras jax": "jax",
}


def torch_model(network, glorot: bool = False):
    """The network in PyTorch (NCHW); ``glorot`` initialises as Keras does (Glorot-uniform
    kernels, zero biases) instead of PyTorch's Kaiming-uniform defaults."""
    from torch import nn

    if network == "lenet5":
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, CLASSES),
        )  # fmt: skip
    else:
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(64 * 8 * 8, 256), nn.ReLU(), nn.Linear(256, CLASSES),
        )  # fmt: skip
    if glorot:
        for layer in model:
            if isinstance(layer, nn.Conv2d | nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
    return model


def keras_model(network):
    """The network in Keras 3 (channels last, softmax output), on whichever backend is set."""
    import keras
    from keras import layers

    conv = dict(padding="same", activation="relu")
    if network == "lenet5":
        stack = [
            layers.Conv2D(6, 5, **conv), layers.MaxPooling2D(),
            layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
            layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu"),
        ]  # fmt: skip
    else:
        stack = [
            layers.Conv2D(32, 3, **conv), layers.Conv2D(32, 3, **conv), layers.MaxPooling2D(),
            layers.Conv2D(64, 3, **conv), layers.Conv2D(64, 3, **conv), layers.MaxPooling2D(),
            layers.Flatten(), layers.Dense(256, activation="relu"),
        ]  # fmt: skip
    return keras.Sequential(
        [keras.Input(SHAPES[network]), *stack, layers.Dense(CLASSES, activation="softmax")]
    )


def importable(modules: list[str], python: str | None = None) -> bool:
    """Whether every module in ``modules`` imports in this interpreter, or in ``python``."""
    if python is None:
        try:
            return all(importlib.util.find_spec(m) is not None for m in modules)
        except (ImportError, ValueError):
            return False
    check = (
        f"import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in {modules!r}))"
    )
    return subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def available_peers(peer_python: str | None = None) -> dict[str, str | None]:
    """``{framework: interpreter}`` for every installed peer: ``None`` is this interpreter,
    else ``peer_python`` (a separate environment, e.g. Keras on TensorFlow beside a NumPy that
    convlens's environment does not share)."""
    found = {}
    for framework, module in PEERS.items():
        modules = [module, "keras"] if framework.startswith("keras") else [module]
        if importable(modules):
            found[framework] = None
        elif peer_python and importable(modules, peer_python):
            found[framework] = peer_python
    return found
