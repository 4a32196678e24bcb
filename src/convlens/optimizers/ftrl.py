"""Ftrl: "Follow The Regularized Leader" (McMahan et al., "Ad Click Prediction: a View from the
Trenches", 2013, Algorithm 1), with Keras 3's arguments, defaults and rule.

The rule reads the weights, so it is an ``update_step`` (per variable), not a flat rule.
"""

from __future__ import annotations

from .. import backend
from .base import Optimizer
from .checks import check_float


class Ftrl(Optimizer):
    """FTRL-Proximal with L1, L2 and L2-shrinkage regularization.

    Per weight: ``n' = n + g²``, ``σ = (n'^(−p) − n^(−p)) / η``, ``z ← z + g̃ − σ·w`` with
    ``g̃ = g + 2·λ_shrink·w``; then ``w = (clip(z, −λ₁, λ₁) − z) / (n'^(−p)/η + 2·λ₂)`` with
    ``λ₂ = l2 + β/(2η)``, and ``n ← n'``. ``p`` is ``learning_rate_power`` (−½: Adagrad-like).

    Args:
        learning_rate: a float > 0 or a schedule.
        learning_rate_power: ``p`` <= 0.
        initial_accumulator_value: the starting ``n``, >= 0.
        l1_regularization_strength, l2_regularization_strength,
        l2_shrinkage_regularization_strength: >= 0.
        beta: Keras's ``beta``, added to L2 as ``β/(2η)``.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        name="ftrl",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        self.learning_rate_power = check_float("Ftrl", "learning_rate_power", learning_rate_power)
        if self.learning_rate_power > 0:
            raise ValueError(
                "Ftrl: learning_rate_power must be <= 0, received "
                f"learning_rate_power={learning_rate_power!r}."
            )
        self.initial_accumulator_value = check_float(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.l1_regularization_strength = check_float(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength, low=0.0
        )
        self.l2_regularization_strength = check_float(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength, low=0.0
        )
        self.l2_shrinkage_regularization_strength = check_float(
            "Ftrl",
            "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength,
            low=0.0,
        )
        self.beta = check_float("Ftrl", "beta", beta)

    def build(self, variables) -> None:
        super().build(variables)
        self.accumulators = self.add_slot(
            variables, "accumulator", fill=self.initial_accumulator_value
        )
        self.linears = self.add_slot(variables, "linear")

    def update_step(self, gradient, variable, learning_rate) -> None:
        xp, w = backend.xp, variable.data
        i = self.slot_index(variable)
        n, z = self.accumulators[i], self.linears[i]
        dtype = w.dtype.type
        power = dtype(-self.learning_rate_power)
        l2 = dtype(self.l2_regularization_strength) + dtype(self.beta) / (2 * learning_rate)
        shrunk = gradient + dtype(2 * self.l2_shrinkage_regularization_strength) * w  # g̃
        new_n = n + xp.square(gradient)  # n' = n + g²
        new_n_power = xp.power(new_n, power)
        z += shrunk - (new_n_power - xp.power(n, power)) / learning_rate * w  # z ← z + g̃ − σ·w
        quadratic = new_n_power / learning_rate + 2 * l2
        l1 = dtype(self.l1_regularization_strength)
        w[...] = (xp.clip(z, -l1, l1) - z) / quadratic
        n[...] = new_n

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
