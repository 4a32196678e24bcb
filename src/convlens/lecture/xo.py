"""The lecture's toy ConvNet, "is it an X or an O?", by hand and then trained by backpropagation.

By hand, as the slides do it: filter the 9×9 image with each of three 3×3 features (multiply the
window by the feature, add, divide by the number of feature pixels), ReLU, 2×2 max pooling, stack
the three pooled maps as channels, flatten, and let every value vote for X or O. Then the same
network, Conv2D(3, 3) → ReLU → MaxPooling2D → Flatten → Dense(2, softmax), learns its own
features from generated images, and we compare them with the hand-made ones.

Every step calls the library's ops (:func:`convlens.ops.conv2d`, :func:`convlens.ops.relu`,
:func:`convlens.ops.max_pool2d`); there is no second convolution here.

Notes on the slides (checked cell by cell in ``tests/test_lecture_xo.py``): the maps are printed
cut, not rounded, to two decimals (7/9 is 0.77); a few printed cells are misprints: 0.88 and 0.38
for 0.33 and 0.35 for 0.55 cannot occur (nine products of ±1 add up to an odd number of ninths),
and one 0.11 stands for 0.33; the first map slide draws the anti-diagonal feature beside the
diagonal feature's map; the image of the following slide has an ink pixel at (7, 6) that its
maps do not show. We assert the exact values of the ideal X.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy

from .. import ops
from .xo_images import CLASS_NAMES, DISTORTED_X, FEATURES, O_IMAGE, X_IMAGE, make_dataset

POOL_SIZE, POOL_STRIDES, POOL_PADDING = 2, 2, "same"  # the slide's 7×7 → 4×4: "same" pads one row


def _image_batch(image) -> numpy.ndarray:
    image = numpy.asarray(image, dtype=numpy.float64)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D image (height, width), received shape {image.shape}.")
    return image[None, :, :, None]  # (1, H, W, 1)


def _feature_kernel(features) -> numpy.ndarray:
    # Each feature divided by its number of pixels, stacked as the filters of one kernel.
    kernels = [numpy.asarray(f, numpy.float64) / numpy.size(f) for f in features]
    return numpy.stack(kernels, axis=-1)[:, :, None, :]  # (F, F, 1, number of features)


def filter_image(image, feature) -> numpy.ndarray:
    """The slides' filtering: line the feature up with every window, multiply, add, divide by
    the number of feature pixels.

    Args:
        image: a 2-D array (H, W), e.g. :data:`X_IMAGE`.
        feature: a 2-D array (F, F), e.g. ``FEATURES["diagonal"]``.

    Returns:
        float64 array (H - F + 1, W - F + 1): the feature map ("valid" convolution / F²).

    Example:
        >>> feature_map = filter_image(X_IMAGE, FEATURES["diagonal"])
        >>> (9 * feature_map[0]).round().astype(int).tolist()   # the slide's 0.77 -0.11 0.11 ...
        [7, -1, 1, 3, 5, -1, 3]
    """
    feature = numpy.asarray(feature)
    if feature.ndim != 2:
        raise ValueError(f"expected a 2-D feature (height, width), received shape {feature.shape}.")
    maps = ops.conv2d(_image_batch(image), _feature_kernel([feature]), padding="valid")
    return maps.numpy()[0, :, :, 0]


def feature_maps(image) -> dict[str, numpy.ndarray]:
    """The three feature maps of the slides, before the ReLU: name of the feature -> 7×7 map."""
    return {name: filter_image(image, feature) for name, feature in FEATURES.items()}


def pool(feature_map) -> numpy.ndarray:
    """2×2 max pooling with stride 2; ``"same"`` padding keeps the last row and column (7 → 4)."""
    x = numpy.asarray(feature_map, numpy.float64)[None, :, :, None]  # (1, H, W, 1)
    pooled = ops.max_pool2d(x, pool_size=POOL_SIZE, strides=POOL_STRIDES, padding=POOL_PADDING)
    return pooled.numpy()[0, :, :, 0]


def image_stack(image) -> numpy.ndarray:
    """The image through the hand-made layers: filter with the three features at once (one
    convolution with three output channels), ReLU, pool: the stack of (4, 4, 3) pooled maps."""
    maps = ops.conv2d(_image_batch(image), _feature_kernel(FEATURES.values()))  # (1, 7, 7, 3)
    pooled = ops.max_pool2d(ops.relu(maps), POOL_SIZE, POOL_STRIDES, POOL_PADDING)  # (1, 4, 4, 3)
    return pooled.numpy()[0]


def vote_weights() -> tuple[numpy.ndarray, numpy.ndarray]:
    """The hand-made fully connected layer: kernel (48, 2) and bias (2,), columns X then O.

    Each class's weights are the flattened stack of its ideal image, t_X and t_O, and its bias is
    -|t|²/2. A value that is high in the ideal X votes for X in proportion, and so on: the score
    ``p·t - |t|²/2`` is ``(|p|² - |p - t|²)/2``, so the class whose ideal stack is nearer wins, and
    score_X - score_O = ``p·(t_X - t_O) - (|t_X|² - |t_O|²)/2``: the values where the X is brighter
    than the O vote X, the others vote O.
    """
    templates = numpy.stack([image_stack(X_IMAGE).ravel(), image_stack(O_IMAGE).ravel()], axis=1)
    return templates, -0.5 * (templates**2).sum(axis=0)  # (48, 2), (2,)


def vote(image) -> dict[str, float]:
    """Every value gets a vote: the scores of X and O for ``image`` (the higher one wins).

    Example:
        >>> scores = vote(DISTORTED_X)
        >>> scores["X"] > scores["O"]
        True
    """
    kernel, bias = vote_weights()
    scores = image_stack(image).ravel() @ kernel + bias  # (2,)
    return {name: float(score) for name, score in zip(CLASS_NAMES, scores, strict=True)}


def classify(image) -> str:
    """``"X"`` or ``"O"``: the class with the higher :func:`vote`."""
    scores = vote(image)
    return max(scores, key=scores.get)


def truncate(values, decimals: int = 2) -> numpy.ndarray:
    """Values cut (not rounded) to ``decimals`` places as the slides print them: 7/9 → 0.77."""
    scale = 10.0**decimals
    # A hair of slack so that 9/9 computed as 0.99999... prints 1.00.
    return numpy.trunc(numpy.asarray(values) * scale + numpy.sign(values) * 1e-9) / scale


def format_map(values, decimals: int = 2) -> list[str]:
    """The rows of a map as the slides print them: truncated values, tab separated.

    Example:
        >>> format_map(filter_image(X_IMAGE, FEATURES["diagonal"]))[0]
        '0.77\\t-0.11\\t0.11\\t0.33\\t0.55\\t-0.11\\t0.33'
    """
    cut = truncate(values, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    return ["\t".join(f"{v:.{decimals}f}" for v in row) for row in cut]


def format_image(image) -> list[str]:
    """An image of -1/+1 as text: ``#`` for ink (> 0), ``.`` for background."""
    return ["".join("#" if v > 0 else "." for v in row) for row in numpy.asarray(image)]


