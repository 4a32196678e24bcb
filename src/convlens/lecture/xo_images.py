"""The images of the lecture's toy ConvNet ("is it an X or an O?") and a generator of many more.

The slides draw 9×9 images of -1 (background) and +1 (ink): an X, an O and a distorted X, and
three 3×3 features to look for (the two diagonals and a small X). :func:`make_dataset` renders
thousands of shifted, rotated, scaled, thinner and bolder X's and O's for training, as the
"trickier cases" slide asks ("robust to rotation, translation, scaling, weight").
"""

from __future__ import annotations

import numpy

CLASS_NAMES = ("X", "O")
"""Label 0 is an X, label 1 an O (in :func:`make_dataset` and the trained network)."""


def _readonly(rows) -> numpy.ndarray:
    array = numpy.array(rows, dtype=numpy.int8)
    array.flags.writeable = False
    return array


def _ideal_x() -> numpy.ndarray:
    # Rows 0 and 8 are background; row i (1..7) has ink on both diagonals, j == i and j == 8 - i.
    image = -numpy.ones((9, 9), numpy.int8)
    for i in range(1, 8):
        image[i, i] = image[i, 8 - i] = 1
    return _readonly(image)


def _ideal_o() -> numpy.ndarray:
    # The slides show the O only as a picture: we draw a ring of radius 3 around the centre
    # pixel (4, 4), ink where the distance of a pixel to the centre rounds to 3. It touches
    # the same rows and columns (1..7) as the X and has the same thickness of one pixel.
    i, j = numpy.mgrid[0:9, 0:9]
    return _readonly(numpy.where(numpy.rint(numpy.hypot(i - 4, j - 4)) == 3, 1, -1))


X_IMAGE = _ideal_x()
"""The slides' 9×9 X: +1 on both diagonals of the inner 7×7, -1 elsewhere."""

O_IMAGE = _ideal_o()
"""Our 9×9 O: a one-pixel ring of radius 3 (pixels whose distance to the centre rounds to 3).

>>> for row in O_IMAGE: print("".join("#" if v > 0 else "." for v in row))
.........
...###...
..#...#..
.#.....#.
.#.....#.
.#.....#.
..#...#..
...###...
.........
"""

# The text of the slides prints the distorted X (the second grid of "How do CNNs really work?")
# with 10 rows, and the ideal X before it with 10 rows too: in the ideal X, row 5 repeats row 4
# (the centre), so the transcription inserted a row at index 5. We drop row 5 of the distorted
# grid in the same way and keep rows 0-4 and 6-9. The slide that compares the two X's pixel by
# pixel agrees: where it marks ink in both, (3, 3), (3, 5), (4, 4), (5, 3) and (5, 5), our
# distorted X has ink. (Dropping any other row but 4 breaks that agreement.)
DISTORTED_X = _readonly(
    [
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
        [-1, -1, -1, -1, -1, -1, -1, +1, -1],
        [-1, +1, -1, -1, -1, +1, -1, -1, -1],
        [-1, -1, +1, +1, -1, +1, -1, -1, -1],
        [-1, -1, -1, +1, +1, -1, +1, -1, -1],
        [-1, -1, -1, +1, -1, +1, -1, +1, -1],
        [-1, -1, +1, -1, -1, -1, +1, -1, -1],
        [-1, -1, +1, -1, -1, -1, -1, +1, -1],
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ]
)
"""The lecture's distorted X (its second 9×9 grid; see the comment above for the row we dropped)."""

FEATURES = {
    "diagonal": _readonly([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]]),
    "x": _readonly([[1, -1, 1], [-1, 1, -1], [1, -1, 1]]),
    "anti_diagonal": _readonly([[-1, -1, 1], [-1, 1, -1], [1, -1, -1]]),
}
"""The slides' three 3×3 features, in the order of their feature-map slides: the diagonal "\\",
the small X, the anti-diagonal "/"."""


def _segment_distance(px, py, ax, ay, bx, by):
    """Distance of the points (px, py) to the segments from (ax, ay) to (bx, by), broadcast."""
    dx, dy = bx - ax, by - ay
    t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    t = numpy.clip(t, 0.0, 1.0)
    return numpy.hypot(px - (ax + t * dx), py - (ay + t * dy))


