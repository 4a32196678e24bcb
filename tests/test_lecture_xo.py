"""The lecture's toy ConvNet ("is it an X or an O?"): the slides' numbers, exactly, and training.

The slides print feature maps cut to two decimals (7/9 = 0.777... is printed 0.77), so the exact
tests compare ``9 * map`` with integers, and the printed text separately, cell by cell.
"""

import numpy
import pytest

from convlens.lecture import xo
from convlens.lecture.xo_images import (
    CLASS_NAMES,
    DISTORTED_X,
    FEATURES,
    O_IMAGE,
    X_IMAGE,
    make_dataset,
    render,
)

# ----- the slides, as printed in the lecture's text (typos included) -----

# "How do CNNs really work?", the first feature-map slide (diagonal feature; the slide's own
# drawing of the feature shows the anti-diagonal, but the map is the diagonal's).
SLIDE_DIAGONAL = """
0.77 -0.11 0.11 0.33 0.55 -0.11 0.33
-0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11
0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55
0.33 0.33 -0.33 0.55 -0.33 0.33 0.33
0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11
-0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11
0.33 -0.11 0.55 0.33 0.11 -0.11 0.77
"""

# The three-map slides that follow (the "distorted" one: its image has an extra ink pixel at
# row 7, column 6, yet its maps are those of the ideal X).
SLIDE_DIAGONAL_AGAIN = """
0.77 -0.11 0.11 0.88 0.55 -0.11 0.88
-0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11
0.11 -0.11 1.00 -0.33 0.11 -0.11 0.55
0.11 0.33 -0.33 0.55 -0.33 0.33 0.33
0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11
-0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11
0.33 -0.11 0.55 0.33 0.11 -0.11 0.77
"""
SLIDE_X = """
0.88 -0.55 0.11 -0.11 0.11 -0.55 0.88
-0.55 0.55 -0.55 0.88 -0.55 0.55 -0.55
0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11
-0.11 0.33 -0.77 1.00 -0.77 0.33 -0.11
0.11 -0.55 0.55 -0.77 0.55 -0.55 0.11
-0.55 0.55 -0.55 0.88 -0.55 0.55 -0.55
0.38 -0.55 0.11 -0.11 0.11 -0.55 0.88
"""
SLIDE_ANTI_DIAGONAL = """
0.38 -0.11 0.55 0.38 0.11 -0.11 0.77
-0.11 0.11 -0.11 0.33 -0.11 1.00 -0.11
0.55 -0.11 0.11 -0.33 1.00 -0.11 0.11
0.38 0.33 -0.33 0.55 -0.33 0.33 0.33
0.11 -0.11 1.00 -0.33 0.11 -0.11 0.35
-0.11 1.00 -0.11 0.33 -0.11 0.11 -0.11
0.77 -0.11 0.11 0.33 0.55 -0.11 0.33
"""
SLIDE_POOLED = """
1.00 0.33 0.55 0.33
0.33 1.00 0.33 0.55
0.55 0.33 1.00 0.11
0.33 0.55 0.11 0.77
"""

# Our exact maps of the X, in ninths.
NINTHS_DIAGONAL = [
    [7, -1, 1, 3, 5, -1, 3],
    [-1, 9, -1, 3, -1, 1, -1],
    [1, -1, 9, -3, 1, -1, 5],
    [3, 3, -3, 5, -3, 3, 3],
    [5, -1, 1, -3, 9, -1, 1],
    [-1, 1, -1, 3, -1, 9, -1],
    [3, -1, 5, 3, 1, -1, 7],
]
NINTHS_X = [
    [3, -5, 1, -1, 1, -5, 3],
    [-5, 5, -5, 3, -5, 5, -5],
    [1, -5, 5, -7, 5, -5, 1],
    [-1, 3, -7, 9, -7, 3, -1],
    [1, -5, 5, -7, 5, -5, 1],
    [-5, 5, -5, 3, -5, 5, -5],
    [3, -5, 1, -1, 1, -5, 3],
]
NINTHS_ANTI_DIAGONAL = [row[::-1] for row in NINTHS_DIAGONAL]  # the X is mirror-symmetric
NINTHS_POOLED = [[9, 3, 5, 3], [3, 9, 3, 5], [5, 3, 9, 1], [3, 5, 1, 7]]

