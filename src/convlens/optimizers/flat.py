"""Slots and gradients laid end to end, one flat array per dtype, so that a step is a few calls.

Adam's rule is eleven array operations. Run once per variable, that is eleven calls per variable
(on a GPU, eleven kernel launches of 10–20 µs each); run on one array that holds every
variable's values end to end, it is eleven calls per step, whatever the number of variables.
A :class:`FlatGroup` lays out the variables of one dtype: each slot is one flat array whose
reshaped slices are the per-variable slots (so ``get_state``, ``set_state`` and ``update_step``
see arrays of the variables' shapes and write into the flat one), and each step copies the
gradients into one flat gradient buffer with one call. The weights stay the layers' own arrays:
each is updated in place from its slice of the flat result.
"""

from __future__ import annotations

import numpy

from .. import backend


class FlatGroup:
    """The variables of one dtype, in build order, laid end to end in flat arrays.

    Args:
        variables: floating Tensors of one dtype.
        positions: their positions in the optimizer's variable list.

    Attributes:
        gradient: the flat gradient buffer that each step fills; ``gradients`` are its
            per-variable views.
        slots: slot name -> the flat slot array.
    """

    def __init__(self, variables: list, positions: list[int]):
        self.variables, self.positions = variables, positions
        self.dtype = variables[0].data.dtype
        ends = numpy.cumsum([variable.data.size for variable in variables]).tolist()
        self._bounds = list(zip([0, *ends[:-1]], ends, strict=True))
        self.gradient = backend.xp.empty(ends[-1], dtype=self.dtype)
        self.gradients = self.views(self.gradient)
        self.slots: dict = {}
        self._decay = self._decays = None  # w·λ·η, made on the first decayed step

    def views(self, flat) -> list:
        """Each variable's slice of ``flat``, in its shape: views, so writes reach ``flat``."""
        return [
            flat[start:stop].reshape(variable.shape)
            for variable, (start, stop) in zip(self.variables, self._bounds, strict=True)
        ]

    def add_slot(self, slot_name: str, fill: float) -> list:
        """A flat slot filled with ``fill``; returns its per-variable views."""
        self.slots[slot_name] = flat = backend.xp.full(self.gradient.shape, fill, dtype=self.dtype)
        return self.views(flat)

    def gather(self, grads: list) -> None:
        """Copy ``grads`` (one array per variable, of its shape) into ``gradient``, one call."""
        flat = [g.reshape(-1) for g in grads]
        backend.xp.concatenate(flat, out=self.gradient, casting="unsafe")  # as xp.array(dtype=)

    def decays(self, weight_decay: float, learning_rate: float) -> list:
        """Each variable's decay ``w·λ·η`` (views of one flat array), rounded as Keras: (w·λ)·η."""
        if self._decay is None:
            self._decay = backend.xp.empty_like(self.gradient)
            self._decays = self.views(self._decay)
        weights = [variable.data.reshape(-1) for variable in self.variables]
        backend.xp.concatenate(weights, out=self._decay)
        self._decay *= self.dtype.type(weight_decay)
        self._decay *= self.dtype.type(learning_rate)
        return self._decays


def group_by_dtype(variables: list) -> list[FlatGroup]:
    """One :class:`FlatGroup` per dtype, in the order the dtypes first appear."""
    positions: dict = {}
    for i, variable in enumerate(variables):
        positions.setdefault(variable.data.dtype, []).append(i)
    return [FlatGroup([variables[i] for i in where], where) for where in positions.values()]
