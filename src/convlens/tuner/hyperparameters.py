"""KerasTuner's ``HyperParameters``, define-by-run on Optuna.

``build(hp)`` declares each hyperparameter where it uses it (``hp.Int("units", 32, 512)``) and
gets a value at once. During a search the value comes from an Optuna trial
(``trial.suggest_int``...), so a parameter inside an inactive conditional scope is never
suggested: Optuna's samplers (TPE with ``group=True``) see exactly the conditional structure the
model has. Outside a search a parameter takes its default, or a value set before (as when the
best model is rebuilt from its hyperparameters).

Example:
    >>> hp = HyperParameters()
    >>> hp.Int("units", 32, 128, step=32)
    32
    >>> hp.Choice("model_type", ["mlp", "cnn"])
    'mlp'
    >>> with hp.conditional_scope("model_type", "cnn"):
    ...     print(hp.Int("filters", 8, 64))
    None
    >>> hp.values
    {'units': 32, 'model_type': 'mlp'}
"""

from __future__ import annotations

import contextlib

from . import parameters
from .parameters import Boolean, Choice, Fixed, Float, HyperParameter, Int


def _default(parameter: HyperParameter):
    return parameter.default


class HyperParameters:
    """The hyperparameters of one trial: declare them with ``Int``/``Float``/``Choice``/
    ``Boolean``/``Fixed``, read them back with ``values``, ``get(name)`` or ``hp[name]``.

    A name declared twice returns the value it got the first time (KerasTuner's rule), so a
    ``HyperModel.fit`` can read what ``build`` chose.
    """

    def __init__(self):
        self.values: dict = {}
        self._space: dict[str, HyperParameter] = {}
        self._scopes: list[tuple] = []
        self._choose = _default  # HyperParameter -> value: the default, a trial, a grid point

    @classmethod
    def from_values(cls, values: dict) -> HyperParameters:
        """Hyperparameters that answer with ``values`` (e.g. the best trial's), defaults else."""
        hp = cls()
        hp.values = dict(values)
        return hp

    @classmethod
    def from_trial(cls, trial) -> HyperParameters:
        """Hyperparameters whose values an Optuna trial suggests, define-by-run."""
        hp = cls()
        hp._choose = lambda parameter: parameter.suggest(trial)
        return hp

    @property
    def space(self) -> list[HyperParameter]:
        """Every hyperparameter declared so far, active or not, in declaration order."""
        return list(self._space.values())

    # ----- declaring -----
    def Int(
        self,
        name,
        min_value,
        max_value,
        step=1,
        sampling="linear",
        default=None,
        parent_name=None,
        parent_values=None,
    ):
        """An integer in ``[min_value, max_value]`` on a grid of ``step`` (``sampling="log"``:
        log-uniform; with a step > 1 the step multiplies, as in KerasTuner)."""
        return self._retrieve(
            parameters.Int,
            parent_name,
            parent_values,
            name,
            min_value,
            max_value,
            step=step,
            sampling=sampling,
            default=default,
        )

    def Float(
        self,
        name,
        min_value,
        max_value,
        step=None,
        sampling="linear",
        default=None,
        parent_name=None,
        parent_values=None,
    ):
        """A float in ``[min_value, max_value]``, continuous unless ``step`` is given."""
        return self._retrieve(
            parameters.Float,
            parent_name,
            parent_values,
            name,
            min_value,
            max_value,
            step=step,
            sampling=sampling,
            default=default,
        )

    def Choice(
        self, name, values, ordered=None, default=None, parent_name=None, parent_values=None
    ):
        """One of ``values`` (ints, floats, strings or booleans, all of one type)."""
        return self._retrieve(
            parameters.Choice,
            parent_name,
            parent_values,
            name,
            values,
            ordered=ordered,
            default=default,
        )

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        """``True`` or ``False``."""
        return self._retrieve(parameters.Boolean, parent_name, parent_values, name, default=default)

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        """A constant, recorded with the trial's hyperparameters."""
        return self._retrieve(parameters.Fixed, parent_name, parent_values, name, value)

    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values):
        """Hyperparameters declared inside are active only when ``parent_name`` is active and
        its value is one of ``parent_values``; inactive ones are not sampled and return None."""
        if parent_name not in self._space and parent_name not in self.values:
            raise ValueError(
                f'conditional_scope: the parent hyperparameter "{parent_name}" '
                f"must be declared before the scope that depends on it."
            )
        values = parent_values if isinstance(parent_values, (list, tuple)) else [parent_values]
        self._scopes.append((parent_name, tuple(values)))
        try:
            yield
        finally:
            self._scopes.pop()

    def _retrieve(self, kind, parent_name, parent_values, name, *args, **kwargs):
        scope = (
            self.conditional_scope(parent_name, parent_values)
            if parent_name is not None
            else contextlib.nullcontext()
        )
        with scope:
            parameter = kind(name, *args, conditions=tuple(self._scopes), **kwargs)
            self._space.setdefault(name, parameter)
            if not self._active(parameter.conditions):
                return None
            if name not in self.values:
                self.values[name] = self._choose(parameter)
            return self.values[name]

    def _active(self, conditions) -> bool:
        return all(
            parent in self.values and self.values[parent] in allowed
            for parent, allowed in conditions
        )

    # ----- reading -----
    def is_active(self, name: str) -> bool:
        """Whether ``name`` has a value in this trial."""
        return name in self.values

    def get(self, name: str):
        """The value of ``name``; None when it is declared but inactive in this trial."""
        if name in self.values:
            return self.values[name]
        if name in self._space:
            return None
        raise KeyError(
            f'Unknown hyperparameter "{name}"; declared: {", ".join(self._space) or "none"}.'
        )

    def __getitem__(self, name: str):
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._space or name in self.values

    def copy(self) -> HyperParameters:
        hp = HyperParameters.from_values(self.values)
        hp._space = dict(self._space)
        return hp

    def __repr__(self) -> str:
        return f"HyperParameters({self.values!r})"


__all__ = ["Boolean", "Choice", "Fixed", "Float", "HyperParameter", "HyperParameters", "Int"]