# ----- learning the features by backpropagation -----


@dataclass
class FilterMatch:
    """A learned 3×3 filter and the hand-made feature most like it (cosine up to sign)."""

    filter: int
    feature: str
    cosine: float


@dataclass
class XOTrainingResult:
    """What :func:`train_xo` returns."""

    model: object
    accuracy: float  # on held-out generated images
    loss: float
    train_size: int
    test_size: int
    epochs: int
    seconds: float
    matches: list[FilterMatch] = field(default_factory=list)


def build_xo_model(size: int = 9, seed: int = 0):
    """The slides' network in the Keras front: Conv2D(3, 3) → ReLU → MaxPooling2D(2, "same") →
    Flatten → Dense(2, softmax), initialised from ``seed``."""
    from .. import initializers, layers, models

    return models.Sequential(
        [
            layers.Input((size, size, 1)),
            layers.Conv2D(3, 3, kernel_initializer=initializers.GlorotUniform(seed=seed)),
            layers.ReLU(),
            layers.MaxPooling2D(POOL_SIZE, POOL_STRIDES, padding=POOL_PADDING),
            layers.Flatten(),
            layers.Dense(
                2,
                activation="softmax",
                kernel_initializer=initializers.GlorotUniform(seed=seed + 1),
            ),
        ],
        name="x_or_o",
    )


