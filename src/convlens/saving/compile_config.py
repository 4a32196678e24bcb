"""The compile arguments of a model as JSON, and compiling a loaded model from them.

Built-in losses and metrics are written by name; a user's by the name it was registered
under. A function or class that is not registered is left out (compile again after loading).
The optimizer is written in Keras 3's layout (``module``, ``class_name``, ``config``), so the
real Keras compiles a model that convlens saved, and convlens one that Keras saved.
"""

from __future__ import annotations

from .. import registry


def compile_config(model) -> dict | None:
    """The compile arguments as JSON (convlens's own files and Keras's ``compile_config``)."""
    config = dict(getattr(model, "_compile_config", None) or {})
    if not config:
        return None
    function = getattr(model.loss, "function", None)
    if config.get("loss") is None and function is not None:
        config["loss"] = registry.get_registered_name(function)
    elif isinstance(config.get("loss"), dict):
        config["loss"] = _named(model.loss, config["loss"])
    spec = getattr(model, "_loss_spec", None)
    if config.get("loss") is None and (isinstance(spec, (list, tuple)) or _is_loss_dict(spec)):
        names = per_output(lambda loss: loss if isinstance(loss, str) else None, spec)
        config["loss"] = names  # one loss per output, by name (objects: compile again)
    weights = getattr(model, "_loss_weights", None)
    if weights is not None:
        config["loss_weights"] = weights
    config["metrics"] = per_output(_metric_name, getattr(model, "_metric_identifiers", None))
    return config


def keras_compile_config(model) -> dict | None:
    """Keras 3's ``compile_config``: the optimizer in Keras's layout, Keras's other keys."""
    config = compile_config(model)
    if config is None:
        return None
    optimizer = registry.with_keras_layout(config.get("optimizer"), "keras.optimizers")
    rate = (optimizer or {}).get("config", {}).get("learning_rate")
    if isinstance(rate, dict):  # a schedule, in Keras's layout too
        schedule = _keras_layout("keras.optimizers.schedules")(rate)
        optimizer = {**optimizer, "config": {**optimizer["config"], "learning_rate": schedule}}
    return {
        "optimizer": optimizer,
        "loss": per_output(_keras_layout("keras.losses"), config.get("loss")),
        "loss_weights": config.get("loss_weights"),
        "metrics": per_output(_keras_layout("keras.metrics"), config.get("metrics")),
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def _keras_layout(module: str):
    """Built-in objects' ``{"class_name", "config"}`` with Keras's module added."""

    def convert(value):
        if isinstance(value, dict) and set(value) == {"class_name", "config"}:
            return registry.keras_object(value["class_name"], value["config"], module)
        return value

    return convert


def compile_from_config(model, config: dict, custom_objects=None) -> None:
    """Compile ``model`` as ``config`` (either layout) says."""
    from .. import optimizers

    with registry.custom_object_scope(custom_objects):
        model.compile(
            optimizer=optimizers.deserialize(config["optimizer"]),
            loss=per_output(_user_object, config.get("loss")),
            loss_weights=config.get("loss_weights"),
            metrics=per_output(_user_object, config.get("metrics") or []),
        )


def _metric_name(metric):
    """How a file names a metric: its string, registered name or registered class config;
    None for what cannot be named (compile again after loading)."""
    if isinstance(metric, str):
        return metric
    if registry.get_registered_name(metric) is not None:  # a function or a class
        return registry.get_registered_name(metric)
    if registry.get_registered_name(type(metric)) is not None and hasattr(metric, "get_config"):
        return _named(metric, registry.serialize(metric))
    return None


def _is_loss_dict(value) -> bool:
    return isinstance(value, dict) and "class_name" not in value


def per_output(function, value):
    """``function`` on each entry of a per-output structure (a list, or a dict by output
    name, or a list of lists), entries it maps to None left out of lists."""
    if value is None:
        return None
    if _is_loss_dict(value):
        return {key: per_output(function, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        mapped = [per_output(function, item) for item in value]
        return [item for item in mapped if item is not None]
    return function(value)


def _named(obj, serialized: dict) -> dict:
    """A serialized object with the name its class was registered under, if it was."""
    name = registry.get_registered_name(type(obj))
    return serialized if name is None else {**serialized, "registered_name": name}


def _user_object(identifier):
    """A loss or metric as saved: a user's by its registered name, else the built-in's."""
    if isinstance(identifier, str):
        found = registry.find_custom(identifier)
        return identifier if found is None else found
    if isinstance(identifier, dict):
        found = registry.find_custom(
            identifier.get("class_name"), identifier.get("registered_name")
        )
        if isinstance(found, type):
            return found.from_config(dict(identifier.get("config") or {}))
        return {k: v for k, v in identifier.items() if k not in ("registered_name", "module")}
    return identifier