# Where the printed slides disagree with the arithmetic: (row, column) -> printed value. All but
# one are impossible values: 9 products of ±1 add up to an odd number, so a map holds only odd
# ninths. 0.88 and 0.38 are 0.33 misprinted, 0.35 is 0.55, the 0.11 in SLIDE_DIAGONAL_AGAIN is 0.33.
TYPOS = {
    "SLIDE_DIAGONAL": {},
    "SLIDE_DIAGONAL_AGAIN": {(0, 3): "0.88", (0, 6): "0.88", (3, 0): "0.11"},
    "SLIDE_X": {
        (0, 0): "0.88",
        (0, 6): "0.88",
        (1, 3): "0.88",
        (5, 3): "0.88",
        (6, 0): "0.38",
        (6, 6): "0.88",
    },
    "SLIDE_ANTI_DIAGONAL": {(0, 0): "0.38", (0, 3): "0.38", (3, 0): "0.38", (4, 6): "0.35"},
}


def slide_cells(text):
    return [row.split() for row in text.strip().splitlines()]


def ninths(values):
    """``9 * values`` as exact integers (checking that they are integers first)."""
    scaled = 9 * numpy.asarray(values)
    numpy.testing.assert_allclose(scaled, numpy.rint(scaled), atol=1e-9)
    return numpy.rint(scaled).astype(int).tolist()


# ----- the images and features -----


def test_x_image_is_the_slides_x():
    assert X_IMAGE.shape == (9, 9)
    assert set(numpy.unique(X_IMAGE)) == {-1, 1}
    assert (X_IMAGE[0] == -1).all() and (X_IMAGE[8] == -1).all()
    assert (X_IMAGE == X_IMAGE[::-1]).all() and (X_IMAGE == X_IMAGE[:, ::-1]).all()
    ink = {(int(i), int(j)) for i, j in zip(*numpy.nonzero(X_IMAGE > 0), strict=True)}
    assert ink == {(i, i) for i in range(1, 8)} | {(i, 8 - i) for i in range(1, 8)}


def test_o_image_is_a_ring():
    assert (O_IMAGE == O_IMAGE.T).all() and (O_IMAGE == O_IMAGE[::-1]).all()
    assert O_IMAGE[4, 4] == -1 and O_IMAGE[1, 4] == 1 and O_IMAGE[4, 1] == 1
    assert int((O_IMAGE > 0).sum()) == 16


def test_distorted_x_agrees_with_the_comparison_slide():
    # The slide comparing the two X's marks ink in both at these pixels.
    for i, j in [(3, 3), (3, 5), (4, 4), (5, 3), (5, 5)]:
        assert DISTORTED_X[i, j] == 1 and X_IMAGE[i, j] == 1
    assert DISTORTED_X.shape == (9, 9) and (DISTORTED_X[[0, 8]] == -1).all()
    assert int((DISTORTED_X != X_IMAGE).sum()) == 11


def test_features_are_the_slides():
    assert list(FEATURES) == ["diagonal", "x", "anti_diagonal"]
    assert (FEATURES["diagonal"] == 2 * numpy.eye(3) - 1).all()
    assert (FEATURES["anti_diagonal"] == FEATURES["diagonal"][:, ::-1]).all()
    assert (FEATURES["x"] == numpy.maximum(FEATURES["diagonal"], FEATURES["anti_diagonal"])).all()


def test_images_are_read_only():
    with pytest.raises(ValueError):
        X_IMAGE[0, 0] = 1


# ----- filtering: the slides' numbers -----


