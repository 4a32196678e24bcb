"""The recap's optimizer picture, as numbers: optimizers stepping on a 2-parameter surface.

The lecture's recap says that in high dimensions most critical points are saddle points, not
local minima, and that momentum, RMSprop and Adam avoid the steps of plain gradient descent that
cancel out. Here the learner can watch it: our own optimizer classes (``convlens.optimizers``)
apply their real update rules to one 2-parameter Tensor ``w = (x, y)``, with gradients from the
engine's autograd, on two surfaces:

- ``"saddle"``: ``f = x² − y²``, a saddle at the origin. The start is a hair off the ridge
  (``y = 0.01``): the gradient along ``y`` is tiny there, so plain SGD lingers near the saddle
  while momentum builds speed and RMSprop/Adam rescale the small gradient to a full step.
- ``"local-minimum"``: ``f = (x² − 1)² + 0.3·x + y²``, a double well: a local minimum near
  ``x = 0.96`` beside the global one near ``x = −1.04``. Starting on the far right, plain SGD
  settles in the nearer, local minimum; momentum carries speed over the ridge.

:func:`paths` returns the points as arrays; ``convlens.viz.optimizer_paths`` draws them over
the contour lines (``convlens show optimizers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from ..tensor import Tensor


def _saddle(x, y):
    return x**2 - y**2


def _double_well(x, y):
    return (x**2 - 1.0) ** 2 + 0.3 * x + y**2


@dataclass(frozen=True)
class Surface:
    """A loss surface of two parameters ``f(x, y)``, where to start, and what to look at.

    ``function`` uses only ``+ − * **``, so it takes NumPy arrays (the contour lines) and
    Tensors (the gradients, by autograd) alike.
    """

    name: str
    formula: str
    function: object
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    learning_rates: dict  # per optimizer: one that shows the rule's behaviour in ``steps``
    steps: int  # enough steps for the story: SGD still near the saddle, the others away

    def __call__(self, x, y):
        return self.function(x, y)


SURFACES = {
    "saddle": Surface(
        "saddle",
        "f = x² − y²",
        _saddle,
        start=(1.0, 0.01),
        x_range=(-1.2, 1.2),
        y_range=(-1.2, 1.2),
        learning_rates={"SGD": 0.02, "momentum": 0.02, "RMSprop": 0.02, "Adam": 0.02},
        steps=60,
    ),
    "local-minimum": Surface(
        "local-minimum",
        "f = (x² − 1)² + 0.3·x + y²",
        _double_well,
        start=(1.9, 0.8),
        x_range=(-2.0, 2.1),
        y_range=(-1.2, 1.2),
        learning_rates={"SGD": 0.01, "momentum": 0.01, "RMSprop": 0.05, "Adam": 0.1},
        steps=100,
    ),
}


def get_surface(name) -> Surface:
    """A surface of :data:`SURFACES` by name, or a :class:`Surface` as is.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(name, Surface):
        return name
    if name not in SURFACES:
        raise ValueError(f"Unknown surface {name!r}; accepted: {', '.join(SURFACES)}.")
    return SURFACES[name]


def default_optimizers(surface="saddle") -> dict:
    """The recap's four: SGD, SGD with momentum 0.9, RMSprop and Adam (Keras's defaults but for
    the learning rate, which the surface chooses), as ``{label: optimizer}``."""
    from ..optimizers import SGD, Adam, RMSprop

    rates = get_surface(surface).learning_rates
    return {
        "SGD": SGD(learning_rate=rates["SGD"]),
        "SGD + momentum 0.9": SGD(learning_rate=rates["momentum"], momentum=0.9),
        "RMSprop": RMSprop(learning_rate=rates["RMSprop"]),
        "Adam": Adam(learning_rate=rates["Adam"]),
    }


def gradient(surface, point) -> numpy.ndarray:
    """``∇f`` at ``point = (x, y)``, from the engine's autograd."""
    w = Tensor(numpy.asarray(point, dtype=numpy.float64), requires_grad=True)
    get_surface(surface)(w[0], w[1]).backward()
    return numpy.array(w.grad, dtype=numpy.float64)


def path(optimizer, surface, steps: int, start=None) -> numpy.ndarray:
    """The points one optimizer visits: ``steps`` applications of its update rule.

    Returns:
        A float64 array ``(steps + 1, 2)``: the start, then ``(x, y)`` after each step.

    Raises:
        ValueError: for ``steps`` that is not a non-negative int.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, received {steps!r}.")
    surface = get_surface(surface)
    w = Tensor(numpy.array(start or surface.start, dtype=numpy.float64), requires_grad=True)
    points = [w.data.copy()]
    for _ in range(steps):
        w.zero_grad()
        surface(w[0], w[1]).backward()
        optimizer.apply([w.grad], [w])  # the optimizer's own rule, in place on w
        points.append(w.data.copy())
    return numpy.stack(points)  # (steps + 1, 2)


def paths(optimizers, surface="saddle", steps: int | None = None, start=None) -> dict:
    """Every optimizer's path on ``surface``: ``{label: array (steps + 1, 2)}``.

    Args:
        optimizers: ``{label: optimizer}``, a list of optimizers (labelled by their names), or
            None for :func:`default_optimizers`. Each is used from its current state: pass
            fresh ones.
        surface: ``"saddle"``, ``"local-minimum"`` or a :class:`Surface`.
        steps: updates per optimizer (default: the surface's ``steps``).
        start: ``(x, y)``, default the surface's.

    Example:
        >>> from convlens.optimizers import SGD
        >>> paths({"SGD": SGD(learning_rate=0.25)}, "saddle", steps=1)["SGD"].tolist()
        [[1.0, 0.01], [0.5, 0.015]]
    """
    surface = get_surface(surface)
    if optimizers is None:
        optimizers = default_optimizers(surface)
    if not isinstance(optimizers, dict):
        optimizers = {optimizer.name: optimizer for optimizer in optimizers}
    steps = surface.steps if steps is None else steps
    return {label: path(opt, surface, steps, start) for label, opt in optimizers.items()}


def distance_from(points, target) -> numpy.ndarray:
    """The distance of each point of a path from ``target`` (say the saddle, (0, 0))."""
    return numpy.linalg.norm(numpy.asarray(points) - numpy.asarray(target, float), axis=-1)
