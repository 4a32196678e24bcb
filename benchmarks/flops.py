"""Floating-point operations of a network, counted as the direct convolution does them.

A benchmark's images per second become GFLOP/s with these counts, so that a row can be set
against the machine's sgemm ceiling: 2 operations (a multiply and an add) per weight per output
position of every Conv1D, Conv2D, DepthwiseConv2D and Dense layer, whatever algorithm ran it (a
Winograd route does fewer multiplications and is credited with the direct count: "effective"
GFLOP/s). Biases, activations, pooling and the softmax are left out (a few per cent at most).

    Conv2D     2 · OH · OW · KH · KW · C_in/groups · C_out
    Depthwise  2 · OH · OW · KH · KW · C · multiplier
    Dense      2 · (positions) · units_in · units_out

One training step counts three products per layer (forward, dX, dW), less the first layer's dX,
which no framework computes (its input needs no gradient).
"""

from __future__ import annotations

import math

COUNTED = ("Conv1D", "Conv2D", "DepthwiseConv2D", "Dense")


def layer_flops(layer) -> int:
    """The forward operations per example of one built layer (0 for a layer not counted)."""
    if type(layer).__name__ not in COUNTED:
        return 0
    positions = math.prod(layer.output_shape[1:-1])  # OH·OW, L, or 1 for a flat Dense
    return 2 * positions * math.prod(layer.kernel.shape)


def model_flops(model, training: bool = False) -> int:
    """The operations per example of ``model`` (a built convlens model): its forward pass, or
    with ``training`` forward + dX + dW (no dX for the first counted layer)."""
    per_layer = [f for f in (layer_flops(layer) for layer in model.layers) if f]
    if not training:
        return sum(per_layer)
    return 3 * sum(per_layer) - (per_layer[0] if per_layer else 0)


def network_flops(network: str, shape, classes: int, training: bool = False) -> int:
    """:func:`model_flops` of ``convlens.applications.MODELS[network]`` built for ``shape``."""
    import convlens as cl

    return model_flops(cl.applications.MODELS[network](shape, classes), training)
