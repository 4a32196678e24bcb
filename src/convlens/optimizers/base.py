"""The ``Optimizer`` base class: Keras 3's ``BaseOptimizer.apply`` on our Tensors.

One call of :meth:`Optimizer.apply` does what Keras 3 does, in the same order:

1. build the slots on first use (one array per variable, in the variables' order);
2. drop the variables whose gradient is None (their slots stay as they are);
3. clip the gradients (``clipnorm`` per variable, ``global_clipnorm`` over all of them, or
   ``clipvalue`` elementwise);
4. decay the weights, decoupled from the gradient: ``w ← w − w·weight_decay·lr``
   (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019);
5. let the algorithm update each weight in place, with the learning rate evaluated once, at
   ``iterations``, when it is a schedule;
6. count the step: ``iterations += 1``.

Weights are updated in place (``variable.data`` keeps its identity, so layers keep their
references) and in their own dtype: a float32 weight and its slots stay float32.

The built-in algorithms write their rule once, in ``update_flat``, on arrays of any shape; a
step then runs it once per dtype on flat arrays that hold every variable end to end (see
:mod:`.flat`): a handful of array calls per step instead of a dozen per variable. A step that
updates only some of the variables (a None gradient) runs the same rule per variable, on the
slots' views, as does a subclass that writes only ``update_step``.
"""

from __future__ import annotations

import numbers
import warnings

from .. import backend, registry
from ..tensor import Tensor
from . import schedules
from .checks import check_float, check_positive
from .clipping import clip_gradients
from .scalars import LearningRate, StepCount
from .slots import Slots
from .weight_decay import WeightDecay

