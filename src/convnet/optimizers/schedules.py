"""Learning-rate schedules with Keras 3's names and formulas.

A schedule maps the optimizer's ``iterations`` (the number of updates applied so far, one per
batch) to a learning rate. **Steps are batches, not epochs**: an epoch is ``steps_per_epoch =
ceil(num_samples / batch_size)`` steps (600 for 60 000 samples in batches of 100), so
``decay_steps=10`` decays sixty times per epoch. Convert with :func:`epochs_to_steps` or the
``from_epochs`` constructors; check with ``preview(steps_per_epoch, epochs)`` or
``describe(steps_per_epoch)`` before training. Values are computed in float64 (Keras: float32).
Every schedule also takes Keras's ``name`` argument, kept in its config.

Example:
    >>> from convnet.optimizers import schedules
    >>> schedule = schedules.ExponentialDecay.from_epochs(
    ...     0.1, decay_epochs=2, decay_rate=0.5, steps_per_epoch=100, staircase=True)
    >>> schedule
    ExponentialDecay(initial_learning_rate=0.1, decay_steps=200, decay_rate=0.5, staircase=True)
    >>> schedule.preview(steps_per_epoch=100, epochs=5).per_epoch
    [0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import bisect
import dataclasses
import inspect
import math
import numbers

import numpy

from .. import registry

_STEP = "optimizer updates so far (one per batch), not epochs"


def epochs_to_steps(epochs, steps_per_epoch: int) -> int:
    """``epochs`` (may be fractional) as a number of optimizer steps, rounded: 2.5 → 250 at 100."""
    _check_count("steps_per_epoch", steps_per_epoch)
    _check_number("epochs", epochs, minimum=0.0)
    return round(epochs * steps_per_epoch)


def _check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, received {name}={value!r}.")
    return int(value)


def _check_number(name: str, value, minimum=None, positive=False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, received {name}={value!r}.")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, received {name}={value!r}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, received {name}={value!r}.")
    return int(value) if isinstance(value, numbers.Integral) else float(value)  # JSON-able


@dataclasses.dataclass(frozen=True)
class SchedulePreview:
    """A schedule's learning rates over a training run, by step and by epoch.

    ``per_step[k]`` is the rate of update ``k`` (the ``k``-th batch, from 0);
    ``per_epoch[e] == per_step[e * steps_per_epoch]`` is the rate at the first batch of epoch
    ``e`` (from 0; Keras prints it as "Epoch e+1").
    """

    steps_per_epoch: int
    epochs: int
    per_step: list
    per_epoch: list

    def __str__(self) -> str:
        rows, spe = [f"{'epoch':>6} {'first step':>11}  learning rate"], self.steps_per_epoch
        rows += [f"{e + 1:>6} {e * spe:>11}  {lr:.6g}" for e, lr in enumerate(self.per_epoch)]
        return "\n".join(rows)


class LearningRateSchedule:
    """Base class: ``schedule(step) -> float``, plus config, preview and description."""

    _step_arguments = ()  # the arguments counted in steps, shown in epochs by describe()

    def __call__(self, step) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict:
        """The constructor's arguments, read back from the attributes of the same names."""
        if type(self).__init__ is LearningRateSchedule.__init__:
            raise NotImplementedError(f"{type(self).__name__} must implement get_config().")
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def preview(self, steps_per_epoch: int, epochs: int) -> SchedulePreview:
        """The learning rate of every step of ``epochs`` epochs of ``steps_per_epoch`` batches."""
        _check_count("steps_per_epoch", steps_per_epoch)
        _check_count("epochs", epochs)
        per_step = [self(step) for step in range(steps_per_epoch * epochs)]
        return SchedulePreview(steps_per_epoch, epochs, per_step, per_step[::steps_per_epoch])

    def describe(self, steps_per_epoch: int | None = None, epochs: int | None = None) -> str:
        """A readable account: the formula, the step arguments in epochs, a preview table."""
        formula = " ".join((type(self).__doc__ or "").split("\n\n")[0].split())  # the summary
        lines = [repr(self), f"  lr(step) = {formula}", f"  step = {_STEP}."]
        if steps_per_epoch is not None:
            _check_count("steps_per_epoch", steps_per_epoch)
            for name in self._step_arguments:
                value = getattr(self, name)
                in_epochs = numpy.divide(value, steps_per_epoch).tolist()
                spe = steps_per_epoch
                lines.append(f"  {name}={value} steps = {in_epochs} epochs of {spe} steps.")
            if epochs is not None:
                lines.append(str(self.preview(steps_per_epoch, epochs)))
        return "\n".join(lines)

    def __repr__(self) -> str:
        options = ", ".join(
            f"{key}={value!r}" for key, value in self.get_config().items() if key != "name"
        )
        return f"{type(self).__name__}({options})"


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