def render(kind, size=9, shift=(0.0, 0.0), angle=0.0, scale=1.0, width=1.0, supersample=8):
    """Images of X's or O's drawn analytically and averaged down to ``size``×``size`` pixels.

    Geometry, in pixels of a 9×9 image (scaled by ``size / 9``): the X is two strokes through the
    centre with ends at (±3, ±3), the O a ring of radius 3, both ``width`` pixels wide, like
    :data:`X_IMAGE` and :data:`O_IMAGE`. Each pixel is the mean of ``supersample``² samples, so the
    values are 2 · (ink coverage) - 1, in [-1, 1].

    Args:
        kind: ``"X"`` or ``"O"``, or an array of them (one image each).
        size: the side of the image in pixels.
        shift: (down, right) offset of the centre in pixels (arrays for many images).
        angle: rotation in degrees, counter-clockwise; scale: size factor; width: stroke width
            in pixels. Each a number or an array with one value per image.
        supersample: samples per pixel along each axis.

    Returns:
        float32 array (size, size) for one image, (n, size, size) for arrays of parameters.

    Example:
        >>> image = render("X", width=1.4)
        >>> image.shape, bool(image[4, 4] > 0.9), bool(image[0, 4] == -1)
        ((9, 9), True, True)
    """
    kinds = numpy.asarray(kind)
    dy, dx = (numpy.asarray(v, float) for v in shift)
    params = numpy.broadcast_arrays(
        kinds,
        dy,
        dx,
        numpy.asarray(angle, float),
        numpy.asarray(scale, float),
        numpy.asarray(width, float),
    )
    if not numpy.isin(params[0], CLASS_NAMES).all():
        raise ValueError(f"kind must be 'X' or 'O', received {kind!r}.")
    single = params[0].ndim == 0
    kinds, dy, dx, angle, scale, width = (p.reshape(-1, 1, 1) for p in params)
    unit = size / 9.0
    samples = (numpy.arange(size * supersample) + 0.5) / supersample  # sample positions (pixels)
    y = samples[None, :, None] - size / 2 - dy * unit  # (n, S, 1), from the centre, downwards
    x = samples[None, None, :] - size / 2 - dx * unit  # (n, 1, S)
    theta = numpy.radians(angle)
    # Rotate the sample points by -angle instead of the strokes by +angle.
    u = numpy.cos(theta) * x - numpy.sin(theta) * y  # (n, S, S)
    v = numpy.sin(theta) * x + numpy.cos(theta) * y
    arm, half = 3.0 * unit * scale, width * unit / 2
    stroke_1 = _segment_distance(u, v, -arm, -arm, arm, arm)  # "\"
    stroke_2 = _segment_distance(u, v, -arm, arm, arm, -arm)  # "/"
    ring = numpy.abs(numpy.hypot(u, v) - arm)
    ink = numpy.where(kinds == "X", numpy.minimum(stroke_1, stroke_2), ring) <= half
    n = ink.shape[0]
    coverage = ink.reshape(n, size, supersample, size, supersample).mean(axis=(2, 4))
    images = (2.0 * coverage - 1.0).astype(numpy.float32)  # (n, size, size)
    return images[0] if single else images


def make_dataset(
    n: int,
    seed=None,
    size: int = 9,
    max_shift: float = 1.0,
    max_rotation: float = 15.0,
    scale_range=(0.8, 1.1),
    width_range=(0.9, 1.8),
):
    """``n`` random X's and O's, half of each, in random order: the lecture's trickier cases.

    Each image is drawn by :func:`render` with a shift of up to ``max_shift`` pixels each way, a
    rotation of up to ``max_rotation`` degrees either side, a scale in ``scale_range`` and a
    stroke width (the slide's "weight") in ``width_range`` pixels.

    Args:
        n: the number of images.
        seed: an int, a sequence of ints or a ``numpy.random.Generator``; the same seed gives
            the same images.
        size: the side of the images in pixels (9 as on the slides).

    Returns:
        ``(images, labels)``: float32 (n, size, size, 1) in [-1, 1], and int64 (n,) with
        0 for X and 1 for O (:data:`CLASS_NAMES`).

    Example:
        >>> images, labels = make_dataset(6, seed=0)
        >>> images.shape, sorted(labels.tolist())
        ((6, 9, 9, 1), [0, 0, 0, 1, 1, 1])
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"make_dataset: n must be a positive int, received {n!r}.")
    rng = numpy.random.default_rng(seed)
    labels = rng.permutation(numpy.arange(n) % 2)
    images = render(
        numpy.array(CLASS_NAMES)[labels],
        size=size,
        shift=rng.uniform(-max_shift, max_shift, size=(2, n)),
        angle=rng.uniform(-max_rotation, max_rotation, size=n),
        scale=rng.uniform(*scale_range, size=n),
        width=rng.uniform(*width_range, size=n),
    )
    return images[..., None], labels
