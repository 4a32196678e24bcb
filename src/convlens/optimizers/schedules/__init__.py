"""Learning-rate schedules with Keras 3's names and formulas.

A schedule maps the optimizer's ``iterations`` (the number of updates applied so far, one per
batch) to a learning rate. **Steps are batches, not epochs**: an epoch is ``steps_per_epoch =
ceil(num_samples / batch_size)`` steps (600 for 60 000 samples in batches of 100), so
``decay_steps=10`` decays sixty times per epoch. Convert with :func:`epochs_to_steps` or the
``from_epochs`` constructors; check with ``preview(steps_per_epoch, epochs)`` or
``describe(steps_per_epoch)`` before training. Values are computed in float64 (Keras: float32).
Every schedule also takes Keras's ``name`` argument, kept in its config.

Example:
    >>> from convlens.optimizers import schedules
    >>> schedule = schedules.ExponentialDecay.from_epochs(
    ...     0.1, decay_epochs=2, decay_rate=0.5, steps_per_epoch=100, staircase=True)
    >>> schedule
    ExponentialDecay(initial_learning_rate=0.1, decay_steps=200, decay_rate=0.5, staircase=True)
    >>> schedule.preview(steps_per_epoch=100, epochs=5).per_epoch
    [0.1, 0.1, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

from ... import registry
from .base import LearningRateSchedule, SchedulePreview, epochs_to_steps
from .cosine import CosineDecay, CosineDecayRestarts
from .decays import ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "SchedulePreview",
    "deserialize",
    "epochs_to_steps",
    "serialize",
]

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
