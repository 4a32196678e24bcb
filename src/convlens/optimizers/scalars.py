"""An optimizer's learning rate and step count as Keras's Variables behave, kept as numbers.

In Keras 3 ``optimizer.learning_rate`` and ``optimizer.iterations`` are Variables: programs
call ``.numpy()`` and ``.assign(value)`` on them, or ``float()``/``int()``. Here they stay plain
numbers inside the optimizer; reading them gives a ``float``/``int`` subclass that also answers
those calls, and ``assign`` sets the optimizer's attribute.

Example:
    >>> from convlens import optimizers
    >>> sgd = optimizers.SGD(0.1)
    >>> sgd.learning_rate.assign(0.05)
    >>> float(sgd.learning_rate), sgd.learning_rate.numpy().dtype.name
    (0.05, 'float32')
"""

from __future__ import annotations

import numpy


class _Assignable:
    def _bind(self, owner, attribute):
        self._owner, self._attribute = owner, attribute
        return self

    def assign(self, value) -> None:
        """Set the optimizer's value (Keras's ``variable.assign``)."""
        setattr(self._owner, self._attribute, type(self)._cast(value))

    def assign_add(self, value) -> None:
        setattr(self._owner, self._attribute, type(self)._cast(self + value))

    @property
    def value(self):
        return type(self)._cast(self)


class LearningRate(_Assignable, float):
    """The learning rate: a float with ``numpy()`` and ``assign()``."""

    _cast = staticmethod(float)

    def numpy(self):
        return numpy.asarray(float(self), dtype=numpy.float32)


class StepCount(_Assignable, int):
    """The number of steps applied: an int with ``numpy()`` and ``assign()``."""

    _cast = staticmethod(int)

    def numpy(self):
        return numpy.asarray(int(self), dtype=numpy.int64)
