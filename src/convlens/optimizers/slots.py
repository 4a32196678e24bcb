"""The optimizer's slots: their layout (flat, one array per dtype) and their state as arrays.

``Slots`` is the part of :class:`~.base.Optimizer` that owns the per-variable state: ``build``
lays the variables out by dtype (:mod:`.flat`), ``add_slot`` makes each slot one flat array per
dtype whose views are the per-variable slots, ``get_state``/``set_state`` read and write them by
name, ``"<slot>/<variable index>"``, always in place: the views stay views.
"""

from __future__ import annotations

import numpy

from .. import backend
from . import schedules
from .flat import group_by_dtype


class Slots:
    """The slots of an :class:`~.base.Optimizer`, which sets their attributes in ``__init__``."""

    def build(self, variables) -> None:
        """Create the slots for ``variables`` (subclasses add theirs after calling this)."""
        variables = list(variables)
        for variable in variables:
            data = getattr(variable, "data", None)
            if not backend.is_array(data) or data.dtype.kind != "f":
                raise TypeError(
                    f"{self.name}: can only optimize floating Tensors, received {variable!r}."
                )
        self._variables = variables
        self._index = {id(variable): i for i, variable in enumerate(variables)}
        self._slots = {}
        self._groups = group_by_dtype(variables)
        self._flat = self._has_flat_rule()  # and, see add_slot, every slot flat
        self._decayed = [self._use_weight_decay(variable) for variable in variables]
        self.built = True

    def add_slot(self, variables, slot_name: str, fill: float = 0.0) -> list:
        """One array per variable, of its shape and dtype, filled with ``fill``.

        For the variables the optimizer was built with, the arrays are views of one flat array
        per dtype, which ``update_flat`` updates at once: never rebind them, write into them.
        """
        variables = list(variables)
        if [id(v) for v in variables] != [id(v) for v in self._variables]:
            self._flat = False  # another layout: this slot has no flat array
            arrays = [backend.xp.full_like(variable.data, fill) for variable in variables]
        else:
            arrays = [None] * len(variables)
            for group in self._groups:
                views = group.add_slot(slot_name, fill)
                for i, view in zip(group.positions, views, strict=True):
                    arrays[i] = view
        self._slots[slot_name] = arrays
        return arrays

    def slot_index(self, variable) -> int:
        """The position of ``variable`` in the slot lists."""
        return self._index[id(variable)]

    # ----- state: the slots as named arrays -----
    def get_state(self) -> dict:
        """The optimizer's state as ``{"iterations": ..., "m/0": ..., ...}`` NumPy copies.

        Keys are ``"<slot>/<variable index>"`` in the build order, plus ``"iterations"`` and,
        for a float learning rate, ``"learning_rate"`` (a callback may have changed it).
        """
        state = {"iterations": numpy.asarray(self.iterations, dtype=numpy.int64)}
        if not isinstance(self._learning_rate, schedules.LearningRateSchedule):
            state["learning_rate"] = numpy.asarray(self._learning_rate, dtype=numpy.float64)
        for slot_name, arrays in self._slots.items():
            for i, array in enumerate(arrays):
                state[f"{slot_name}/{i}"] = numpy.array(backend.to_numpy(array), copy=True)
        return state

    def set_state(self, state: dict) -> None:
        """Restore :meth:`get_state`'s dict into a built optimizer; nothing changes on error.

        Raises:
            ValueError: when the optimizer is not built, a slot is missing or unexpected, or a
                shape differs (naming the slot and both shapes).
        """
        if not self.built:
            raise ValueError(f"{self.name}: call build(variables) before set_state().")
        expected = {
            f"{slot}/{i}": array
            for slot, arrays in self._slots.items()
            for i, array in enumerate(arrays)
        }
        missing = sorted({"iterations", *expected} - set(state))
        unexpected = sorted(set(state) - set(expected) - {"iterations", "learning_rate"})
        if missing or unexpected:
            raise ValueError(
                f"{self.name}: state does not fit this optimizer: missing slots "
                f"{missing}, unexpected slots {unexpected}."
            )
        for key, array in expected.items():
            shape = tuple(numpy.shape(state[key]))
            if shape != array.shape:
                raise ValueError(
                    f"{self.name}: state slot {key!r} has shape {shape}, but the "
                    f"optimizer's slot has shape {array.shape}."
                )
        if "learning_rate" in state and not isinstance(
            self._learning_rate, schedules.LearningRateSchedule
        ):
            self.learning_rate = float(state["learning_rate"])  # validated before any change
        for key, array in expected.items():  # in place: the slots stay views of the flat arrays
            array[...] = backend.xp.asarray(state[key], dtype=array.dtype)
        self.iterations = int(state["iterations"])