def test_slide_first_row_of_the_diagonal_map():
    row = xo.filter_image(X_IMAGE, FEATURES["diagonal"])[0]
    assert ninths(row) == [7, -1, 1, 3, 5, -1, 3]  # 0.77 -0.11 0.11 0.33 0.55 -0.11 0.33


def test_slide_worked_windows():
    # "(1+1+1+1+1+1+1+1+1)/9 = 1" for the centre of the diagonal map; the ".55" of the slide
    # with the anti-diagonal feature is our anti-diagonal map at row 0, column 2.
    assert xo.filter_image(X_IMAGE, FEATURES["diagonal"])[1, 1] == pytest.approx(1.0)
    assert ninths(xo.filter_image(X_IMAGE, FEATURES["anti_diagonal"])[0, 2]) == 5


@pytest.mark.parametrize(
    "name, expected",
    [("diagonal", NINTHS_DIAGONAL), ("x", NINTHS_X), ("anti_diagonal", NINTHS_ANTI_DIAGONAL)],
)
def test_slide_feature_maps_of_the_x(name, expected):
    maps = xo.feature_maps(X_IMAGE)
    assert list(maps) == ["diagonal", "x", "anti_diagonal"]
    assert maps[name].shape == (7, 7)
    assert ninths(maps[name]) == expected


@pytest.mark.parametrize(
    "slide, name",
    [
        ("SLIDE_DIAGONAL", "diagonal"),
        ("SLIDE_DIAGONAL_AGAIN", "diagonal"),
        ("SLIDE_X", "x"),
        ("SLIDE_ANTI_DIAGONAL", "anti_diagonal"),
    ],
)
def test_slide_printed_maps_match_except_the_typos(slide, name):
    printed = slide_cells(globals()[slide])
    ours = [row.split("\t") for row in xo.format_map(xo.feature_maps(X_IMAGE)[name])]
    differences = {
        (i, j): printed[i][j] for i in range(7) for j in range(7) if printed[i][j] != ours[i][j]
    }
    assert differences == TYPOS[slide]
    possible = {f"{sign}{v / 9:.3f}"[:-1] for v in (1, 3, 5, 7) for sign in ("", "-")} | {"1.00"}
    impossible = {cell for cell, value in differences.items() if value not in possible}
    # The one typo that is a possible value, 0.11 at (3, 0) of the diagonal map: the first slide
    # prints 0.33 there, and the map is symmetric about its diagonal, as the X is.
    assert set(differences) - impossible <= {(3, 0)}


def test_slide_printed_values_are_truncated_not_rounded():
    assert xo.format_map([[7 / 9, 5 / 9, -5 / 9, 9 / 9, -1 / 9, 0.0]]) == [
        "0.77\t0.55\t-0.55\t1.00\t-0.11\t0.00"
    ]


def test_filter_image_equals_a_loop_over_windows():
    rng = numpy.random.default_rng(0)
    image, feature = rng.choice([-1, 1], size=(9, 9)), rng.choice([-1, 1], size=(3, 3))
    loop = [[(image[i : i + 3, j : j + 3] * feature).sum() / 9 for j in range(7)] for i in range(7)]
    numpy.testing.assert_allclose(xo.filter_image(image, feature), loop, atol=1e-12)


def test_filter_image_rejects_a_batch():
    with pytest.raises(ValueError, match=r"2-D image"):
        xo.filter_image(numpy.zeros((1, 9, 9)), FEATURES["x"])


# ----- ReLU, pooling, stacking, the vote -----


def test_slide_pooled_map():
    pooled = xo.pool(xo.feature_maps(X_IMAGE)["diagonal"])
    assert pooled.shape == (4, 4)  # 7x7 -> 4x4: "same" padding keeps the last row and column
    assert ninths(pooled) == NINTHS_POOLED
    assert [row.split("\t") for row in xo.format_map(pooled)] == slide_cells(SLIDE_POOLED)


