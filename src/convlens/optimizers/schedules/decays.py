"""Keras's step-wise decays: exponential, inverse-time, piecewise constant and polynomial."""

from __future__ import annotations

import bisect
import math

from .base import LearningRateSchedule, _check_number, epochs_to_steps


class _StepDecay(LearningRateSchedule):
    """Exponential and inverse-time decay: ``p = step / decay_steps``, floored by ``staircase``."""

    _step_arguments = ("decay_steps",)

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.decay_rate = _check_number("decay_rate", decay_rate)
        self.staircase, self.name = bool(staircase), name or type(self).__name__

    @classmethod
    def from_epochs(
        cls, initial_learning_rate, decay_epochs, decay_rate, steps_per_epoch, **options
    ):
        """``decay_steps = decay_epochs * steps_per_epoch``; ``staircase`` as ``__init__``."""
        decay_steps = epochs_to_steps(decay_epochs, steps_per_epoch)
        return cls(initial_learning_rate, decay_steps, decay_rate, **options)

    def _p(self, step) -> float:
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps (batches) for one factor of ``decay_rate``, > 0.
        decay_rate: the factor per ``decay_steps``.
        staircase: decay at whole multiples of ``decay_steps`` only (``floor``).
    """

    def __call__(self, step) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._p(step)


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: > 0.
        decay_rate: the rate of decay.
        staircase: decay at whole multiples of ``decay_steps`` only (``floor``).
    """

    def __call__(self, step) -> float:
        return self.initial_learning_rate / (1 + self.decay_rate * self._p(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]`` (Keras's ``<=``).

    ``values[0]`` up to and including ``boundaries[0]``, ``values[-1]`` after the last boundary.

    Args:
        boundaries: strictly increasing steps.
        values: one more rate than boundaries.
    """

    _step_arguments = ("boundaries",)

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        self.boundaries = [_check_number("boundaries", b) for b in boundaries]
        self.values = [_check_number("values", v) for v in values]
        b, v = self.boundaries, self.values
        if len(v) != len(b) + 1:
            raise ValueError(
                f"values must have one more entry than boundaries, received {len(b)} "
                f"boundaries {b} and {len(v)} values {v}."
            )
        if any(low >= high for low, high in zip(b, b[1:], strict=False)):
            raise ValueError(f"boundaries must be strictly increasing, received {b}.")
        self.name = name

    @classmethod
    def from_epochs(cls, boundary_epochs, values, steps_per_epoch):
        """Switch to ``values[i+1]`` at the first batch of epoch ``boundary_epochs[i]`` (from 0).

        ``boundary_epochs=[10]`` keeps ``values[0]`` for the first 10 epochs (0 to 9) and uses
        ``values[1]`` from the first batch of the 11th: the step boundary is
        ``10 * steps_per_epoch - 1``, because Keras compares with ``step <= boundary``.
        """
        boundaries = [epochs_to_steps(e, steps_per_epoch) - 1 for e in boundary_epochs]
        return cls(boundaries, values)

    def __call__(self, step) -> float:
        return self.values[bisect.bisect_left(self.boundaries, float(step))]


class PolynomialDecay(LearningRateSchedule):
    """``(initial − end) * (1 − step / decay_steps) ** power + end``, ``step`` capped at
    ``decay_steps``; with ``cycle``, ``decay_steps`` grows to the first multiple >= step.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: > 0.
        end_learning_rate: the rate from ``decay_steps`` on.
        power: the exponent; 1 is linear.
        cycle: restart the decay after ``decay_steps``, over a longer period each time.
    """

    _step_arguments = ("decay_steps",)

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.end_learning_rate = _check_number("end_learning_rate", end_learning_rate)
        self.power = _check_number("power", power)
        self.cycle, self.name = bool(cycle), name

    @classmethod
    def from_epochs(cls, initial_learning_rate, decay_epochs, steps_per_epoch, **kwargs):
        """``decay_steps = decay_epochs * steps_per_epoch``; kwargs as ``__init__``."""
        return cls(initial_learning_rate, epochs_to_steps(decay_epochs, steps_per_epoch), **kwargs)

    def __call__(self, step) -> float:
        step, decay_steps = float(step), self.decay_steps
        if self.cycle:  # the first multiple of decay_steps >= step (1 at step 0)
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        initial, end = self.initial_learning_rate, self.end_learning_rate
        return (initial - end) * (1 - step / decay_steps) ** self.power + end
