"""Argument checks every layer shares: sizes as tuples of positive ints, flags as real bools.

A mixin of :class:`~convlens.layers.Layer`; each error names the layer and the argument, what is
accepted and what was received (``Conv2D "conv2d": kernel_size must be a positive int or a tuple
of 2 positive ints, received 2.5.``).
"""

from __future__ import annotations

import numbers

import numpy

from ..arguments import check_number


class ArgumentChecks:
    """``positive_ints`` and ``boolean``, for ``__init__`` methods of layers."""

    def positive_ints(self, value, rank: int, name: str) -> tuple[int, ...]:
        """``value`` (an int or a tuple of ``rank`` ints) as a tuple of positive ints.

        Raises:
            ValueError: naming this layer and the argument ``name``.
        """
        if isinstance(value, numbers.Integral):
            values = (value,) * rank
        else:
            try:
                values = tuple(value)
            except TypeError:  # 2.5, None...: not an int, not a tuple
                values = ()
        if len(values) != rank or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in values
        ):
            raise ValueError(
                f'{type(self).__name__} "{self.name}": {name} must be a positive int '
                f"or a tuple of {rank} positive ints, received {value!r}."
            )
        return tuple(int(v) for v in values)

    def sequence(self, value, name: str, accepted: str) -> tuple:
        """``value`` as a tuple; an int, a float or a string (not a sequence of sizes or axes)
        is a TypeError naming this layer, the argument and what it accepts."""
        if not isinstance(value, (str, bytes)):
            try:
                return tuple(value)
            except TypeError:
                pass
        raise TypeError(
            f'{type(self).__name__} "{self.name}": {name} must be {accepted}, received {value!r}.'
        )

    def int_tuple(self, value, name: str, accepted: str, allow_none=False) -> tuple:
        """``value`` (a sequence) as a tuple of ints (None entries kept when ``allow_none``);
        anything else is a TypeError naming this layer and the argument."""
        values = self.sequence(value, name, accepted)
        for v in values:
            if (v is None and allow_none) or (
                isinstance(v, numbers.Integral) and not isinstance(v, bool)
            ):
                continue
            raise TypeError(
                f'{type(self).__name__} "{self.name}": {name} must be {accepted}, '
                f"received {value!r}."
            )
        return tuple(None if v is None else int(v) for v in values)

    def number(self, value, name: str, **bounds) -> float:
        """``value`` as a finite float within ``bounds`` (those of
        :func:`convlens.arguments.check_number`), the message naming this layer."""
        return check_number(value, name, f'{type(self).__name__} "{self.name}"', **bounds)

    def boolean(self, value, name: str) -> bool:
        """``value`` as a bool; anything else (``'no'``, ``0``, ``None``) is a TypeError naming
        this layer and the argument, where ``bool()`` would silently read ``'no'`` as True."""
        if not isinstance(value, (bool, numpy.bool_)):
            raise TypeError(
                f'{type(self).__name__} "{self.name}": {name} must be True or False, '
                f"received {value!r}."
            )
        return bool(value)
