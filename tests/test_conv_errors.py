"""conv2d's bad-input errors: each names the op, what it expected and what it received."""

import numpy as np
import pytest

from convlens import ops

X = np.ones((32, 28, 28, 1))


@pytest.mark.parametrize(
    "x, kernel, kwargs, message",
    [
        (
            X,
            np.ones((5, 5, 3, 6)),
            {},
            r"conv2d: expected input with 3 channels on axis -1 \(the kernel's C_in \* groups = "
            r"3 \* 1\), received shape \(32, 28, 28, 1\)\.",
        ),
        (
            np.ones((2, 3, 8, 8)),
            np.ones((3, 3, 1, 4)),
            dict(data_format="channels_first", groups=2),
            r"conv2d: expected input with 2 channels on axis 1",
        ),
        (
            np.ones((2, 8, 8, 4)),
            np.ones((3, 3, 2, 3)),
            dict(groups=2),
            r"conv2d: groups=2 must divide the number of filters, received a kernel of shape "
            r"\(3, 3, 2, 3\) with 3 filters\.",
        ),
        (
            np.ones((2, 8, 8, 4)),
            np.ones((3, 3, 4, 3)),
            dict(groups=0),
            r"conv2d: groups must be a positive int, received 0\.",
        ),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((5, 5, 1, 1)),
            {},
            r"conv2d: kernel of size 5 is larger than the padded input of size 4 \(input 4, "
            r"padding 0\+0\)\. Received input shape \(1, 4, 4, 1\) and kernel shape "
            r"\(5, 5, 1, 1\)\.",
        ),
        (
            np.ones((1, 4, 4, 1)),
            np.ones((3, 3, 1, 1)),
            dict(dilation_rate=2),
            r"conv2d: kernel of size 3 \(dilated to 5\) is larger than the padded input",
        ),
        (
            X,
            np.ones((5, 5, 1, 6)),
            dict(padding="full"),
            r"conv2d: Unknown padding 'full'; expected \"valid\", \"same\"",
        ),
        (X, np.ones((5, 5, 1, 6)), dict(padding=-1), r"conv2d: Padding must not be negative"),
        (
            X,
            np.ones((5, 5, 1, 6)),
            dict(padding_mode="mirror"),
            r"conv2d: unknown padding mode 'mirror'; expected one of zeros, reflect, replicate, "
            r"circular\.",
        ),
        (
            np.ones((1, 3, 3, 1)),
            np.ones((3, 3, 1, 1)),
            dict(padding=3, padding_mode="reflect"),
            r"conv2d: reflect padding must be smaller than the size of the padded axis; received "
            r"padding \(3, 3\) for axis 1 of size 3",
        ),
        (
            X,
            np.ones((5, 5, 1, 6)),
            dict(strides=0),
            r"conv2d: strides must be positive, received 0",
        ),
        (X, np.ones((5, 5, 1, 6)), dict(strides=(1, -2)), r"conv2d: strides must be positive"),
        (
            X,
            np.ones((5, 5, 1, 6)),
            dict(dilation_rate=(1, 2, 3)),
            r"conv2d: dilation_rate must be an int or a pair of ints, received \(1, 2, 3\)",
        ),
        (
            X,
            np.ones((5, 5, 1, 6)),
            dict(data_format="NHWC"),
            r"conv2d: unknown data_format 'NHWC'; expected one of channels_last, channels_first",
        ),
        (
            np.ones((28, 28, 1)),
            np.ones((5, 5, 1, 6)),
            {},
            r"conv2d: expected a 4-D input \(batch, height, width, channels\), received shape "
            r"\(28, 28, 1\)\.",
        ),
        (
            X,
            np.ones((5, 5, 6)),
            {},
            r"conv2d: expected a 4-D kernel \(kernel_height, kernel_width, input_channels / "
            r"groups, filters\), received shape \(5, 5, 6\)\.",
        ),
        (
            np.ones((0, 28, 28, 1)),
            np.ones((5, 5, 1, 6)),
            {},
            r"conv2d: expected a non-empty input, received shape \(0, 28, 28, 1\)\.",
        ),
        (X, np.ones((5, 5, 1, 0)), {}, r"conv2d: expected a non-empty kernel"),
    ],
)
def test_conv2d_rejects_bad_input(x, kernel, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.conv2d(x, kernel, **kwargs)


def test_conv2d_rejects_a_bias_of_the_wrong_shape():
    with pytest.raises(
        ValueError,
        match=r"conv2d: expected a bias of shape \(6,\) \(one value "
        r"per filter\), received shape \(5,\)\.",
    ):
        ops.conv2d(X, np.ones((5, 5, 1, 6)), np.ones(5))


def test_a_remembered_spec_never_answers_for_other_arguments():
    """conv2d remembers the resolved geometry of plain arguments (ops/conv.py
    _remembered_spec); a bool, a list or a NumPy int is checked afresh each call, and an error
    is raised again on every call."""
    x, kernel = np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32)
    assert ops.conv2d(x, kernel, strides=1).shape == (1, 3, 3, 1)
    for _ in range(2):
        with pytest.raises(ValueError, match="strides must be an int or a pair of ints"):
            ops.conv2d(x, kernel, strides=True)
        with pytest.raises(ValueError, match="kernel"):
            ops.conv2d(x, np.ones((7, 7, 1, 1), np.float32))
    assert ops.conv2d(x, kernel, strides=[2, 2], padding=[[1, 1], [1, 1]]).shape == (1, 3, 3, 1)
    assert ops.conv2d(x, kernel, strides=np.int64(2)).shape == (1, 2, 2, 1)
    assert ops.conv2d(x, kernel, strides=2, padding="same").shape == (1, 3, 3, 1)
    assert ops.conv2d(x.astype(np.float64), kernel).dtype == np.float64  # dtype in the key