def compare_filters(kernel) -> list[FilterMatch]:
    """For each learned filter of ``kernel`` (3, 3, 1, F), the hand-made feature with the largest
    cosine similarity in absolute value (a filter and its negative detect the same pattern, one
    with the opposite sign, which the next layer's weights can undo), with the signed cosine."""
    kernel = numpy.asarray(kernel, numpy.float64)
    names = list(FEATURES)
    hand = numpy.stack([FEATURES[n].ravel() / numpy.linalg.norm(FEATURES[n]) for n in names])
    matches = []
    for index in range(kernel.shape[-1]):
        learned = kernel[..., index].ravel()
        cosines = hand @ learned / max(numpy.linalg.norm(learned), 1e-12)  # (3,)
        best = int(numpy.abs(cosines).argmax())
        matches.append(FilterMatch(index, names[best], float(cosines[best])))
    return matches


def train_xo(
    seed: int = 0,
    epochs: int = 15,
    train_size: int = 2000,
    test_size: int = 2000,
    size: int = 9,
    learning_rate: float = 0.02,
    batch_size: int = 32,
) -> XOTrainingResult:
    """Train the slides' network on generated X's and O's and test it on others.

    The training and test images come from :func:`make_dataset` with different seeds, so the
    test images are shifted, rotated, scaled and inked differently. Same seed, same result.

    Returns:
        an :class:`XOTrainingResult`: the model, its held-out accuracy and loss, and how its
        three learned filters compare with the lecture's three features.
    """
    from .. import optimizers

    start = time.perf_counter()
    x_train, y_train = make_dataset(train_size, seed=[seed, 0], size=size)
    x_test, y_test = make_dataset(test_size, seed=[seed, 1], size=size)
    model = build_xo_model(size, seed)
    model.compile(
        optimizer=optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0, seed=seed)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    kernel = model.layers[0].get_weights()[0]  # (3, 3, 1, 3)
    return XOTrainingResult(
        model,
        float(accuracy),
        float(loss),
        train_size,
        test_size,
        epochs,
        time.perf_counter() - start,
        compare_filters(kernel),
    )


# ----- the demo -----


def demo_lines(train: bool = True, seed: int = 0) -> Iterator[str]:
    """The X/O section of the lecture as text, for ``convlens demo xo``: the image, the three
    feature maps, the pooled map, the votes, then (when ``train``) a trained network."""
    yield "A toy ConvNet: is it an X or an O?"
    yield ""
    yield "The input, a 9x9 image of -1 (.) and +1 (#):"
    yield from format_image(X_IMAGE)
    for name, feature_map in feature_maps(X_IMAGE).items():
        yield ""
        yield f"Filtering with the {name.replace('_', '-')} feature ({_feature_text(name)}), / 9:"
        yield from format_map(feature_map)
    yield ""
    yield "ReLU, then 2x2 max pooling, stride 2 (padding 'same': 7x7 -> 4x4), diagonal feature:"
    yield from format_map(image_stack(X_IMAGE)[..., 0])
    yield ""
    yield "Stack the three pooled maps, flatten (48 values): every value gets a vote."
    yield "  (weights: the ideal X's 48 values for X, the O's for O; bias -|w|^2/2: nearer wins)"
    for label, image in (("the X", X_IMAGE), ("the distorted X", DISTORTED_X), ("the O", O_IMAGE)):
        scores = vote(image)
        yield (
            f"  {label + ':':17s} X {scores['X']:6.3f}, O {scores['O']:6.3f}  ->  "
            f"{max(scores, key=scores.get)}"
        )
    if not train:
        return
    yield ""
    yield "Training the same network, Conv2D(3, 3) -> ReLU -> MaxPooling2D -> Flatten ->"
    yield "Dense(2, softmax), by backpropagation on generated X's and O's..."
    result = train_xo(seed=seed)
    yield (
        f"held-out accuracy {result.accuracy:.4f} on {result.test_size} new images "
        f"({result.train_size} training images, {result.epochs} epochs, "
        f"{result.seconds:.1f} s)"
    )
    yield "learned filters vs the lecture's features (cosine similarity, up to sign):"
    kernel = result.model.layers[0].get_weights()[0]
    for match in result.matches:
        yield f"  filter {match.filter}: {match.feature:13s} cosine {match.cosine:+.2f}"
        for row in kernel[:, :, 0, match.filter]:
            yield "    " + " ".join(f"{v:+.2f}" for v in row)


def _feature_text(name: str) -> str:
    return "; ".join(" ".join(f"{v:+d}" for v in row) for row in FEATURES[name])
