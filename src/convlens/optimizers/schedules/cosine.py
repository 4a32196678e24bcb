"""Keras's cosine decay (with optional linear warmup) and cosine decay with warm restarts."""

from __future__ import annotations

import math

from .base import LearningRateSchedule, _check_number, epochs_to_steps


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
