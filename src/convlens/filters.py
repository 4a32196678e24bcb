"""The lecture's kernel bank, and one call to apply a kernel to a photo.

Slide "The Convolution Operator" tabulates classic image kernels (identity, three edge
detectors, sharpen, box blur, Gaussian blur 3×3 and 5×5, unsharp masking 5×5); the slide
"Edge Detector" shows ``[-1 0 1]`` columns, and its exercise asks for a horizontal edge
detector. They are all here by name, with the slides' exact values, beside Sobel and Prewitt.

Edge kernels are named after the edge they find: ``vertical_edge`` answers where the image
changes from left to right, i.e. on a vertical edge.

Like every deep-learning framework (and the lecture's worked example), :func:`apply_kernel`
computes the *cross-correlation* ``g(y, x) = sum_ij w(i, j) f(y + i, x + j)``: the kernel is
not flipped. For the symmetric kernels of the table the two are the same; for edge detectors
flipping the kernel only flips the sign of the response.
"""

from __future__ import annotations

from fractions import Fraction

import numpy

from . import filter_strips, ops
from .tensor import no_grad

# name: (what it does, scale, integer matrix) — the slides write kernels as a scale times a matrix
_BANK = {
    "identity": (
        "Identity: the image unchanged.",
        1,
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    ),
    "edge_detection_1": (
        "Edge detection (table, first): the mixed second derivative d2/dxdy (corners).",
        1,
        [[1, 0, -1], [0, 0, 0], [-1, 0, 1]],
    ),
    "edge_detection_2": (
        "Edge detection (table, second): the 4-neighbour Laplacian.",
        1,
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    ),
    "edge_detection_3": (
        "Edge detection (table, third): the 8-neighbour Laplacian (sign flipped).",
        1,
        [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    ),
    "sharpen": (
        "Sharpen: the image plus its negated 4-neighbour Laplacian.",
        1,
        [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    ),
    "box_blur": (
        "Box blur (normalized): the mean of the 3x3 neighbourhood.",
        Fraction(1, 9),
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
    ),
    "gaussian_blur_3x3": (
        "Gaussian blur 3x3 (approximation): binomial weights 1 2 1.",
        Fraction(1, 16),
        [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
    ),
    "gaussian_blur_5x5": (
        "Gaussian blur 5x5 (approximation): binomial weights 1 4 6 4 1.",
        Fraction(1, 256),
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, 36, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ],
    ),
    "unsharp_masking_5x5": (
        "Unsharp masking 5x5 (amount 1, threshold 0): image + (image - gaussian_blur_5x5).",
        Fraction(-1, 256),
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, -476, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ],
    ),
    "vertical_edge": (
        'Vertical edges (slide "Edge Detector"): right column minus left column.',
        1,
        [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    ),
    "horizontal_edge": (
        "Horizontal edges (the exercise's answer): vertical_edge transposed, bottom row minus "
        "top row.",
        1,
        [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    ),
    "sobel_vertical": (
        "Sobel, vertical edges: vertical_edge with the centre row weighted twice (smoother).",
        1,
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    ),
    "sobel_horizontal": (
        "Sobel, horizontal edges: sobel_vertical transposed.",
        1,
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    ),
    "prewitt_vertical": (
        "Prewitt, vertical edges: the same values as vertical_edge.",
        1,
        [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    ),
    "prewitt_horizontal": (
        "Prewitt, horizontal edges: the same values as horizontal_edge.",
        1,
        [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    ),
}


#: The border a photo gets by default (``convlens filter``): reflection, as image tools do.
#: Zero padding (the lecture's) puts a black frame beside the photo, which an edge kernel
#: lights up as if the photo had an edge there (issue 14, item 13).
PHOTO_PADDING_MODE = "reflect"


def _frozen(scale, matrix) -> numpy.ndarray:
    kernel = float(scale) * numpy.array(matrix, dtype=numpy.float64)
    kernel.flags.writeable = False  # the bank is shared: get_kernel hands out copies
    return kernel


#: The kernel bank: name -> read-only float64 array (KH, KW), the slides' values.
KERNELS: dict[str, numpy.ndarray] = {
    name: _frozen(scale, matrix) for name, (_, scale, matrix) in _BANK.items()
}

identity = KERNELS["identity"]
edge_detection_1 = KERNELS["edge_detection_1"]
edge_detection_2 = KERNELS["edge_detection_2"]
edge_detection_3 = KERNELS["edge_detection_3"]
sharpen = KERNELS["sharpen"]
box_blur = KERNELS["box_blur"]
gaussian_blur_3x3 = KERNELS["gaussian_blur_3x3"]
gaussian_blur_5x5 = KERNELS["gaussian_blur_5x5"]
unsharp_masking_5x5 = KERNELS["unsharp_masking_5x5"]
vertical_edge = KERNELS["vertical_edge"]
horizontal_edge = KERNELS["horizontal_edge"]
"""The exercise "create a horizontal edge detector", answered: ``vertical_edge`` transposed.

``vertical_edge`` = ``[[-1, 0, 1]]`` in three rows subtracts the pixel on the left from the pixel
on the right: it is large where brightness changes from left to right (on a vertical edge) and 0
on flat regions and on horizontal edges, where the left and right columns are equal. A
horizontal edge is a change from top to bottom, so rows and columns swap roles: the transpose
``[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]`` subtracts the row above from the row below. It is
positive on a dark-above-bright edge, negative on a bright-above-dark one, and 0 on vertical
edges and flat regions. Its negation ``[[1, 1, 1], [0, 0, 0], [-1, -1, -1]]`` is an equally good
answer with the opposite sign.
"""
sobel_vertical = KERNELS["sobel_vertical"]
sobel_horizontal = KERNELS["sobel_horizontal"]
prewitt_vertical = KERNELS["prewitt_vertical"]
prewitt_horizontal = KERNELS["prewitt_horizontal"]


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get_kernel(name_or_array) -> numpy.ndarray:
    """A kernel of the bank by name, or a user's 2-D kernel, as a new float64 array.

    Args:
        name_or_array: a name of :data:`KERNELS` (case, spaces and hyphens ignored), or a 2-D
            list or array of numbers.

    Returns:
        A writable float64 array (KH, KW).

    Raises:
        ValueError: for an unknown name (the message lists the names), a kernel that is not
            2-D, an empty or non-finite kernel.
        TypeError: for a kernel that does not hold numbers.

    Example:
        >>> get_kernel("vertical_edge")
        array([[-1.,  0.,  1.],
               [-1.,  0.,  1.],
               [-1.,  0.,  1.]])
        >>> get_kernel([[1, 0], [1, -1]]).shape
        (2, 2)
    """
    if isinstance(name_or_array, str):
        name = _normalize(name_or_array)
        if name not in KERNELS:
            raise ValueError(
                f"Unknown kernel {name_or_array!r}; expected one of: {', '.join(KERNELS)}, "
                "or a 2-D list or array of numbers."
            )
        return numpy.array(KERNELS[name])
    try:
        kernel = numpy.array(name_or_array, dtype=numpy.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"A kernel must be a kernel name or a 2-D matrix of numbers, received "
            f"{name_or_array!r}."
        ) from None
    if kernel.ndim != 2 or kernel.size == 0:
        raise ValueError(
            f"A kernel must be a non-empty 2-D matrix (KH, KW), received shape {kernel.shape}."
        )
    if not numpy.isfinite(kernel).all():
        raise ValueError("A kernel must hold finite numbers, received NaN or infinity.")
    return kernel


def _as_image(image, op: str) -> numpy.ndarray:
    """A float image (H, W) or (H, W, C); floating input keeps its dtype, the rest is float64."""
    image = _checked_image(image, op)
    return image if image.dtype.kind == "f" else image.astype(numpy.float64)


def _checked_image(image, op: str) -> numpy.ndarray:
    """``image`` as an array of numbers (H, W) or (H, W, C), not yet converted."""
    image = numpy.asarray(image)
    if image.dtype.kind not in "biuf":
        raise TypeError(f"{op}: expected an image of numbers, received dtype {image.dtype}.")
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(
            f"{op}: expected a non-empty image (H, W) grey or (H, W, C) colour, received shape "
            f"{image.shape}."
        )
    return image


def apply_kernel(
    image, kernel, padding="same", padding_mode=PHOTO_PADDING_MODE, stride=1
) -> numpy.ndarray:
    """Filter an image with a kernel: the lecture's convolution, per channel for colour.

    This is cross-correlation (the kernel is not flipped), as in the lecture's worked example
    and in every deep-learning framework; it equals ``scipy.signal.correlate2d(image, kernel,
    mode="same")`` for an odd kernel with ``padding_mode="zeros"``. A colour image is filtered
    channel by channel with the same kernel: one grouped ``conv2d`` call (``groups=C``).

    Args:
        image: (H, W) grey or (H, W, C) colour; float32/float64 keep their dtype, integer images
            (e.g. a uint8 photo) are computed in float64.
        kernel: a name of :data:`KERNELS` or a 2-D list/array.
        padding: ``"same"`` (default, output size ceil(H/S)), ``"valid"``, an int, a pair or
            ``((top, bottom), (left, right))``.
        padding_mode: the border of ``"same"`` or numeric padding: ``"reflect"`` (default,
            as image tools pad photos: no edges invented at the frame), ``"zeros"`` (the
            lecture's zero padding, whose black frame edge kernels light up), ``"replicate"``
            or ``"circular"``. :func:`describe_border` says it in words.
        stride: an int or a pair.

    Returns:
        A float array (OH, OW) or (OH, OW, C): the raw response, not clipped. Use
        :func:`to_displayable` for a picture.

    Raises:
        ValueError: for an image of the wrong rank, a bad kernel or an invalid padding.

    Example:
        >>> image = [[5, 2, 3, 4], [6, 7, 8, 5], [4, 5, 4, 5], [1, 0, 2, 3]]
        >>> apply_kernel(image, [[1, 0], [1, -1]], padding="valid")
        array([[4., 1., 6.],
               [5., 8., 7.],
               [5., 3., 3.]])
    """
    raw = _checked_image(image, "apply_kernel")
    strides = filter_strips.stride_pair(stride)
    if raw.size > filter_strips.STRIP_PIXELS and filter_strips.can_stream(padding, padding_mode):
        pixels = raw[:, :, None] if raw.ndim == 2 else raw  # (H, W, C)
        out = filter_strips.filter_in_strips(
            pixels, get_kernel(kernel), padding, padding_mode, strides
        )
        return out[:, :, 0] if raw.ndim == 2 else out
    image = _as_image(raw, "apply_kernel")
    weights = get_kernel(kernel).astype(image.dtype)
    grey = image.ndim == 2
    x = image[None, :, :, None] if grey else image[None]  # (1, H, W, C)
    channels = x.shape[-1]
    stacked = numpy.repeat(weights[:, :, None, None], channels, axis=3)  # (KH, KW, 1, C)
    with no_grad():
        out = ops.conv2d(
            x, stacked, strides=stride, padding=padding, groups=channels, padding_mode=padding_mode
        ).numpy()  # (1, OH, OW, C)
    return out[0, :, :, 0] if grey else out[0]


_BORDERS = {
    "reflect": "reflect padding (the photo mirrored at its edges: no edges invented at the frame)",
    "zeros": "zero padding (the lecture's: a black frame, which edge kernels light up)",
    "replicate": "replicate padding (the edge pixels repeated)",
    "circular": "circular padding (the opposite edge wrapped around)",
}


def describe_border(padding="same", padding_mode: str = PHOTO_PADDING_MODE) -> str:
    """Which border a filtered picture got, in words, for a learner reading the picture.

    Example:
        >>> describe_border("same", "reflect")
        'border: reflect padding (the photo mirrored at its edges: no edges invented at the frame)'
        >>> describe_border("valid", "zeros")
        'border: none (padding "valid": the picture shrinks by the kernel size minus 1)'
    """
    if padding == "valid" or padding == 0:
        return 'border: none (padding "valid": the picture shrinks by the kernel size minus 1)'
    if padding_mode not in _BORDERS:
        raise ValueError(
            f"Unknown padding_mode {padding_mode!r}; expected one of {', '.join(_BORDERS)}."
        )
    return f"border: {_BORDERS[padding_mode]}"


def recommended_display(name_or_kernel) -> str:
    """``"clip"`` for a kernel whose weights sum to 1 (it keeps brightness: identity, blurs,
    sharpen, unsharp masking), ``"rescale"`` otherwise (edge detectors sum to 0).

    Example:
        >>> recommended_display("box_blur"), recommended_display("sobel_vertical")
        ('clip', 'rescale')
    """
    return "clip" if abs(get_kernel(name_or_kernel).sum() - 1.0) < 1e-9 else "rescale"


def to_displayable(result, mode: str = "clip") -> numpy.ndarray:
    """A filter's response as a uint8 picture.

    The rules:

    - ``"clip"``: values rounded (halves up) and clipped to [0, 255]. For kernels that sum to 1
      (identity, blurs, sharpen), whose output is on the input's 0..255 scale.
    - ``"rescale"``: if any value is negative (a signed edge response), ``-m..m`` with
      ``m = max |result|`` maps to 0..255, so 0 (no edge) is mid grey (128) and the two signs
      are dark and bright; otherwise ``min..max`` maps to 0..255. A constant result (no contrast)
      maps to 0. One scale for all channels of a colour result, so colours keep their balance.

    Args:
        result: a float array (H, W) or (H, W, C), e.g. from :func:`apply_kernel`.
        mode: ``"clip"`` or ``"rescale"``; :func:`recommended_display` picks one per kernel.

    Raises:
        ValueError: for an unknown mode.

    Example:
        >>> to_displayable([[-20.0, 0.0, 300.0]], "clip").tolist()
        [[0, 0, 255]]
        >>> to_displayable([[-4.0, 0.0, 4.0]], "rescale").tolist()
        [[0, 128, 255]]
    """
    values = numpy.asarray(result, dtype=numpy.float64)
    if mode == "clip":
        return numpy.clip(numpy.floor(values + 0.5), 0, 255).astype(numpy.uint8)
    if mode != "rescale":
        raise ValueError(f'Unknown display mode {mode!r}; expected "clip" or "rescale".')
    if values.size and values.min() < 0:
        low, high = -numpy.abs(values).max(), numpy.abs(values).max()
    else:
        low, high = (values.min(), values.max()) if values.size else (0.0, 0.0)
    span = (high - low) or 1.0
    scaled = (values - low) / span * 255.0  # divide first: 0 of a signed result is exactly 127.5
    return numpy.floor(scaled + 0.5).clip(0, 255).astype(numpy.uint8)


def _format_scale(scale) -> str:
    return "" if scale == 1 else f"{scale} x "


def describe() -> str:
    """The kernel bank as text (``convlens kernels``): name, purpose, display rule and matrix."""
    blocks = []
    for name, (purpose, scale, matrix) in _BANK.items():
        width = max(len(str(v)) for row in matrix for v in row)
        prefix = _format_scale(scale)
        rows = [" ".join(f"{v:>{width}d}" for v in row) for row in matrix]
        lines = [f"{name}  ({recommended_display(name)} for display)", f"  {purpose}"]
        lines += [
            f"    {prefix if i == len(rows) // 2 else ' ' * len(prefix)}[ {row} ]"
            for i, row in enumerate(rows)
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
