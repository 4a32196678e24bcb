"""More optimizers with Keras 3's rules and defaults: Adamax, Nadam, Adadelta, Lion, Ftrl.

As in :mod:`.algorithms`, each rule is ``update_flat``: elementwise and in place on the
(clipped, decayed) gradient copy ``g``, which the rule turns into the step ``Δ`` before the
optimizer does ``w ← w − Δ``; ``η`` is this step's learning rate and ``t`` the step number from
1. Ftrl, whose rule reads the weights, writes ``update_step`` instead.
"""

from __future__ import annotations

from .. import backend
from .base import Optimizer
from .checks import check_float, check_positive


def _beta(owner, name, value):
    return check_float(owner, name, value, 0.0, 1.0, include_high=False)


class _AdamFamily(Optimizer):
    """The arguments shared by Adamax and Nadam: ``beta_1``, ``beta_2``, ``epsilon``."""

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, name, **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = _beta(owner, "beta_1", beta_1)
        self.beta_2 = _beta(owner, "beta_2", beta_2)
        self.epsilon = check_positive(owner, "epsilon", epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adamax(_AdamFamily):
    """Adamax: Adam with the infinity norm in place of the RMS (Kingma & Ba 2015, §7.1).

    ``m ← β₁·m + (1 − β₁)·g``, ``u ← max(β₂·u, |g|)``, ``w ← w − η·m / ((1 − β₁ᵗ)(u + ε))``.

    Args:
        learning_rate: a float >= 0 or a schedule.
        beta_1: ``β₁`` in [0, 1), the decay of the first moment.
        beta_2: ``β₂`` in [0, 1), the decay of the infinity norm.
        epsilon: ``ε`` > 0.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adamax", **kwargs
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def build(self, variables) -> None:
        super().build(variables)
        self.m = self.add_slot(variables, "momentum")
        self.u = self.add_slot(variables, "norm")

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        beta_1, t = dtype(self.beta_1), dtype(self.iterations + 1)
        m, u = slots["momentum"], slots["norm"]
        m += (g - m) * (1 - beta_1)  # m ← β₁·m + (1 − β₁)·g
        u *= dtype(self.beta_2)
        xp.maximum(u, xp.abs(g), out=u)  # u ← max(β₂·u, |g|)
        scratch = u + dtype(self.epsilon)
        scratch *= 1 - beta_1**t  # (1 − β₁ᵗ)(u + ε)
        xp.multiply(m, learning_rate, out=g)
        g /= scratch  # w ← w − η·m / ((1 − β₁ᵗ)(u + ε))


class Nadam(_AdamFamily):
    """Nadam: Adam with Nesterov momentum (Dozat 2016), with Keras's momentum schedule.

    ``μₜ = β₁(1 − ½·0.96ᵗ)`` and ``Πₜ = μ₁…μₜ``; ``m`` and ``v`` are Adam's moments, and
    ``m_hat = μₜ₊₁·m / (1 − Πₜ·μₜ₊₁) + (1 − μₜ)·g / (1 − Πₜ)``,
    ``v_hat = v / (1 − β₂ᵗ)``, ``w ← w − η·m_hat / (√v_hat + ε)``. The product ``Πₜ`` is a
    function of ``t`` alone, so it is recomputed (not stored) after ``set_state``.

    Args:
        learning_rate, beta_1, beta_2, epsilon, **kwargs: as :class:`Adamax`.
    """

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="nadam", **kwargs
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self._u_product = (0, None, 1.0)  # (t, dtype, Πₜ) of the last step computed

    def build(self, variables) -> None:
        super().build(variables)
        self.m = self.add_slot(variables, "momentum")
        self.v = self.add_slot(variables, "velocity")

    def _momentum_product(self, t: int, dtype):
        """``Πₜ = μ₁…μₜ``, in ``dtype`` and in Keras's order: one factor more per step."""
        start, cached_dtype, product = self._u_product
        if cached_dtype is not dtype or start > t:
            start, product = 0, dtype(1.0)
        for step in range(start + 1, t + 1):
            product = product * dtype(self.beta_1) * (1 - dtype(0.5) * dtype(0.96) ** dtype(step))
        self._u_product = (t, dtype, product)
        return product

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        beta_1, beta_2 = dtype(self.beta_1), dtype(self.beta_2)
        t = self.iterations + 1
        u_t = beta_1 * (1 - dtype(0.5) * dtype(0.96) ** dtype(t))  # μₜ
        u_next = beta_1 * (1 - dtype(0.5) * dtype(0.96) ** dtype(t + 1))  # μₜ₊₁
        u_product = self._momentum_product(t, dtype)  # Πₜ
        m, v = slots["momentum"], slots["velocity"]
        m += (g - m) * (1 - beta_1)  # m ← β₁·m + (1 − β₁)·g
        v += (xp.square(g) - v) * (1 - beta_2)  # v ← β₂·v + (1 − β₂)·g²
        m_hat = m * (u_next / (1 - u_product * u_next))
        m_hat += g * ((1 - u_t) / (1 - u_product))  # Nesterov: the next step's momentum
        v_hat = v / (1 - beta_2 ** dtype(t))
        xp.sqrt(v_hat, out=v_hat)
        v_hat += dtype(self.epsilon)
        xp.multiply(m_hat, learning_rate, out=g)
        g /= v_hat  # w ← w − η·m_hat / (√v_hat + ε)


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of updates and gradients (Zeiler 2012).

    ``A ← ρ·A + (1 − ρ)·g²``, ``δ = √(D + ε)·g / √(A + ε)``, ``D ← ρ·D + (1 − ρ)·δ²``,
    ``w ← w − η·δ``.

    Args:
        learning_rate: a float >= 0 or a schedule (Keras's default is 0.001).
        rho: ``ρ`` in [0, 1), the decay of the running averages.
        epsilon: ``ε`` > 0.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = _beta("Adadelta", "rho", rho)
        self.epsilon = check_positive("Adadelta", "epsilon", epsilon)

    def build(self, variables) -> None:
        super().build(variables)
        self.accumulated_grads = self.add_slot(variables, "accumulated_grad")
        self.accumulated_delta_vars = self.add_slot(variables, "accumulated_delta_var")

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        rho, eps = dtype(self.rho), dtype(self.epsilon)
        A, D = slots["accumulated_grad"], slots["accumulated_delta_var"]
        A *= rho
        A += (1 - rho) * xp.square(g)  # A ← ρ·A + (1 − ρ)·g²
        g *= xp.sqrt(D + eps)
        g /= xp.sqrt(A + eps)  # δ = √(D + ε)·g / √(A + ε)
        D *= rho
        D += (1 - rho) * xp.square(g)  # D ← ρ·D + (1 − ρ)·δ²
        g *= learning_rate  # w ← w − η·δ

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Lion(Optimizer):
    """Lion: the sign of an interpolated momentum (Chen et al. 2023, "Symbolic Discovery of
    Optimization Algorithms", Algorithm 2).

    ``w ← w − η·sign(β₁·m + (1 − β₁)·g)``, then ``m ← β₂·m + (1 − β₂)·g``.

    Args:
        learning_rate: a float >= 0 or a schedule.
        beta_1: ``β₁`` in (0, 1]: the interpolation of the step's direction.
        beta_2: ``β₂`` in [0, 1]: the decay of the momentum.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    Raises:
        ValueError: for ``beta_1`` outside (0, 1] (at 0 Lion degenerates to sign descent).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if beta_1 == 0:  # at 0 Lion degenerates to SignSGD
            raise ValueError("Lion: beta_1 must be a finite number in (0, 1], received 0.")
        self.beta_1 = check_float("Lion", "beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = check_float("Lion", "beta_2", beta_2, 0.0, 1.0)

    def build(self, variables) -> None:
        super().build(variables)
        self.momentums = self.add_slot(variables, "momentum")

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        beta_1, beta_2, m = dtype(self.beta_1), dtype(self.beta_2), slots["momentum"]
        direction = xp.sign(m * beta_1 + g * (1 - beta_1))  # sign(β₁·m + (1 − β₁)·g)
        m *= beta_2
        m += g * (1 - beta_2)  # m ← β₂·m + (1 − β₂)·g
        xp.multiply(direction, learning_rate, out=g)  # w ← w − η·sign(…)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
