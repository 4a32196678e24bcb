"""The kernels of the lecture applied to a photo, drawn so that their effects can be told apart.

A sheet of three rows, the original in the first column and one kernel per further column:

1. the photo and each result at a legible size (the photo's own size, its longest side kept
   between 256 and 1024 pixels), an edge kernel's signed response in diverging colours;
2. the same most detailed square of each, enlarged with visible pixels: blur, sharpen and
   the original differ there even when a large photo hides it in row 1;
3. each result minus the original, in diverging colours centred on zero: a blur darkens
   the bright side of every edge and brightens the dark side, sharpen does the opposite.
"""

from __future__ import annotations

import numpy

from ._figures import (
    DPI,
    panel_pixels,
    pyplot,
    save,
    scale_text,
    show_map,
    symmetric_limit,
)

PHOTO_PIXELS = (256, 1024)  # smallest and largest drawn side of a photo's panel
KERNELS_PER_BLOCK = 4  # more kernels: further blocks of three rows below
ZOOM_SIDE = (16, 96)  # smallest and largest side of the enlarged square, in photo pixels
_LEGEND = (
    "Row 1: the photo and each result.\n"
    "Row 2: the marked square, enlarged.\n"
    "Row 3: result - original, in pixel values:\n"
    "red where the kernel made the photo brighter,\n"
    "blue darker, white unchanged."
)


def _grey(image) -> numpy.ndarray:
    """A float (H, W) picture: a colour image's channels averaged."""
    image = numpy.asarray(image, dtype=numpy.float64)
    return image.mean(axis=-1) if image.ndim == 3 else image


