"""The kinds of hyperparameter (Int, Float, Choice, Boolean, Fixed): each knows its range, its
default, the values a grid visits, and how to ask an Optuna trial for a value.
"""

from __future__ import annotations

import math

_SAMPLINGS = ("linear", "log")


class HyperParameter:
    """One declared hyperparameter: its range, default and the conditions that activate it."""

    kind = "HyperParameter"

    def __init__(self, name: str, default, conditions=()):
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"A hyperparameter name must be a non-empty string, received {name!r}."
            )
        self.name = name
        self.default = default
        self.conditions = tuple(conditions)  # ((parent_name, (values...)), ...)

    def suggest(self, trial):
        """The value an Optuna trial suggests for this parameter."""
        raise NotImplementedError

    def grid_values(self) -> list:
        """Every value a grid search visits, in order."""
        raise NotImplementedError

    def config(self) -> dict:
        return {"default": self.default}

    def describe(self) -> str:
        conditions = "".join(f", if {p} in {list(v)}" for p, v in self.conditions)
        items = ", ".join(f"{k}: {v!r}" for k, v in self.config().items())
        return f"{self.name} ({self.kind}): {items}{conditions}"

    def _error(self, message: str) -> ValueError:
        return ValueError(f'{self.kind} "{self.name}": {message}')


def _geometric(low, high, factor, integer: bool) -> list:
    """``low, low*factor, low*factor², ... <= high``: KerasTuner's meaning of ``step`` when
    ``sampling="log"`` (the step multiplies)."""
    values, value = [], low
    while value <= high * (1 + 1e-9):
        values.append(int(round(value)) if integer else float(value))
        value *= factor
    return values


