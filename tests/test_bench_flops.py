"""benchmarks/flops.py: the operation counts behind compare.py's GFLOP/s, against hand counts
written out layer by layer from the lecture's output-size formula."""

import os
import sys

import pytest

import convlens as cl

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks"))
from flops import layer_flops, model_flops, network_flops  # noqa: E402

# LeNet-5 (applications.lenet5), 2 operations per multiply-add:
LENET5_LAYERS = [
    2 * 28 * 28 * 6 * (5 * 5 * 1),  # conv 28×28×1 -> 6, 5×5 "same"
    2 * 10 * 10 * 16 * (5 * 5 * 6),  # conv 14×14×6 -> 16, 5×5 "valid": (14 - 5)/1 + 1 = 10
    2 * 400 * 120,  # dense 5·5·16 -> 120
    2 * 120 * 84,
    2 * 84 * 10,
]
CIFAR_LAYERS = [
    2 * 32 * 32 * 32 * (3 * 3 * 3),
    2 * 32 * 32 * 32 * (3 * 3 * 32),
    2 * 16 * 16 * 64 * (3 * 3 * 32),
    2 * 16 * 16 * 64 * (3 * 3 * 64),
    2 * 4096 * 256,
    2 * 256 * 10,
]


def test_lenet5_by_hand():
    model = cl.applications.lenet5((28, 28, 1), 10)
    counted = [layer_flops(layer) for layer in model.layers]
    assert [f for f in counted if f] == LENET5_LAYERS
    assert model_flops(model) == sum(LENET5_LAYERS) == 833_040


def test_cifar_cnn_by_hand():
    assert network_flops("colour_cnn", (32, 32, 3), 10) == sum(CIFAR_LAYERS) == 51_057_664


@pytest.mark.parametrize(
    "network, layers", [("lenet5", LENET5_LAYERS), ("colour_cnn", CIFAR_LAYERS)]
)
def test_training_counts_three_products_but_the_first_dx(network, layers):
    shape = (28, 28, 1) if network == "lenet5" else (32, 32, 3)
    assert network_flops(network, shape, 10, training=True) == 3 * sum(layers) - layers[0]


def test_depthwise_strided_and_conv1d_by_hand():
    model = cl.models.Sequential(
        [
            cl.layers.Input((9, 9, 4)),
            cl.layers.DepthwiseConv2D(3, depth_multiplier=2),  # 7×7×8
            cl.layers.Conv2D(5, 3, strides=2, padding="same"),  # 4×4×5
            cl.layers.MaxPooling2D(),  # not counted
            cl.layers.Reshape((4, 5)),
            cl.layers.Conv1D(3, 2),  # 3×3
        ]
    )
    assert model_flops(model) == (
        2 * 7 * 7 * (3 * 3 * 4 * 2) + 2 * 4 * 4 * (3 * 3 * 8 * 5) + 2 * 3 * (2 * 5 * 3)
    )