def detail_crop(image, side: int | None = None) -> tuple[int, int, int]:
    """``(top, left, side)`` of the square of ``image`` with the most detail (the largest sum
    of absolute differences between neighbouring pixels): where filters show their effect."""
    grey = _grey(image)
    height, width = grey.shape
    if side is None:
        side = min(max(min(height, width) // 6, ZOOM_SIDE[0]), ZOOM_SIDE[1])
    side = max(1, min(side, height, width))
    energy = numpy.zeros_like(grey)
    energy[:, 1:] += numpy.abs(numpy.diff(grey, axis=1))
    energy[1:, :] += numpy.abs(numpy.diff(grey, axis=0))
    total = numpy.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # (H + 1, W + 1)
    stride = max(1, side // 4)
    tops = numpy.arange(0, height - side + 1, stride)[:, None]
    lefts = numpy.arange(0, width - side + 1, stride)[None, :]
    sums = (
        total[tops + side, lefts + side]
        - total[tops, lefts + side]
        - total[tops + side, lefts]
        + total[tops, lefts]
    )  # (len(tops), len(lefts)): the energy of each square
    row, column = numpy.unravel_index(numpy.argmax(sums), sums.shape)
    return int(tops[row, 0]), int(lefts[0, column]), side


def _margins(shape, reference_shape):
    """``(top, left)`` pixels that padding "valid" cut from each side (an odd kernel cuts as
    many on both sides), or None when the sizes differ otherwise (a stride)."""
    cut = [reference - size for size, reference in zip(shape[:2], reference_shape[:2])]
    if all(c >= 0 and c % 2 == 0 for c in cut):
        return cut[0] // 2, cut[1] // 2
    return None


def _crop(picture, crop, reference_shape):
    """The crop of ``picture`` at the photo's place: shifted for a "valid" result, scaled for
    any other smaller one."""
    top, left, side = crop
    margins = _margins(picture.shape, reference_shape)
    if margins is not None:
        top, left = max(0, top - margins[0]), max(0, left - margins[1])
        return picture[top : top + side, left : left + side]
    scale_y = picture.shape[0] / reference_shape[0]
    scale_x = picture.shape[1] / reference_shape[1]
    top, left = round(top * scale_y), round(left * scale_x)
    return picture[
        top : top + max(1, round(side * scale_y)), left : left + max(1, round(side * scale_x))
    ]


def _draw_photo(axis, picture, title):
    """A uint8 picture: colour as is, grey with a 0..255 colour bar."""
    picture = numpy.asarray(picture)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim == 2:
        return show_map(axis, picture, title, signed=False, cmap="gray", limit=(0, 255))
    axis.imshow(picture, interpolation="nearest")
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])
    return None


def _draw_signed(axis, response, title, limit):
    colour = numpy.ndim(response) == 3
    values = _grey(response)
    return show_map(
        axis, values, title + (" (mean of R, G, B)" if colour else ""), True, limit=limit
    )


def _note(axis, text):
    axis.axis("off")
    axis.text(0.02, 0.5, text, fontsize=9, va="center", transform=axis.transAxes)


def _draw_original(column, image, crop, legend: bool) -> None:
    """The original in a block's first column: whole with the square marked, then enlarged."""
    from matplotlib.patches import Rectangle

    height, width = image.shape[:2]
    top, left, side = crop
    _draw_photo(column[0], image, f"original ({width}x{height} pixels)")
    column[0].add_patch(
        Rectangle((left - 0.5, top - 0.5), side, side, fill=False, ec="yellow", lw=2)
    )
    _draw_photo(column[1], _crop(image, crop, image.shape), f"original, {side}x{side} enlarged")
    _note(column[2], _LEGEND if legend else "")


def _draw_signed_column(column, name, response, crop, reference_shape) -> None:
    """An edge kernel: its signed response, whole and enlarged, on one symmetric scale."""
    response = numpy.asarray(response, dtype=numpy.float64)
    limit = symmetric_limit(response, robust=True)
    _draw_signed(column[0], response, f"{name}: signed response", limit)
    _draw_signed(column[1], _crop(response, crop, reference_shape), f"{name}, enlarged", limit)
    _note(
        column[2],
        f"{name} sums to 0: row 1 is its\nsigned response itself. White: 0,\n"
        "no edge; red and blue: the two\nsides of an edge.",
    )


def _draw_result_column(column, name, result, image, crop) -> None:
    """A kernel that keeps brightness: the result, enlarged, and minus the original."""
    result = numpy.asarray(result)
    _draw_photo(column[0], result, name)
    _draw_photo(column[1], _crop(result, crop, image.shape), f"{name}, enlarged")
    margins = _margins(result.shape, image.shape)
    if margins is None:
        _note(
            column[2],
            f"{name}: {result.shape[1]}x{result.shape[0]} pixels,\nnot "
            "the photo's size:\nno difference drawn.",
        )
        return
    (top, left), (rows, columns) = margins, result.shape[:2]
    original = image[top : top + rows, left : left + columns]  # the pixels under the result
    difference = _grey(result) - _grey(original)
    limit = symmetric_limit(difference, robust=True)
    show_map(column[2], difference, f"{name} - original", True, limit=limit)


def filter_figure(image, results: dict, signed_responses: dict | None = None):
    """The figure of :func:`filter_results` (left open: a notebook shows it; close it).

    More than :data:`KERNELS_PER_BLOCK` kernels are drawn in blocks of three rows, one under
    the other, each beginning with the original."""
    image = numpy.asarray(image)
    signed_responses = signed_responses or {}
    height, width = image.shape[:2]
    panel_h, panel_w = panel_pixels(height, width, *PHOTO_PIXELS)
    crop, zoom = detail_crop(image), min(panel_h, panel_w)
    names = list(results)
    blocks = [names[i : i + KERNELS_PER_BLOCK] for i in range(0, len(names), KERNELS_PER_BLOCK)]
    blocks = blocks or [[]]
    columns = 1 + max(len(block) for block in blocks)
    figure, axes = pyplot().subplots(
        3 * len(blocks),
        columns,
        figsize=(
            columns * (panel_w + 170) / DPI,
            len(blocks) * (2 * panel_h + zoom + 200) / DPI + 0.8,
        ),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"height_ratios": [panel_h, zoom, panel_h] * len(blocks)},
    )
    for number, block in enumerate(blocks):
        rows = axes[3 * number : 3 * number + 3]  # (3, columns)
        _draw_original(rows[:, 0], image, crop, legend=number == 0)
        for index, name in enumerate(block, start=1):
            if name in signed_responses:
                _draw_signed_column(rows[:, index], name, signed_responses[name], crop, image.shape)
            else:
                _draw_result_column(rows[:, index], name, results[name], image, crop)
        for axis in rows[:, len(block) + 1 :].flat:
            axis.axis("off")
    figure.suptitle(f"kernels applied to the photo ({width}x{height} pixels)", fontsize=12)
    scale_text(figure, min(panel_w / 500, 2.0))  # larger panels, larger text
    return figure


def filter_results(image, results: dict, path, signed_responses: dict | None = None) -> str:
    """The original photo beside each filtered version, with an enlarged detail and each
    result's difference from the original (see the module's docstring for the three rows).

    Args:
        image: the photo, ``(H, W)`` or ``(H, W, 3)`` uint8.
        results: ``{kernel name: displayable uint8 image}`` (see ``filters.to_displayable``).
        path: the PNG file to write.
        signed_responses: ``{kernel name: raw response}`` for the kernels whose output is
            signed (edge detectors): those are drawn in diverging colours, zero white, with a
            colour bar of the response's values, instead of their displayable image.

    Returns:
        ``path``.
    """
    return save(filter_figure(image, results, signed_responses), path)


__all__ = ["detail_crop", "filter_figure", "filter_results"]
