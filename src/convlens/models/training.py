"""compile, fit, evaluate, predict: Keras's training interface, as a mixin of Model.

The loop is quiet: it emits callback events and never prints. One training step is the
lecture's: forward a mini-batch, compute the loss, backpropagate, let the optimizer update.
"""

from __future__ import annotations

from .. import distribution, losses, memory, optimizers
from ..callbacks.callback import CallbackList
from ..callbacks.history import History
from ..callbacks.terminate_on_nan import StopOnNonFiniteLoss, TerminateOnNaN
from ..kernels.parallel import kernel_threads
from ..tensor import no_grad
from . import data as data_module
from .argument_checks import (
    check_array_data,
    check_fit_arguments,
    check_loop_arguments,
    class_weights_per_sample,
)
from .compiled import CompiledLoss, CompiledMetrics, is_structure
from .structures import (
    as_tensors,
    concatenate_outputs,
    host_arrays,
    host_labels,
    output_arrays,
    output_count,
    scalar_or_list,
    slice_samples,
)

PREDICT_CHUNK = 1024  # samples per forward pass in predict, whatever its batch_size


class Trainer:
    """The training half of :class:`~convlens.models.Model`."""

    optimizer = None
    loss = None
    compiled = False
    stop_training = False
    _compiled = None
    _last_output_losses = ()

    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        loss_weights=None,
        weighted_metrics=None,
        run_eagerly=None,
        jit_compile=None,
        **kwargs,
    ):
        """Choose the optimizer, the loss and the metrics, by name or as objects.

        Args:
            optimizer: ``"adam"``, ``"sgd"``, ... or an optimizer object.
            loss: ``"sparse_categorical_crossentropy"``, ``"mse"``, ... a Loss, or a function.
            metrics: a list of names (``"accuracy"``...) or Metric objects.

        Raises:
            ValueError: for unknown names (listing the accepted ones).
        """
        if kwargs:
            raise TypeError(f"compile(): unexpected argument(s) {sorted(kwargs)}.")
        self.optimizer = optimizers.get(optimizer)
        # No loss is allowed when the model adds its own with add_loss (checked at the first
        # step, as Keras does). Several outputs take one loss each (compiled.py).
        self._loss_spec, self._loss_weights = loss, loss_weights
        self.loss = None if loss is None or is_structure(loss) else losses.get(loss)
        for name, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise TypeError(  # a lone "accuracy" would be read letter by letter
                    f"compile(): {name} must be a list, tuple or dict, received {value!r}; "
                    f"write {name}=[{value!r}]."
                )
        self._metric_identifiers = metrics
        self._compiled = None  # CompiledLoss and CompiledMetrics, made at the first batch
        self.compiled = True
        self._compile_config = {
            "optimizer": optimizers.serialize(self.optimizer),
            "loss": None
            if self.loss is None or isinstance(self.loss, losses.FunctionLoss)
            else losses.serialize(self.loss),
            "metrics": [m for m in (metrics or []) if isinstance(m, str)]
            if isinstance(metrics, (list, tuple))
            else [],
        }

    # ----- metrics -----
    def _loss_output_names(self) -> list[str]:
        """The names the losses and logs use: the output layers' names (or the output dict's
        keys), as Keras; a model without a graph has one output."""
        names = getattr(self, "_output_names", None)
        if names:
            return list(names)
        outputs = getattr(self, "outputs", None)
        if not outputs or len(outputs) == 1:
            return ["output"]
        return [t.node.layer.name for t in outputs]

    def _compiled_parts(self):
        if self._compiled is None:
            compiled_loss = CompiledLoss(
                self._loss_spec, self._loss_weights, self._loss_output_names()
            )
            self._compiled = (
                compiled_loss,
                CompiledMetrics(self._metric_identifiers, compiled_loss),
            )
        return self._compiled

    def _build_metrics(self, y_true, y_pred):
        _, compiled_metrics = self._compiled_parts()
        outputs = list(y_pred.values()) if isinstance(y_pred, dict) else y_pred
        shapes = [o.shape for o in outputs] if isinstance(outputs, list) else [outputs.shape]
        compiled_metrics.build(y_true, shapes)

    @property
    def compiled_metrics(self):
        if self._compiled is None or self._compiled[1].per_output is None:
            return None
        return [m for group in self._compiled[1].per_output for m in group]

    @property
    def metrics(self):
        """The loss trackers and compiled metrics, as Keras's ``model.metrics``."""
        if not self.compiled or self._compiled is None or self._compiled[1].per_output is None:
            return []
        return self._compiled[1].metrics

    @property
    def metrics_names(self) -> list[str]:
        return [metric.name for metric in self.metrics]

    def _reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    reset_metrics = _reset_metrics

    def _logs(self) -> dict:
        return {metric.name: float(metric.result()) for metric in self.metrics}

    # ----- steps -----
    def _require_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"{what}: the model must be compiled first; call model.compile().")

    def _total_loss(self, y, y_pred, sample_weight):
        """The compiled loss plus every ``add_loss`` term and weight penalty (``self.losses``).

        Raises:
            ValueError: when there is neither a compiled loss nor an added one.
        """
        compiled_loss, _ = self._compiled_parts()
        loss, per_output_losses = compiled_loss(y, y_pred, sample_weight)
        terms = self.losses
        if loss is None and not terms:
            raise ValueError(
                f'Model "{self.name}" has no loss to minimise: compile(loss=...) or call '
                "self.add_loss(...) in a layer's or the model's call()."
            )
        for term in terms:
            loss = term if loss is None else loss + term
        self._last_output_losses = per_output_losses
        return loss

    def _update_metrics(self, loss_value, y, y_pred, sample_weight, count):
        per_output = [None if v is None else v.item() for v in self._last_output_losses]
        self._compiled[1].update(loss_value, per_output, y, y_pred, sample_weight, count)

    def train_step(self, x, y, sample_weight=None) -> dict:
        """One step of mini-batch gradient descent on one batch; returns the running logs."""
        y_pred = self(x, training=True)
        self._build_metrics(y, y_pred)
        loss = self._total_loss(y, y_pred, sample_weight)
        variables = self.trainable_weights
        for variable in variables:
            variable.grad = None
        if loss.requires_grad:  # a model with nothing to train still reports its loss (Keras)
            loss.backward()
            self.optimizer.apply([v.grad for v in variables], variables)
        self.apply_constraints()  # every layer's, sublayers included, each once
        self._update_metrics(
            loss.item(), y, output_arrays(y_pred), sample_weight, output_count(y_pred)
        )
        return self._logs()

    def test_step(self, x, y, sample_weight=None) -> dict:
        with no_grad():
            y_pred = self(x, training=False)
            self._build_metrics(y, y_pred)
            loss = self._total_loss(y, y_pred, sample_weight)
        self._update_metrics(
            loss.item(), y, output_arrays(y_pred), sample_weight, output_count(y_pred)
        )
        return self._logs()

    # ----- loops -----
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
        seed=None,
    ):
        """Train for ``epochs`` epochs of mini-batch gradient descent; returns a History.

        ``x`` may be arrays (with ``y``) or an iterable of ``(x, y)`` / ``(x, y, sample_weight)``
        batches. Each epoch reshuffles the samples (seeded by ``seed``, an extension of Keras's
        signature: runs reproduce exactly). ``validation_split`` takes the last fraction of the
        samples, before shuffling, as Keras does.
        """
        self._require_compiled("fit")
        check_loop_arguments("fit", batch_size)
        check_fit_arguments(
            epochs, initial_epoch, validation_split, validation_freq, validation_batch_size,
            steps_per_epoch, validation_steps,
        )  # fmt: skip
        check_array_data("fit", x, y, sample_weight)
        memory.apply_tuning()  # once per process, at the first step (memory.py)
        if validation_split and validation_data is None:
            if not data_module._is_array_like(x):
                raise ValueError(
                    "validation_split needs array inputs; pass validation_data for a dataset."
                )
            (x, y, sample_weight), validation_data = data_module.split_validation(
                x, y, sample_weight, validation_split
            )
        if class_weight is not None:
            sample_weight = class_weights_per_sample(y, class_weight, sample_weight)
        train = data_module.batches(x, y, sample_weight, batch_size, shuffle, seed, steps_per_epoch)
        parallel, train = distribution.for_fit(train, batch_size)  # no-ops unless under mpirun
        validation = None
        if validation_data is not None:
            validation = data_module.validation_batches(
                validation_data, validation_batch_size or batch_size, validation_steps
            )
        history = History()
        callback_list = self._callbacks(callbacks, verbose, epochs, len(train), history, parallel)
        self.stop_training = False
        self._initial_epoch = None  # a callback may set it to resume (BackupAndRestore, as Keras 3)
        callback_list.on_train_begin({})
        if self._initial_epoch is not None:
            initial_epoch = self._initial_epoch
        initial_epoch = parallel.begin(self, train, initial_epoch)  # rank 0's weights, everywhere
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            callback_list.on_epoch_begin(epoch, {})
            logs = {}
            for step, (bx, by, bw) in enumerate(train.epoch(epoch)):
                callback_list.on_train_batch_begin(step, {})
                with kernel_threads():
                    logs = self.train_step(as_tensors(bx), by, bw)
                logs = parallel.global_logs(self, logs)  # the metrics of the whole batch
                callback_list.on_train_batch_end(step, logs)
                if parallel.any(self.stop_training):
                    break
            parallel.end_epoch(self)  # BatchNormalization's moving statistics, averaged
            logs = dict(logs)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                # The callbacks see the validation pass as an evaluation (on_test_*), as Keras's.
                val_logs = self._run_evaluation(validation, callback_list)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, logs)
            if parallel.any(self.stop_training):
                break
        parallel.end(self)
        callback_list.on_train_end(logs if epochs > initial_epoch else {})
        return history

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """The loss and metrics on data, without training. A scalar loss when no metrics were
        compiled, else ``[loss, metric...]`` (or a dict with ``return_dict=True``)."""
        self._require_compiled("evaluate")
        check_loop_arguments("evaluate", batch_size, steps)
        check_array_data("evaluate", x, y, sample_weight)
        memory.apply_tuning()
        data = data_module.batches(x, y, sample_weight, batch_size, False, None, steps)
        callback_list = CallbackList(callbacks, model=self, verbose=verbose, steps=len(data))
        logs = self._run_evaluation(data, callback_list)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _run_evaluation(self, data, callback_list) -> dict:
        self._reset_metrics()
        callback_list.on_test_begin({})
        logs = {}
        for step, (bx, by, bw) in enumerate(data.epoch()):
            callback_list.on_test_batch_begin(step, {})
            with kernel_threads():
                logs = self.test_step(as_tensors(bx), by, bw)
            callback_list.on_test_batch_end(step, logs)
        callback_list.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, batch by batch, as a NumPy array; no graph is recorded."""
        check_loop_arguments("predict", batch_size, steps)
        check_array_data("predict", x)
        memory.apply_tuning()
        data = data_module.batches(x, None, None, batch_size or 32, False, None, steps)
        callback_list = CallbackList(callbacks, model=self)
        callback_list.on_predict_begin({})
        outputs = []
        with no_grad():
            for step, (bx, _, _) in enumerate(data.epoch()):
                callback_list.on_predict_batch_begin(step, {})
                outputs.append(self._predict_batch(bx))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callback_list.on_predict_end({})
        if not outputs:
            raise ValueError("predict() received no data.")
        return concatenate_outputs(outputs)

    def _predict_batch(self, bx):
        """One batch's outputs, computed PREDICT_CHUNK samples at a time: a batch of 60,000
        costs the memory of 1,024 (inference is per sample, so the outputs are the same)."""
        count = data_module.sample_count(bx)
        parts = []
        for start in range(0, count, PREDICT_CHUNK):
            chunk = slice_samples(bx, start, start + PREDICT_CHUNK)
            with kernel_threads():
                parts.append(host_arrays(self(as_tensors(chunk), training=False)))
        return parts[0] if len(parts) == 1 else concatenate_outputs(parts)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        check_array_data("train_on_batch", x, y, sample_weight)
        memory.apply_tuning()
        if class_weight is not None:
            sample_weight = class_weights_per_sample(y, class_weight, sample_weight)
        self._reset_metrics()
        with kernel_threads():
            logs = self.train_step(as_tensors(x), host_labels(y), sample_weight)
        return logs if return_dict else scalar_or_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        check_array_data("test_on_batch", x, y, sample_weight)
        memory.apply_tuning()
        self._reset_metrics()
        with kernel_threads():
            logs = self.test_step(as_tensors(x), host_labels(y), sample_weight)
        return logs if return_dict else scalar_or_list(logs)

    def predict_on_batch(self, x):
        check_array_data("predict_on_batch", x)
        memory.apply_tuning()
        with no_grad():
            return self._predict_batch(data_module.number_list_as_array(x))

    def _callbacks(self, callbacks, verbose, epochs, steps, history, parallel=None):
        from ..callbacks import progress

        callback_list = CallbackList(callbacks)
        verbose = progress.resolve_verbose(verbose)
        if verbose:
            callback_list.append(progress.ProgressBar(verbose=verbose))
        callback_list.append(history)
        if not any(isinstance(c, TerminateOnNaN) for c in callback_list.callbacks):
            callback_list.append(StopOnNonFiniteLoss())
        callback_list.set_model(self)
        callback_list.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
        self.history = history
        return callback_list if parallel is None else parallel.callbacks(callback_list)