def test_image_stack_is_relu_then_pool_of_each_map():
    stack = xo.image_stack(DISTORTED_X)
    assert stack.shape == (4, 4, 3)
    for channel, feature_map in enumerate(xo.feature_maps(DISTORTED_X).values()):
        numpy.testing.assert_allclose(stack[..., channel], xo.pool(numpy.maximum(feature_map, 0)))
    assert ninths(xo.image_stack(X_IMAGE)[..., 0]) == NINTHS_POOLED  # all positive: ReLU is a no-op


def test_pooling_ignores_the_padding():
    # A map of negative values: "same" padding must not let a padded zero win the max.
    pooled = xo.pool(-numpy.ones((7, 7)))
    assert (pooled == -1).all()


@pytest.mark.parametrize("image, label", [(X_IMAGE, "X"), (DISTORTED_X, "X"), (O_IMAGE, "O")])
def test_vote(image, label):
    scores = xo.vote(image)
    assert set(scores) == set(CLASS_NAMES)
    assert xo.classify(image) == label
    other = "O" if label == "X" else "X"
    assert scores[label] > scores[other] + 0.5


def test_vote_weights_are_the_ideal_stacks():
    kernel, bias = xo.vote_weights()
    assert kernel.shape == (48, 2) and bias.shape == (2,)
    numpy.testing.assert_allclose(kernel[:, 0], xo.image_stack(X_IMAGE).ravel())
    numpy.testing.assert_allclose(bias, -0.5 * (kernel**2).sum(axis=0))


# ----- generated images -----


def test_render_ideal_shapes_look_like_the_slides():
    assert (numpy.sign(render("X", width=1.4)) == X_IMAGE).mean() > 0.9
    assert (numpy.sign(render("O", width=1.4)) == O_IMAGE).mean() > 0.9


def test_make_dataset_is_reproducible_balanced_and_in_range():
    images, labels = make_dataset(64, seed=3)
    again, labels_again = make_dataset(64, seed=3)
    assert images.shape == (64, 9, 9, 1) and images.dtype == numpy.float32
    numpy.testing.assert_array_equal(images, again)
    numpy.testing.assert_array_equal(labels, labels_again)
    assert labels.sum() == 32
    assert images.min() >= -1 and images.max() <= 1 and images.max() > 0.5
    assert not numpy.array_equal(images, make_dataset(64, seed=4)[0])


def test_make_dataset_other_size():
    assert make_dataset(4, seed=0, size=12)[0].shape == (4, 12, 12, 1)


def test_make_dataset_rejects_bad_arguments():
    with pytest.raises(ValueError, match="positive int"):
        make_dataset(0)
    with pytest.raises(ValueError, match="'X' or 'O'"):
        render("Y")


# ----- trained by backpropagation -----


@pytest.fixture(scope="module")
def trained():
    return xo.train_xo(seed=0)


def test_trained_network_generalises(trained):
    assert trained.accuracy >= 0.99
    assert trained.test_size >= 1000


def test_trained_filters_are_compared(trained):
    assert [m.filter for m in trained.matches] == [0, 1, 2]
    assert all(m.feature in FEATURES and -1 <= m.cosine <= 1 for m in trained.matches)


def test_compare_filters_finds_the_hand_made_features():
    kernel = numpy.stack([-FEATURES["x"], FEATURES["diagonal"] * 0.3], axis=-1)[:, :, None, :]
    matches = xo.compare_filters(kernel)
    assert [(m.feature, round(m.cosine, 6)) for m in matches] == [("x", -1.0), ("diagonal", 1.0)]


def test_demo_lines_without_training():
    lines = list(xo.demo_lines(train=False))
    text = "\n".join(lines)
    assert "0.77\t-0.11\t0.11\t0.33\t0.55\t-0.11\t0.33" in text
    assert "1.00\t0.33\t0.55\t0.33" in text
    assert "the distorted X:" in text and "->  X" in text and "->  O" in text
    assert "held-out" not in text
