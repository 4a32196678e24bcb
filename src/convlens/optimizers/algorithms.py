"""The optimizers, simplest first: SGD, Adagrad, RMSprop, Adam, AdamW.

Each rule is Keras 3's (``keras/src/optimizers/<name>.py``): same defaults, same place for
epsilon, so one step from equal weights gives equal weights. Each rule is ``update_flat``:
elementwise and in place, in the variables' dtype, on flat arrays that hold every variable of a
dtype end to end (or on one variable's arrays): ``g`` is a copy of the (clipped) gradient that the
rule turns into the step ``Δ``, after which the optimizer does ``w ← w − Δ``; ``η`` is the
learning rate of this step, ``t`` the step number from 1. Weight decay and clipping happen
before, in :class:`~.base.Optimizer`.
"""

from __future__ import annotations

import numpy

from .. import backend
from .base import Optimizer
from .checks import check_float, check_positive


class SGD(Optimizer):
    """Gradient descent, with optional momentum (Polyak 1964) or Nesterov momentum.

    ``w ← w − η·g``; with momentum, ``v ← μ·v − η·g`` then ``w ← w + v``; with Nesterov,
    ``w ← w + μ·v − η·g`` (Sutskever et al. 2013, in Bengio et al.'s reformulation).

    Args:
        learning_rate: a float >= 0 or a schedule.
        momentum: ``μ`` in [0, 1]; 0 is plain gradient descent.
        nesterov: use Nesterov momentum.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    Example:
        >>> import convlens as cl
        >>> w = cl.Tensor([1.0, 2.0], requires_grad=True)
        >>> SGD(learning_rate=0.1).apply([[1.0, -1.0]], [w])
        >>> w.data.tolist()
        [0.9, 2.1]
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.momentum = check_float("SGD", "momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def build(self, variables) -> None:
        super().build(variables)
        self.velocities = self.add_slot(variables, "velocity") if self.momentum else []

    def update_flat(self, g, slots, learning_rate) -> None:
        g *= learning_rate  # η·g
        if not self.momentum:
            return  # w ← w − η·g
        v, mu = slots["velocity"], g.dtype.type(self.momentum)
        v *= mu
        v -= g  # v ← μ·v − η·g   (Keras keeps the velocity in weight units)
        if self.nesterov:
            g -= backend.xp.multiply(v, mu)  # w ← w − (η·g − μ·v) = w + μ·v − η·g
        else:
            backend.xp.negative(v, out=g)  # w ← w − (−v) = w + v

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adagrad(Optimizer):
    """Adagrad: each weight's step shrinks with its summed squared gradients (Duchi et al. 2011).

    ``G ← G + g²`` then ``w ← w − η·g / √(G + ε)``; ``G`` starts at
    ``initial_accumulator_value`` and Keras puts ``ε`` inside the square root.

    Args:
        learning_rate: a float >= 0 or a schedule.
        initial_accumulator_value: the starting value of ``G``, >= 0.
        epsilon: ``ε`` > 0, for numerical stability.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        name="adagrad",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_float(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.epsilon = check_positive("Adagrad", "epsilon", epsilon)

    def build(self, variables) -> None:
        super().build(variables)
        self.accumulators = self.add_slot(
            variables, "accumulator", fill=self.initial_accumulator_value
        )

    def update_flat(self, g, slots, learning_rate) -> None:
        G, xp, eps = slots["accumulator"], backend.xp, g.dtype.type(self.epsilon)
        scratch = xp.square(g)  # g²
        G += scratch  # G ← G + g²
        xp.sqrt(xp.add(G, eps, out=scratch), out=scratch)  # √(G + ε)
        g *= learning_rate
        g /= scratch  # w ← w − η·g / √(G + ε)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square (Hinton, lecture 6e, 2012).

    ``E[g²] ← ρ·E[g²] + (1 − ρ)·g²`` and ``w ← w − η·g / √(E[g²] + ε)``. ``centered`` subtracts
    the squared running mean, ``√(E[g²] − E[g]² + ε)`` (Graves 2013, eq. 38–40); ``momentum``
    accumulates the increments: ``b ← μ·b + η·g/√(…)``, ``w ← w − b``. Keras puts ``ε``
    inside the square root.

    Args:
        learning_rate: a float >= 0 or a schedule.
        rho: ``ρ`` in [0, 1), the decay of the running averages.
        momentum: ``μ`` in [0, 1].
        epsilon: ``ε`` > 0.
        centered: normalize by the running variance instead of the second moment.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = check_float("RMSprop", "rho", rho, 0.0, 1.0, include_high=False)
        self.momentum = check_float("RMSprop", "momentum", momentum, 0.0, 1.0)
        self.epsilon = check_positive("RMSprop", "epsilon", epsilon)
        self.centered = bool(centered)

    def build(self, variables) -> None:
        super().build(variables)
        self.mean_squares = self.add_slot(variables, "mean_square")
        self.momentums = self.add_slot(variables, "momentum") if self.momentum else []
        self.mean_gradients = self.add_slot(variables, "mean_gradient") if self.centered else []

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        rho, eps, mean_square = dtype(self.rho), dtype(self.epsilon), slots["mean_square"]
        scratch = xp.square(g)
        scratch *= 1 - rho
        mean_square *= rho
        mean_square += scratch  # E[g²] ← ρ·E[g²] + (1 − ρ)·g²
        if self.centered:
            mean_gradient = slots["mean_gradient"]
            mean_gradient *= rho
            mean_gradient += xp.multiply(g, 1 - rho, out=scratch)  # E[g] ← ρ·E[g] + (1 − ρ)·g
            xp.square(mean_gradient, out=scratch)
            xp.subtract(mean_square, scratch, out=scratch)  # E[g²] − E[g]², the variance
            scratch += eps
        else:
            xp.add(mean_square, eps, out=scratch)  # E[g²] + ε
        xp.sqrt(scratch, out=scratch)
        g *= learning_rate
        g /= scratch  # the increment η·g / √(…); without momentum, w ← w − η·g / √(…)
        if self.momentum:
            b = slots["momentum"]
            b *= dtype(self.momentum)
            b += g  # b ← μ·b + η·g / √(…)
            g[...] = b  # w ← w − b

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled by its running RMS (Kingma & Ba 2015).

    The paper's Algorithm 1 is ``m ← β₁·m + (1 − β₁)·g``, ``v ← β₂·v + (1 − β₂)·g²``,
    ``m_hat = m / (1 − β₁ᵗ)``, ``v_hat = v / (1 − β₂ᵗ)``, ``w ← w − η·m_hat / (√v_hat + ε)``.
    Keras uses the equivalent ordering of the paper's §2 (last paragraph), folding both bias
    corrections into the step size: ``α = η·√(1 − β₂ᵗ) / (1 − β₁ᵗ)`` and
    ``w ← w − α·m / (√v + ε̂)``; so its ``ε`` (our ``epsilon``) is that ``ε̂``, added to the
    uncorrected ``√v``. ``amsgrad`` divides by the running maximum of ``v`` instead
    (Reddi et al. 2018).

    Args:
        learning_rate: a float >= 0 or a schedule.
        beta_1: ``β₁`` in [0, 1), the decay of the first moment.
        beta_2: ``β₂`` in [0, 1), the decay of the second moment.
        epsilon: ``ε̂`` > 0.
        amsgrad: use AMSGrad's maximum of the second moments.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adam",
        **kwargs,
    ):
        super().__init__(learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_float(owner, "beta_1", beta_1, 0.0, 1.0, include_high=False)
        self.beta_2 = check_float(owner, "beta_2", beta_2, 0.0, 1.0, include_high=False)
        self.epsilon = check_positive(owner, "epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def build(self, variables) -> None:
        super().build(variables)
        self.m = self.add_slot(variables, "m")
        self.v = self.add_slot(variables, "v")
        self.v_max = self.add_slot(variables, "v_max") if self.amsgrad else []

    def update_flat(self, g, slots, learning_rate) -> None:
        dtype, xp = g.dtype.type, backend.xp
        beta_1, beta_2, t = dtype(self.beta_1), dtype(self.beta_2), dtype(self.iterations + 1)
        m, v = slots["m"], slots["v"]
        alpha = (
            learning_rate * numpy.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        )  # η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)
        scratch = xp.subtract(g, m)
        scratch *= 1 - beta_1
        m += scratch  # m ← m + (1 − β₁)·(g − m) = β₁·m + (1 − β₁)·g
        xp.square(g, out=scratch)
        scratch -= v
        scratch *= 1 - beta_2
        v += scratch  # v ← v + (1 − β₂)·(g² − v) = β₂·v + (1 − β₂)·g²
        if self.amsgrad:
            v = xp.maximum(slots["v_max"], v, out=slots["v_max"])  # v_max ← max(v_max, v)
        xp.sqrt(v, out=scratch)
        scratch += dtype(self.epsilon)  # √v + ε̂
        xp.multiply(m, alpha, out=g)
        g /= scratch  # w ← w − α·m / (√v + ε̂), which is η·m_hat / (√v_hat + ε̂/√(1 − β₂ᵗ))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), Keras's defaults.

    Before Adam's step every weight decays as ``w ← w − w·λ·η``, apart from the gradient
    (this is the base class's ``weight_decay``, on by default here). Exempt biases with
    ``optimizer.exclude_from_weight_decay(var_names=["bias"])``.

    Args:
        learning_rate: a float >= 0 or a schedule.
        weight_decay: ``λ`` >= 0.
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam`.
        **kwargs: ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adamw",
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError(
                "AdamW: weight_decay must be a float, received weight_decay=None; "
                "use Adam for no weight decay."
            )
        super().__init__(
            learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            name=name,
            **kwargs,
        )
