"""What ``compile`` asked for, applied to a model's outputs: one loss (and metrics) per output.

A model with one output has one loss and its metrics, logged as ``loss``, ``accuracy``... A
model with several outputs (the functional API's multi-output models) takes, as Keras 3 does,
one loss for all outputs or one per output (a list in output order, or a dict keyed by output
name), ``loss_weights`` likewise, and metrics as a dict or a list of lists; the training loss is
the weighted sum, and the logs add ``<output>_loss`` and ``<output>_<metric>``.
"""

from __future__ import annotations

import numpy

from .. import losses
from .. import metrics as metrics_module


def per_output(value, names: list[str], what: str) -> list:
    """``value`` as one entry per output: a dict read by output name, a list/tuple as is.

    Raises:
        ValueError: naming ``what`` when a dict lacks an output or a list has the wrong length.
    """
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(
                f"{what}: keys {unknown} are not outputs of the model; its outputs are {names}."
            )
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return list(value)
    raise ValueError(
        f"{what}: the model has {len(names)} outputs {names}; expected a list of "
        f"{len(names)} entries or a dict keyed by output name, received {type(value).__name__}"
        + (f" of length {len(value)}." if isinstance(value, (list, tuple)) else ".")
    )


def is_structure(value) -> bool:
    """Whether a loss/weights spec is per output (a list or a name->entry dict), not one
    loss (a name, a Loss, a function, or a serialized ``{"class_name": ...}`` dict)."""
    if isinstance(value, dict):
        return "class_name" not in value
    return isinstance(value, (list, tuple))


class CompiledLoss:
    """The loss of ``compile(loss=..., loss_weights=...)`` for a model's outputs."""

    def __init__(self, loss, loss_weights, output_names: list[str]):
        self.names = output_names
        several = len(output_names) > 1
        if is_structure(loss):
            if not several:
                loss = per_output(loss, output_names, "compile(loss=...)")
                loss = loss[0]
            else:
                loss = per_output(loss, output_names, "compile(loss=...)")
        elif several:
            loss = [loss] * len(output_names)
        self.losses = (
            [None if entry is None else losses.get(entry) for entry in loss]
            if several
            else [None if loss is None else losses.get(loss)]
        )
        if loss_weights is None:
            self.weights = [1.0] * len(self.losses)
        elif is_structure(loss_weights):
            weights = per_output(loss_weights, output_names, "compile(loss_weights=...)")
            self.weights = [1.0 if w is None else float(w) for w in weights]
        else:
            self.weights = [float(loss_weights)] * len(self.losses)

    @property
    def several(self) -> bool:
        return len(self.losses) > 1

    def __call__(self, y_true, y_pred, sample_weight):
        """``(total, per_output)``: the weighted sum (None when no output has a loss) and each
        output's own loss (None where it has none)."""
        if not self.several:
            loss = self.losses[0]
            value = None if loss is None else loss(y_true, y_pred, sample_weight)
            return value, [value]
        y_true = per_output(y_true, self.names, "the targets y")
        y_pred = per_output(y_pred, self.names, "the model's outputs")
        weights = (
            per_output(sample_weight, self.names, "sample_weight")
            if is_structure(sample_weight)
            else [sample_weight] * len(self.names)
        )
        total, values = None, []
        for loss, weight, target, output, sw in zip(
            self.losses, self.weights, y_true, y_pred, weights
        ):
            value = None if loss is None or target is None else loss(target, output, sw)
            values.append(value)
            if value is not None:
                term = value if weight == 1.0 else value * weight
                total = term if total is None else total + term
        return total, values


class CompiledMetrics:
    """The loss trackers and the metrics of ``compile(metrics=...)``, built at the first batch
    (``"accuracy"`` depends on the loss and the shapes)."""

    def __init__(self, identifiers, compiled_loss: CompiledLoss):
        self.identifiers = identifiers
        self.compiled_loss = compiled_loss
        self.loss_tracker = metrics_module.Mean(name="loss")
        names = compiled_loss.names
        self.output_trackers = (
            [metrics_module.Mean(name=f"{name}_loss") for name in names]
            if compiled_loss.several
            else []
        )
        self.per_output: list[list] | None = None

    def build(self, y_true, y_pred_shapes) -> None:
        if self.per_output is not None:
            return
        names, several = self.compiled_loss.names, self.compiled_loss.several
        if not several:
            specs = [list(self.identifiers or [])]
            y_true = [y_true]
        else:
            specs = self._specs_per_output(names)
            y_true = per_output(y_true, names, "the targets y")
        self.per_output = []
        for index, (spec, target, shape) in enumerate(zip(specs, y_true, y_pred_shapes)):
            loss = self.compiled_loss.losses[index]
            built = [self._metric(identifier, loss, target, shape) for identifier in spec]
            if several:
                for metric in built:
                    metric.name = f"{names[index]}_{metric.name}"
            self.per_output.append(built)

    def _specs_per_output(self, names):
        identifiers = self.identifiers
        if not identifiers:
            return [[] for _ in names]
        if isinstance(identifiers, dict) or (
            isinstance(identifiers, (list, tuple))
            and len(identifiers) == len(names)
            and all(isinstance(i, (list, tuple)) or i is None for i in identifiers)
        ):
            specs = per_output(identifiers, names, "compile(metrics=...)")
            return [
                [] if s is None else list(s) if isinstance(s, (list, tuple)) else [s] for s in specs
            ]
        return [list(identifiers) for _ in names]  # one flat list: the same metrics on each

    @staticmethod
    def _metric(identifier, loss, y_true, y_pred_shape):
        if identifier in ("accuracy", "acc"):
            return metrics_module.resolve_accuracy(
                getattr(loss, "name", None),
                None if y_true is None else numpy.shape(y_true),
                y_pred_shape,
                name=identifier,
            )
        if isinstance(identifier, metrics_module.Metric):
            return identifier
        return metrics_module.get(identifier)

    @property
    def metrics(self) -> list:
        built = [m for group in (self.per_output or []) for m in group]
        return [self.loss_tracker, *self.output_trackers, *built]

    def update(self, total, per_output_losses, y_true, y_pred, sample_weight, count) -> None:
        self.loss_tracker.update_state(total, sample_weight=count)
        for tracker, value in zip(self.output_trackers, per_output_losses):
            if value is not None:
                tracker.update_state(value, sample_weight=count)
        if self.compiled_loss.several:
            names = self.compiled_loss.names
            y_true = per_output(y_true, names, "the targets y")
            y_pred = per_output(y_pred, names, "the model's outputs")
            weights = (
                per_output(sample_weight, names, "sample_weight")
                if is_structure(sample_weight)
                else [sample_weight] * len(names)
            )
        else:
            y_true, y_pred, weights = [y_true], [y_pred], [sample_weight]
        for group, target, output, weight in zip(self.per_output, y_true, y_pred, weights):
            if target is None:
                continue
            for metric in group:
                metric.update_state(target, output, sample_weight=weight)
