"""``saving.serialize_keras_object`` and ``deserialize_keras_object``: any object of a model
(a layer, an initializer, a regularizer, a constraint, a loss, a metric, an optimizer, a
function) to Keras 3's ``{"module", "class_name", "config", "registered_name"}`` and back.

Loading rebuilds only what convlens defines or what the user registered (or passes in
``custom_objects``); a name is looked up, never imported or executed.
"""

from __future__ import annotations

import types

from . import registry

# (Keras module, convlens module name, base class attribute) for each kind of object.
_KINDS = (
    ("keras.initializers", "initializers", "Initializer"),
    ("keras.regularizers", "regularizers", "Regularizer"),
    ("keras.constraints", "constraints", "Constraint"),
    ("keras.losses", "losses", "Loss"),
    ("keras.metrics", "metrics", "Metric"),
    ("keras.optimizers", "optimizers", "Optimizer"),
)


def _module(name: str):
    import importlib

    return importlib.import_module(f"convlens.{name}")


def serialize_keras_object(obj):
    """``obj`` as JSON in Keras 3's layout (lists, dicts and plain values as they are).

    Raises:
        ValueError: for an object that is none of the kinds above and has no ``get_config``.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    from .layers.layer import Layer

    if isinstance(obj, Layer):
        from .keras_config import serialize_layer

        return serialize_layer(obj)
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return registry.serialize_function(getattr(obj, "__wrapped__", obj))
    if not hasattr(obj, "get_config"):
        raise ValueError(
            f"serialize_keras_object: {obj!r} ({type(obj).__name__}) has no get_config(); "
            "give its class get_config() and from_config()."
        )
    registered = registry.get_registered_name(type(obj))
    module = type(obj).__module__
    for keras_module, name, base in _KINDS:
        if isinstance(obj, getattr(_module(name), base)):
            module = keras_module if registered is None else module
            break
    return registry.keras_object(type(obj).__name__, obj.get_config(), module, registered)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object :func:`serialize_keras_object` (or Keras) described.

    Args:
        config: a Keras-layout dict, a name, or a list/dict of them.
        custom_objects: name -> class or function, for user objects not registered.
        safe_mode: accepted as Keras's; nothing is ever executed here.

    Raises:
        ValueError: for a class name neither convlens nor the user defines.
    """
    del safe_mode, kwargs
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict) or "class_name" not in config:
        if isinstance(config, dict):
            return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
        raise ValueError(f"deserialize_keras_object: cannot read {config!r}.")
    class_name, module = config["class_name"], config.get("module") or ""
    custom = registry.find_custom(
        config.get("config") if class_name == "function" else class_name,
        config.get("registered_name"),
        custom_objects,
    )
    if class_name == "function":
        if custom is not None:
            return custom
        from . import activations

        return activations.get(config["config"])
    if custom is not None and isinstance(custom, type):
        options = dict(config.get("config") or {})
        return custom.from_config(options) if hasattr(custom, "from_config") else custom(**options)
    if module.startswith(("keras.layers", "keras.models", "keras.src.models")) or class_name in (
        registry.layer_classes()
    ):
        from .keras_config import deserialize_layer

        return deserialize_layer(config, custom_objects)
    from .keras_config import nested_from_keras  # Keras-only arguments at their defaults

    plain = nested_from_keras(config, "deserialize_keras_object")
    for keras_module, name, _ in _KINDS:
        if module == keras_module or not module:
            try:
                return _module(name).get(plain)
            except ValueError:
                if module:
                    raise
    raise ValueError(
        f"deserialize_keras_object: unknown class {class_name!r} (module {module!r}); register "
        "it with saving.register_keras_serializable or pass custom_objects."
    )