class Int(HyperParameter):
    kind = "Int"

    def __init__(
        self, name, min_value, max_value, step=1, sampling="linear", default=None, conditions=()
    ):
        super().__init__(name, min_value if default is None else default, conditions)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (min_value, max_value)):
            raise self._error(
                f"min_value and max_value must be integers, received "
                f"{min_value!r} and {max_value!r}."
            )
        step = 1 if step is None else step
        if sampling not in _SAMPLINGS:
            raise self._error(f"sampling must be 'linear' or 'log', received {sampling!r}.")
        if min_value > max_value or not isinstance(step, int) or step < 1:
            raise self._error(
                f"needs min_value <= max_value and an integer step >= 1, "
                f"received {min_value}, {max_value}, step={step!r}."
            )
        if sampling == "log" and min_value <= 0:
            raise self._error(f"log sampling needs min_value > 0, received {min_value}.")
        self.min_value, self.step, self.sampling = min_value, step, sampling
        # The largest value on the grid, as KerasTuner: a max_value between steps rounds down.
        self.max_value = (
            max_value if sampling == "log" else (min_value + (max_value - min_value) // step * step)
        )
        if not min_value <= self.default <= max_value:
            raise self._error(f"default {self.default} is outside [{min_value}, {max_value}].")

    def suggest(self, trial):
        if self.sampling == "log" and self.step > 1:
            return trial.suggest_categorical(self.name, self.grid_values())
        return trial.suggest_int(
            self.name, self.min_value, self.max_value, step=self.step, log=self.sampling == "log"
        )

    def grid_values(self) -> list:
        if self.sampling == "log" and self.step > 1:
            return _geometric(self.min_value, self.max_value, self.step, integer=True)
        return list(range(self.min_value, self.max_value + 1, self.step))

    def config(self) -> dict:
        return {
            "default": self.default,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }


class Float(HyperParameter):
    kind = "Float"
    GRID_POINTS = 10  # values a grid search takes from a Float without a step

    def __init__(
        self, name, min_value, max_value, step=None, sampling="linear", default=None, conditions=()
    ):
        super().__init__(name, None, conditions)
        min_value, max_value = float(min_value), float(max_value)
        if sampling not in _SAMPLINGS:
            raise self._error(f"sampling must be 'linear' or 'log', received {sampling!r}.")
        if not min_value <= max_value or (step is not None and not step > 0):
            raise self._error(
                f"needs min_value <= max_value and step > 0, received "
                f"{min_value}, {max_value}, step={step!r}."
            )
        if sampling == "log" and (min_value <= 0 or (step is not None and step <= 1)):
            raise self._error(
                f"log sampling needs min_value > 0 (and a step > 1, a factor), "
                f"received {min_value}, step={step!r}."
            )
        self.min_value, self.step, self.sampling = min_value, step, sampling
        self.max_value = max_value
        if step is not None and sampling == "linear":
            count = math.floor((max_value - min_value) / step + 1e-9)
            self.max_value = min_value + count * step
        self.default = min_value if default is None else float(default)
        if not min_value <= self.default <= max_value:
            raise self._error(f"default {self.default} is outside [{min_value}, {max_value}].")

    def suggest(self, trial):
        if self.sampling == "log" and self.step is not None:
            return trial.suggest_categorical(self.name, self.grid_values())
        return trial.suggest_float(
            self.name, self.min_value, self.max_value, step=self.step, log=self.sampling == "log"
        )

    def grid_values(self) -> list:
        low, high = self.min_value, self.max_value
        if self.step is not None and self.sampling == "log":
            return _geometric(low, high, self.step, integer=False)
        if self.step is not None:
            return [low + i * self.step for i in range(round((high - low) / self.step) + 1)]
        points = range(self.GRID_POINTS)
        if self.sampling == "log":
            ratio = math.log(high / low) / (self.GRID_POINTS - 1)
            return [low * math.exp(i * ratio) for i in points]
        return [low + i * (high - low) / (self.GRID_POINTS - 1) for i in points]

    def config(self) -> dict:
        return {
            "default": self.default,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "step": self.step,
            "sampling": self.sampling,
        }


class Choice(HyperParameter):
    kind = "Choice"

    def __init__(self, name, values, ordered=None, default=None, conditions=()):
        values = list(values) if isinstance(values, (list, tuple)) else None
        super().__init__(name, None, conditions)
        if not values:
            raise self._error("values must be a non-empty list.")
        kinds = {type(v) for v in values}
        if len(kinds) > 1 or not kinds <= {int, float, str, bool}:
            raise self._error(
                f"values must all be int, float, str or bool, of one type; received {values!r}."
            )
        if default is not None and default not in values:
            raise self._error(f"default {default!r} is not one of {values!r}.")
        self.values = values
        self.default = values[0] if default is None else default
        # Optuna samples choices as unordered categories; `ordered` is kept for the summary.
        self.ordered = kinds <= {int, float} if ordered is None else bool(ordered)

    def suggest(self, trial):
        return trial.suggest_categorical(self.name, self.values)

    def grid_values(self) -> list:
        return list(self.values)

    def config(self) -> dict:
        return {"default": self.default, "values": self.values, "ordered": self.ordered}


class Boolean(HyperParameter):
    kind = "Boolean"

    def __init__(self, name, default=False, conditions=()):
        if not isinstance(default, bool):
            raise ValueError(
                f'Boolean "{name}": default must be True or False, received {default!r}.'
            )
        super().__init__(name, default, conditions)

    def suggest(self, trial):
        return trial.suggest_categorical(self.name, [False, True])

    def grid_values(self) -> list:
        return [False, True]


class Fixed(HyperParameter):
    kind = "Fixed"

    def __init__(self, name, value, conditions=()):
        if not isinstance(value, (int, float, str, bool)):
            raise ValueError(
                f'Fixed "{name}": value must be int, float, str or bool, received {value!r}.'
            )
        super().__init__(name, value, conditions)

    def suggest(self, trial):
        # A one-value distribution: Optuna records it without consulting the sampler.
        return trial.suggest_categorical(self.name, [self.default])

    def grid_values(self) -> list:
        return [self.default]


__all__ = ["Boolean", "Choice", "Fixed", "Float", "HyperParameter", "Int"]
