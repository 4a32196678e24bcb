"""The recap's optimizer picture: SGD, momentum, RMSprop and Adam stepping on a loss surface,
their paths drawn over its contour lines (the numbers: :mod:`convlens.lecture.optimizer_paths`).

One panel per surface; one colour per optimizer, a circle at the common start and a cross at
each end; the legend gives each learning rate and the loss reached. As a GIF, the paths grow
step by step.
"""

from __future__ import annotations

import numpy

from ._figures import DPI, pyplot, write_gif, write_png

COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
PANEL_PIXELS = (760, 640)  # width, height of one surface's panel


def _contours(axis, surface):
    xs = numpy.linspace(*surface.x_range, 241)
    ys = numpy.linspace(*surface.y_range, 201)
    x, y = numpy.meshgrid(xs, ys)  # (201, 241) each
    z = surface(x, y)
    filled = axis.contourf(x, y, z, levels=30, cmap="Greys", alpha=0.35)
    lines = axis.contour(x, y, z, levels=15, colors="0.45", linewidths=0.7)
    axis.clabel(lines, fontsize=7, fmt="%.2g")
    bar = axis.figure.colorbar(filled, ax=axis, fraction=0.046, pad=0.02)
    bar.set_label("loss f(x, y)", fontsize=8)
    for label, (lx, ly) in _landmarks(surface).items():
        axis.plot(lx, ly, marker="*", color="black", markersize=11, linestyle="none")
        axis.annotate(label, (lx, ly), textcoords="offset points", xytext=(6, -12), fontsize=8)


def _landmarks(surface) -> dict:
    """The critical points worth naming: the saddle, or the two minima of the double well."""
    if surface.name == "saddle":
        return {"saddle": (0.0, 0.0)}
    if surface.name == "local-minimum":
        roots = sorted(r.real for r in numpy.roots([4.0, 0.0, -4.0, 0.3]) if abs(r.imag) < 1e-9)
        return {"global minimum": (roots[0], 0.0), "local minimum": (roots[-1], 0.0)}
    return {}


def _draw_panel(axis, surface, trajectories: dict, rates: dict):
    """Contours, then one line per optimizer; returns the artists a frame updates."""
    _contours(axis, surface)
    start = next(iter(trajectories.values()))[0]
    axis.plot(*start, marker="o", color="black", markersize=8, linestyle="none", label="start")
    counter = axis.text(  # "step k/N" in the animation's frames; empty in the still picture
        0.98, 0.97, "", ha="right", va="top", fontsize=11, transform=axis.transAxes
    )
    artists = []
    for colour, (label, points) in zip(COLOURS * 4, trajectories.items()):
        final = float(surface(*points[-1]))
        rate = f" (lr {rates[label]:g})" if label in rates else ""
        (low_x, high_x), (low_y, high_y) = surface.x_range, surface.y_range
        if not (low_x <= points[-1][0] <= high_x and low_y <= points[-1][1] <= high_y):
            rate += ", left the window"
        (line,) = axis.plot(
            *points.T,
            color=colour,
            lw=2,
            marker=".",
            ms=4,
            label=label + rate + f": f = {final:.3g} after {len(points) - 1} steps",
        )
        (end,) = axis.plot(
            *points[-1], marker="X", color=colour, markersize=11, mec="black", linestyle="none"
        )
        artists.append((line, end, points, counter))
    axis.set_xlim(*surface.x_range)
    axis.set_ylim(*surface.y_range)
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.set_title(f"{surface.name}: {surface.formula}", fontsize=11)
    axis.legend(fontsize=8, loc="lower center", framealpha=0.9)  # the paths go up or sideways
    return artists


def _show_upto(artists, fraction: float) -> None:
    """Show each path up to ``fraction`` of its steps (a frame of the animation)."""
    for line, end, points, counter in artists:
        count = int(round(fraction * (len(points) - 1)))
        line.set_data(points[: count + 1, 0], points[: count + 1, 1])
        end.set_data([points[count, 0]], [points[count, 1]])
        counter.set_text(f"step {count}/{len(points) - 1}")


def _frames(figure, artists, count: int) -> list:
    """The animation's frames: the contours drawn once, then only the growing paths on top
    (matplotlib's blitting: a restored background and the moving artists redrawn)."""
    from PIL import Image

    canvas = figure.canvas
    canvas.draw()  # the layout is settled here, then frozen for every frame
    figure.set_layout_engine("none")
    for line, end, _, counter in artists:
        for artist in (line, end, counter):
            artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(figure.bbox)
    images = []
    for fraction in numpy.linspace(0.0, 1.0, count):
        canvas.restore_region(background)
        _show_upto(artists, fraction)
        counters = {id(a[3]): a[3] for a in artists}  # one per panel, drawn once
        for artist in [a for line, end, _, _ in artists for a in (line, end)]:
            artist.axes.draw_artist(artist)
        for counter in counters.values():
            counter.axes.draw_artist(counter)
        rgba = numpy.asarray(canvas.buffer_rgba())  # (H, W, 4)
        images.append(Image.fromarray(rgba[..., :3].copy()))
    return images


def optimizer_figure(panels):
    """The figure of :func:`optimizer_paths`: ``panels`` is a list of
    ``(surface, {label: path array}, {label: learning rate})``. Returns ``(figure, artists)``."""
    width, height = PANEL_PIXELS
    figure, axes = pyplot().subplots(
        1,
        len(panels),
        figsize=(len(panels) * width / DPI, height / DPI),
        squeeze=False,
        layout="constrained",
    )
    artists = []
    for axis, (surface, trajectories, rates) in zip(axes.flat, panels):
        artists += _draw_panel(axis, surface, trajectories, rates)
    figure.suptitle(
        "Our optimizers' real update rules on two parameters: where each one goes", fontsize=12
    )
    return figure, artists


def optimizer_paths(
    path, surfaces=("saddle", "local-minimum"), steps=None, gif=False, frames: int = 40
) -> list[str]:
    """Draw SGD, SGD with momentum, RMSprop and Adam on each surface, to ``path``.

    Args:
        path: the file to write: a PNG, or an animated GIF when it ends with ``.gif``.
        surfaces: names of ``lecture.optimizer_paths.SURFACES`` (one panel each).
        steps: updates per optimizer (default: each surface's).
        gif: also write the animation beside a PNG, with the suffix ``.gif``.
        frames: frames of the animation (at most one per step).

    Returns:
        The paths written.
    """
    from ..lecture import optimizer_paths as math

    panels = []
    for name in [surfaces] if isinstance(surfaces, str) else surfaces:
        surface = math.get_surface(name)
        optimizers = math.default_optimizers(surface)
        rates = {label: float(opt.learning_rate) for label, opt in optimizers.items()}
        panels.append((surface, math.paths(optimizers, surface, steps), rates))
    figure, artists = optimizer_figure(panels)
    path = str(path)
    try:
        written = []
        if not path.lower().endswith(".gif"):
            written.append(write_png(figure, path))
        if gif or path.lower().endswith(".gif"):
            target = path if path.lower().endswith(".gif") else path.rsplit(".", 1)[0] + ".gif"
            longest = max(len(artist[2]) for artist in artists)
            images = _frames(figure, artists, max(2, min(frames, longest)))  # <= 1 per step
            written.append(write_gif(images, target, seconds_per_frame=0.15))
    finally:
        pyplot().close(figure)
    return written


__all__ = ["optimizer_figure", "optimizer_paths"]