class CosineDecay(LearningRateSchedule):
    """An optional linear warmup from ``initial_learning_rate`` to ``warmup_target``, then a half
    cosine from the peak down to ``alpha * peak`` (Loshchilov & Hutter 2017; Goyal et al. 2017).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: ``D`` > 0, the length of the cosine.
        alpha: the final rate as a fraction of the peak.
        warmup_target: the peak reached after warmup; None for no warmup.
        warmup_steps: the length of the warmup, >= 0 (ignored without ``warmup_target``).
    """

    _step_arguments = ("decay_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check_number("decay_steps", decay_steps, positive=True)
        self.alpha = _check_number("alpha", alpha)
        if warmup_target is not None:
            warmup_target = _check_number("warmup_target", warmup_target)
        self.warmup_target = warmup_target
        self.warmup_steps = _check_number("warmup_steps", warmup_steps, minimum=0)
        self.name = name

    @classmethod
    def from_epochs(
        cls, initial_learning_rate, decay_epochs, steps_per_epoch, warmup_epochs=0, **kwargs
    ):
        """``decay_steps`` and ``warmup_steps`` from epochs; kwargs as ``__init__``."""
        decay_steps = epochs_to_steps(decay_epochs, steps_per_epoch)
        warmup_steps = epochs_to_steps(warmup_epochs, steps_per_epoch)
        return cls(initial_learning_rate, decay_steps, warmup_steps=warmup_steps, **kwargs)

    def _decay(self, step: float, peak: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step) -> float:
        step, initial = float(step), self.initial_learning_rate
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), initial)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:  # a straight line from initial to warmup_target
            return (self.warmup_target - initial) * (step / self.warmup_steps) + initial
        return self._decay(step - self.warmup_steps, self.warmup_target)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts, SGDR (Loshchilov & Hutter 2017).

    Period ``i`` (from 0) lasts ``first_decay_steps * t_mul**i`` steps and starts at
    ``initial_learning_rate * m_mul**i``; within it the rate follows
    ``peak * ((1 − α)·½(1 + cos(π·fraction)) + α)``.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: the length of the first period, > 0.
        t_mul: each period is ``t_mul`` times longer than the last, > 0.
        m_mul: each restart peaks ``m_mul`` times lower than the last.
        alpha: the lowest rate, as a fraction of ``initial_learning_rate``.
    """

    _step_arguments = ("first_decay_steps",)

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        self.initial_learning_rate = _check_number("initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = _check_number(
            "first_decay_steps", first_decay_steps, positive=True
        )
        self.t_mul = _check_number("t_mul", t_mul, positive=True)
        self.m_mul = _check_number("m_mul", m_mul)
        self.alpha = _check_number("alpha", alpha)
        self.name = name

    @classmethod
    def from_epochs(cls, initial_learning_rate, first_decay_epochs, steps_per_epoch, **kwargs):
        """``first_decay_steps = first_decay_epochs * steps_per_epoch``; kwargs as ``__init__``."""
        first_decay_steps = epochs_to_steps(first_decay_epochs, steps_per_epoch)
        return cls(initial_learning_rate, first_decay_steps, **kwargs)

    def _period_start(self, i: int) -> float:
        """Where period ``i`` starts, in units of ``first_decay_steps``: 1 + t + … + t^(i−1)."""
        return float(i) if self.t_mul == 1 else (1 - self.t_mul**i) / (1 - self.t_mul)

    def __call__(self, step) -> float:
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1:
            i_restart = math.floor(fraction)
        else:  # Keras's closed form, then corrected where rounding puts a restart off by one
            remaining = 1 - fraction * (1 - self.t_mul)
            if remaining <= 0:  # t_mul < 1: the periods add up to a finite number of steps
                total = self.first_decay_steps / (1 - self.t_mul)
                raise ValueError(
                    f"{self!r}: step {step} is past the end of all periods "
                    f"(first_decay_steps / (1 - t_mul) = {total} steps)."
                )
            i_restart = math.floor(math.log(remaining) / math.log(self.t_mul))
            while self._period_start(i_restart + 1) <= fraction:
                i_restart += 1
            while i_restart > 0 and self._period_start(i_restart) > fraction:
                i_restart -= 1
        fraction = (fraction - self._period_start(i_restart)) / self.t_mul**i_restart
        cosine = 0.5 * self.m_mul**i_restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


_CLASSES = {
    cls.__name__: cls
    for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay)
    + (CosineDecay, CosineDecayRestarts)
}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"class_name": ..., "config": ...}``, JSON-able."""
    return registry.serialize(schedule)


def deserialize(config: dict) -> LearningRateSchedule:
    """A schedule from :func:`serialize`'s dict (Keras 3's dicts are read too)."""
    return registry.deserialize("learning rate schedule", config, _CLASSES)