# Keras 3 optimizer arguments that we read from Keras configs but do not implement: the first
# group must hold its default values; the second means nothing without the first.
_KERAS_UNSUPPORTED = {
    "use_ema": False,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_KERAS_IGNORED = ("ema_momentum", "ema_overwrite_frequency", "jit_compile", "is_legacy_optimizer")


class Optimizer(Slots, WeightDecay):
    """Base class of the optimizers: the step, clipping, weight decay, slots, state and config.

    Subclasses create their slots in :meth:`build` with :meth:`add_slot` and write the rule in
    ``update_step(gradient, variable, learning_rate)``, where ``gradient`` is an array of the
    variable's shape and dtype that the step may overwrite, and ``learning_rate`` a scalar of
    that dtype. Or, faster, in :meth:`update_flat`, which sees no variable: only flat arrays.

    Args:
        learning_rate: a float >= 0, or a ``LearningRateSchedule`` (see :mod:`.schedules`),
            evaluated at ``iterations`` before each step.
        weight_decay: if set, every updated weight is first decayed: ``w ← w − w·weight_decay·lr``.
        clipnorm: if set, each gradient is rescaled to an L2 norm of at most this value.
        clipvalue: if set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so that the L2 norm of
            their concatenation is at most this value.
        name: a name for messages and configs.

    Raises:
        ValueError: for a negative learning rate, non-positive clipping thresholds, a negative
            weight decay, or more than one clipping argument.
    """

    # Set by a data-parallel fit (distribution/): sums the gradients over the processes.
    _gradient_reducer = None

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        name: str | None = None,
    ):
        self.name = name or registry.snake_case(type(self).__name__)
        self._learning_rate = self._check_learning_rate(learning_rate)
        owner = type(self).__name__
        self.weight_decay = (
            None
            if weight_decay is None
            else check_float(owner, "weight_decay", weight_decay, low=0.0)
        )
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [key for key, value in clips.items() if value is not None]
        if len(given) > 1:
            raise ValueError(
                f"{owner}: set only one of clipnorm, clipvalue and global_clipnorm, "
                f"received {', '.join(f'{k}={clips[k]!r}' for k in given)}."
            )
        self.clipnorm, self.clipvalue, self.global_clipnorm = (
            None if value is None else check_positive(owner, key, value)
            for key, value in clips.items()
        )
        self.iterations = 0  # the number of steps applied
        self.built = False
        self._variables: list = []
        self._index: dict[int, int] = {}  # id(variable) -> its position in the slot lists
        self._slots: dict[str, list] = {}  # slot name -> one array per variable, in order
        self._groups: list = []  # one FlatGroup per dtype: the slots and gradients, flat
        self._flat = False  # whether a full step runs update_flat on the flat arrays
        self._exclude_ids: set[int] = set()
        self._exclude_pattern = None

    # ----- learning rate -----
    def _check_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            return learning_rate
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real):
            raise TypeError(
                f"{type(self).__name__}: learning_rate must be a float or a "
                f"LearningRateSchedule, received {learning_rate!r}."
            )
        return float(check_float(type(self).__name__, "learning_rate", learning_rate, low=0.0))

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step: the schedule evaluated at ``iterations``."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return float(self._learning_rate(self.iterations))
        return LearningRate(self._learning_rate)._bind(self, "learning_rate")

    @property
    def iterations(self) -> int:
        """The number of steps applied (an int with Keras's ``numpy()``/``assign()``)."""
        return StepCount(self._iterations)._bind(self, "iterations")

    @iterations.setter
    def iterations(self, value) -> None:
        self._iterations = int(value)

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and not isinstance(
            value, schedules.LearningRateSchedule
        ):
            # As Keras: a float would silently drop the schedule.
            raise TypeError(
                f"{self.name}: this optimizer was created with a LearningRateSchedule, "
                "so its learning rate is not settable to a float. Create the "
                "optimizer with a float learning_rate, or assign a new schedule."
            )
        self._learning_rate = self._check_learning_rate(value)

    # ----- the step -----
    def apply_gradients(self, grads_and_vars) -> None:
        """Apply ``[(gradient, variable), ...]``: the Keras 2 spelling of :meth:`apply`."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, variables=None) -> None:
        """Update ``variables`` in place from ``grads``; a None gradient skips its variable.

        Args:
            grads: one gradient (array or Tensor, the variable's shape) or None per variable.
            variables: the Tensors to update; may be omitted once the optimizer is built.

        Raises:
            ValueError: for a gradient whose shape differs from its variable's, a variable the
                optimizer was not built with, or when every gradient is None.
        """
        grads = list(grads)
        if not grads:
            return  # as Keras: nothing to apply is a no-op
        if variables is None:
            if not self.built:
                raise ValueError(f"{self.name}: pass the variables on the first call of apply().")
            variables = self._variables
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self.name}: received {len(grads)} gradients for {len(variables)} variables."
            )
        if not self.built:
            self.build(variables)
        self._check_known(variables)
        pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        if not pairs:
            raise ValueError(
                f"{self.name}: no gradients provided for any variable "
                f"{[getattr(v, 'name', None) for v in variables]}."
            )
        if len(pairs) < len(variables):
            missing = [
                getattr(v, "name", None) for g, v in zip(grads, variables, strict=True) if g is None
            ]
            warnings.warn(
                f"{self.name}: gradients do not exist for variables {missing}; they "
                "are left unchanged.",
                stacklevel=2,
            )
        learning_rate = self.learning_rate  # once per step, at the current iteration
        full = len(pairs) == len(self._variables) and all(
            v is known for (_, v), known in zip(pairs, self._variables, strict=True)
        )
        if self._flat and full:
            self._apply_flat([g for g, _ in pairs], learning_rate)
        else:
            self._apply_each(pairs, learning_rate)
        self.iterations += 1

    def _apply_flat(self, grads: list, learning_rate: float) -> None:
        """The step on every variable, in build order: one ``update_flat`` per dtype."""
        for group in self._groups:
            group.gather([self._checked(grads[i], self._variables[i]) for i in group.positions])
        if self._gradient_reducer is not None:  # in place, before clipping (as one process)
            self._gradient_reducer([group.gradient for group in self._groups])
        self._clip([g for group in self._groups for g in group.gradients], self._groups)
        for group in self._groups:
            if self.weight_decay is not None:  # first, as Keras (the rules do not read w)
                decays = group.decays(self.weight_decay, learning_rate)
                for i, decay in zip(group.positions, decays, strict=True):
                    if self._decayed[i]:
                        self._variables[i].data -= decay  # w ← w − w·λ·η
            self.update_flat(group.gradient, group.slots, group.dtype.type(learning_rate))
            for i, step in zip(group.positions, group.gradients, strict=True):
                self._variables[i].data -= step  # w ← w − Δ

    def _apply_each(self, pairs: list, learning_rate: float) -> None:
        """The step variable by variable, on fresh copies of the gradients (``update_step``)."""
        grads = [self._prepare(g, v) for g, v in pairs]
        if self._gradient_reducer is not None:
            self._gradient_reducer(grads)
        self._clip(grads, None)
        variables = [v for _, v in pairs]
        if self.weight_decay is not None:
            self._apply_weight_decay(variables, learning_rate)
        for gradient, variable in zip(grads, variables, strict=True):
            self.update_step(gradient, variable, variable.data.dtype.type(learning_rate))

    def update_step(self, gradient, variable, learning_rate) -> None:
        """Update ``variable.data`` in place; ``gradient`` may be overwritten.

        By default, :meth:`update_flat` on this variable's own slots (views of the flat ones).
        """
        i = self.slot_index(variable)
        slots = {slot_name: arrays[i] for slot_name, arrays in self._slots.items()}
        self.update_flat(gradient, slots, learning_rate)
        variable.data -= gradient

    def update_flat(self, gradient, slots: dict, learning_rate) -> None:
        """Turn ``gradient`` into what the step subtracts from the weights, updating ``slots``.

        Elementwise on arrays of any one shape and dtype: ``gradient`` and each slot in ``slots``
        (slot name -> array) cover the same variables, flat (every variable of a dtype end to
        end) or one variable's. ``learning_rate`` is a scalar of their dtype. Afterwards the
        optimizer does ``w ← w − gradient``; weight decay and clipping have happened before.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def _has_flat_rule(self) -> bool:
        """Whether ``update_flat`` is this class's rule: implemented, and not overridden by a
        subclass that writes its own ``update_step`` (that subclass's rule is the per-variable
        one)."""

        def owner(method):
            return next(cls for cls in type(self).__mro__ if method in vars(cls))

        flat = owner("update_flat")
        return flat is not Optimizer and issubclass(flat, owner("update_step"))

    def _check_known(self, variables) -> None:
        for variable in variables:
            if id(variable) not in self._index:
                raise ValueError(
                    f"{self.name}: unknown variable {getattr(variable, 'name', None)!r} of shape "
                    f"{variable.shape}; an optimizer updates only the variables it was built "
                    "with. Create a new optimizer for a new set of variables."
                )

    def _checked(self, gradient, variable):
        """``gradient`` as an array (a Tensor's values), its shape checked against the variable."""
        # A Tensor's values, or the array itself (a CuPy array's own ``.data`` is its pointer).
        data = backend.xp.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
        if data.shape != variable.shape:
            raise ValueError(
                f"{self.name}: gradient of shape {data.shape} does not match variable "
                f"{getattr(variable, 'name', None)!r} of shape {variable.shape}."
            )
        return data

    def _prepare(self, gradient, variable):
        """A fresh copy of ``gradient`` in the variable's dtype, its shape checked."""
        data = self._checked(gradient, variable)
        return backend.xp.array(data, dtype=variable.data.dtype, copy=True)

    def _clip(self, grads: list, groups) -> None:
        """Keras's ``_clip_gradients``, in place on the step's copies (flat ones, if ``groups``)."""
        blocks = grads if groups is None else [group.gradient for group in groups]
        clip_gradients(grads, blocks, self.clipnorm, self.clipvalue, self.global_clipnorm)

    # ----- config -----
    def get_config(self) -> dict:
        """The constructor arguments; a schedule is nested as ``{"class_name", "config"}``."""
        learning_rate = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild from :meth:`get_config` (Keras 3 configs are read too)."""
        config = dict(config)
        for key, default in _KERAS_UNSUPPORTED.items():
            if config.pop(key, default) != default:
                raise ValueError(
                    f"{cls.__name__}: Keras's {key!r} is not supported; only its "
                    f"default {key}={default!r} can be read."
                )
        for key in _KERAS_IGNORED:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        config = {**self.get_config(), "learning_rate": self._learning_rate}
        options = ", ".join(
            f"{key}={value!r}"
            for key, value in config.items()
            if key != "name" and value is not None
        )
        return f"{type(self).__name__}({options})"
