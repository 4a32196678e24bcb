"""What every learning-rate schedule shares: the base class with its preview and description,
the epochs-to-steps conversion and the argument checks."""

from __future__ import annotations

import dataclasses
import inspect
import math
import numbers

import numpy

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
