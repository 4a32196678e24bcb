"""Decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019)
as Keras 3 applies it: ``w ← w − w·weight_decay·lr`` before the rule, apart from the gradient,
for every variable not exempted by :meth:`WeightDecay.exclude_from_weight_decay`.
"""

from __future__ import annotations

import re


class WeightDecay:
    """The weight-decay part of :class:`~.base.Optimizer`, which sets ``weight_decay``,
    ``_exclude_ids`` and ``_exclude_pattern`` in ``__init__``."""

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from ``weight_decay``: the objects in ``var_list``, and every variable
        whose name contains a match of one of the regular expressions ``var_names`` (``"bias"``).

        Raises:
            ValueError: once the optimizer is built (as Keras).
        """
        if self.built:
            raise ValueError(
                f"{self.name}: exclude_from_weight_decay() must be called before the "
                "first step (before the optimizer is built)."
            )
        self._exclude_ids = {id(variable) for variable in var_list or ()}
        self._exclude_pattern = re.compile("|".join(var_names)) if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        name = getattr(variable, "name", None) or ""
        return self._exclude_pattern is None or self._exclude_pattern.search(name) is None

    def _apply_weight_decay(self, variables, learning_rate: float) -> None:
        for variable in variables:
            if self._use_weight_decay(variable):
                w = variable.data
                dtype = w.dtype.type
                decay = w * dtype(self.weight_decay)
                decay *= dtype(learning_rate)
                w -= decay  # w ← w − w·λ·η, decoupled from the gradient (Loshchilov & Hutter)
