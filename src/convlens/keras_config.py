"""Layer configs in Keras 3's layout, and back: the translation between Keras's keys and ours.

A layer is written as Keras 3 writes it (keras/src/saving/serialization_lib.py)::

    {"module": "keras.layers", "class_name": "Conv2D", "config": {...},
     "registered_name": None, "build_config": {"input_shape": [None, 28, 28, 1]}}

with the layer's dtype as a ``DTypePolicy`` object and its initializers, regularizers and
constraints as objects of the same layout, so that the real ``keras.models.model_from_json``
reads what convlens writes, and convlens reads what Keras writes.

Reading accepts Keras's keys and our layers' own ``get_config`` keys (the old convlens files
hold those). A Keras argument that convlens does not implement is dropped only when it holds
Keras's default, under which it changes nothing; any other value raises a ``ValueError`` naming
the layer and the argument, so a model never silently changes meaning. Classes are found by
name in :mod:`convlens.registry`; nothing a file names is ever imported or executed.
"""

from __future__ import annotations

import inspect

from . import registry

# Keras arguments convlens has no code for, with the Keras default under which they do nothing.
KERAS_ONLY_DEFAULTS = {
    "autocast": True,  # every Keras layer: cast inputs to the compute dtype (ours do)
    "synchronized": False,  # BatchNormalization: across devices
    "renorm": False,
    "renorm_clipping": None,
    "renorm_momentum": 0.99,
    "quantization_config": None,  # Dense, EinsumDense, Embedding
    "lora_rank": None,
    "lora_alpha": None,
    "sparse": False,  # InputLayer
    "ragged": False,
    "optional": False,
    "input_tensor": None,
    "rms_scaling": False,  # LayerNormalization (deprecated in Keras)
}
# Nested objects: Keras arguments of initializers that convlens's do not take.
NESTED_KERAS_ONLY_DEFAULTS = {"input_axes": None, "output_axes": None}
# Our arguments Keras does not have: written only when they differ from our default.
CONVLENS_ONLY_DEFAULTS = {"padding_mode": "zeros"}
# Arguments Keras takes but leaves out of a class's config: written only when not the default.
KERAS_OMITS = {
    "Dense": {"activity_regularizer": None},
    "SpatialDropout1D": {"trainable": True},
    "SpatialDropout2D": {"trainable": True},
}
# Layer configs' nested objects, by the ending of their key, and Keras's module for each kind.
NESTED_KINDS = (
    ("_initializer", "keras.initializers", "initializers"),
    ("_regularizer", "keras.regularizers", "regularizers"),
    ("_constraint", "keras.constraints", "constraints"),
)
# Our class name -> (Keras module, Keras class name, Keras registered name) where not a layer's.
KERAS_NAMES = {
    "Sequential": ("keras", "Sequential", None),
    "Model": ("keras.src.models.functional", "Functional", "Functional"),
    "Functional": ("keras.src.models.functional", "Functional", "Functional"),
}


def as_lists(value):
    """Tuples as lists, recursively: shapes the way JSON holds them."""
    if isinstance(value, (list, tuple)):
        return [as_lists(item) for item in value]
    return value


# ----- writing -----
def serialize_layer(layer) -> dict:
    """``layer`` (or a model) as one object in Keras 3's layout, config included.

    Raises:
        ValueError: when the config holds something JSON cannot store (a function of your own
            that is not registered, say).
    """
    cls = type(layer)
    builtin = registry.layer_classes().get(cls.__name__) is cls
    if builtin:
        module, class_name, registered = KERAS_NAMES.get(
            cls.__name__, ("keras.layers", cls.__name__, None)
        )
    else:
        registered = registry.get_registered_name(cls) or cls.__name__
        module = None if cls.__module__ == "__main__" else cls.__module__
        class_name = cls.__name__
    config = layer.get_config()
    if class_name == "InputLayer":
        config = _input_layer_to_keras(config)
    elif not _is_model_class(cls):
        config = config_to_keras(config, KERAS_OMITS.get(class_name, {}) if builtin else {})
    result = registry.keras_object(class_name, config, module, registered)
    build_config = _build_config(layer)
    if build_config is not None:
        result["build_config"] = build_config
    return result


def config_to_keras(config: dict, omitted: dict | None = None) -> dict:
    """A layer's own ``get_config`` with the dtype and nested objects in Keras's layout and
    our own arguments left out where they hold our default (Keras would not know them).

    Args:
        config: the layer's ``get_config()``.
        omitted: arguments Keras leaves out of this class's config, with their defaults.
    """
    result = {}
    skipped = {**CONVLENS_ONLY_DEFAULTS, **(omitted or {})}
    for key, value in config.items():
        if key in skipped and value == skipped[key]:
            continue
        if key == "dtype" and isinstance(value, str):
            value = registry.dtype_policy(value)
        else:
            value = _nested_to_keras(key, value)
        result[key] = value
    return result


def _nested_to_keras(key: str, value):
    for ending, module, kind in NESTED_KINDS:
        if key.endswith(ending):
            return registry.with_keras_layout(value, module, _builtin_classes(kind))
    return value


def _builtin_classes(kind: str) -> dict:
    from . import constraints, initializers, regularizers

    modules = {"initializers": initializers, "regularizers": regularizers}
    return getattr(modules.get(kind, constraints), "_CLASSES", {})


def _input_layer_to_keras(config: dict) -> dict:
    batch_shape = config.get("batch_shape") or [config.get("batch_size"), *config["shape"]]
    return {
        "batch_shape": as_lists(batch_shape),
        "dtype": registry.dtype_name(config.get("dtype"), "InputLayer") or "float32",
        "sparse": False,
        "ragged": False,
        "name": config["name"],
        "optional": False,
    }


def _build_config(layer) -> dict | None:
    """Keras's ``build_config``: the input shape, for layers whose ``build`` makes weights."""
    from .layers.layer import Layer

    if _is_model_class(type(layer)):
        if type(layer).__name__ == "Sequential" and layer.built:
            return {"input_shape": as_lists(layer.input_shape)}
        return {"input_shape": None} if layer.built else None
    if not layer.built or type(layer).build is Layer.build or layer.input_shape is None:
        return None
    return {"input_shape": as_lists(layer.input_shape)}


def _is_model_class(cls) -> bool:
    return any(issubclass(cls, model) for model in set(registry.model_classes().values()))


# ----- reading -----
def deserialize_layer(entry, custom_objects: dict | None = None, build: bool = False):
    """A new layer (or model) from one object in Keras 3's layout or in the old convlens one
    (``{"class_name", "config"}``).

    Args:
        entry: the object's dict.
        custom_objects: name -> class or function, for user objects not registered.
        build: build the layer for its ``build_config``'s input shape (a layer on its own;
            in a model, the graph builds it).

    Raises:
        ValueError: for a malformed entry, a class convlens does not know (listing those it
            does), or a Keras argument it cannot honour (naming the layer and the argument).
    """
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(
            f"A serialized layer must be a dict with a 'class_name' string and a 'config' dict, "
            f"received {entry!r}."
        )
    class_name = entry["class_name"]
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"Layer {class_name!r}: 'config' must be a dict, received {config!r}.")
    with registry.custom_object_scope(custom_objects):
        cls = registry.find_custom(class_name, entry.get("registered_name"))
        custom = cls is not None
        if not custom:
            cls = _builtin_layer_class(entry)
        if not _is_model_class(cls) or custom:
            config = config_from_keras(cls, config, strict=not custom)
        try:
            layer = cls.from_config(config)
        except TypeError as error:
            raise ValueError(
                f'Cannot build {class_name} "{config.get("name")}" from its config: {error}'
            ) from error
    input_shape = (entry.get("build_config") or {}).get("input_shape")
    if build and input_shape is not None and not layer.built:
        layer.ensure_built(_as_shape(input_shape))
    return layer


def _builtin_layer_class(entry: dict):
    class_name = entry["class_name"]
    classes = registry.layer_classes()
    cls = classes.get(class_name)
    if cls is None:
        known = ", ".join(sorted(classes))
        hint = ""
        if entry.get("registered_name") or entry.get("module") not in (None, "keras.layers"):
            hint = (
                " If it is a class of your own, register it with "
                "saving.register_keras_serializable() or pass it in custom_objects."
            )
        raise ValueError(f"Unknown layer class {class_name!r}; known classes: {known}.{hint}")
    return cls


def config_from_keras(cls, config: dict, strict: bool = True) -> dict:
    """The arguments for ``cls`` from a config in Keras's layout or in ours.

    Args:
        cls: the layer class the config is for.
        config: the ``"config"`` dict of the entry.
        strict: refuse arguments ``cls`` does not take (built-in layers). A user's class may
            read more in its own ``from_config``, so for it only Keras's own defaults go.

    Raises:
        ValueError: ``Conv2D "c": the Keras argument lora_rank=4 is not implemented by
            convlens ...`` for a Keras-only argument away from its default.
    """
    name = config.get("name")
    owner = f'{cls.__name__} "{name}"'
    result = dict(config)
    if "dtype" in result:
        result["dtype"] = registry.dtype_name(result["dtype"], owner)
    if "batch_shape" in result and "shape" not in result:
        batch_shape = result.pop("batch_shape")
        result["shape"], result["batch_size"] = list(batch_shape[1:]), batch_shape[0]
    if isinstance(result.get("activation"), dict):
        result["activation"] = _function_from_keras(result["activation"])
    for key, value in list(result.items()):
        if isinstance(value, dict) and any(key.endswith(e) for e, _, _ in NESTED_KINDS):
            result[key] = nested_from_keras(value, f"{owner}, argument {key}")
    accepted = accepted_arguments(cls)
    for key in [key for key in result if key not in accepted]:
        value = result[key]
        if key in KERAS_ONLY_DEFAULTS and value == KERAS_ONLY_DEFAULTS[key]:
            del result[key]
        elif strict:
            default = (
                f" (Keras's default {KERAS_ONLY_DEFAULTS[key]!r} is the only value it reads)"
                if key in KERAS_ONLY_DEFAULTS
                else ""
            )
            raise ValueError(
                f"{owner}: the Keras argument {key}={value!r} is not implemented by convlens"
                f"{default}; loading the layer without it would change its meaning."
            )
    return result


def _function_from_keras(value: dict):
    """An activation in Keras's function form: a built-in's name, or a registered function."""
    if value.get("class_name") != "function" or not isinstance(value.get("config"), str):
        return value
    function = registry.find_custom(value["config"], value.get("registered_name"))
    return function if function is not None else value["config"]


def nested_from_keras(value: dict, owner: str):
    """An initializer, regularizer or constraint: a user's object rebuilt by its class, a
    built-in's dict with Keras-only arguments at their defaults left out."""
    custom = registry.find_custom(value.get("class_name"), value.get("registered_name"))
    config = dict(value.get("config") or {})
    if custom is not None:
        return custom.from_config(config) if hasattr(custom, "from_config") else custom(**config)
    for key, default in NESTED_KERAS_ONLY_DEFAULTS.items():
        if key in config:
            if config[key] != default:
                raise ValueError(
                    f"{owner}: the Keras argument {key}={config[key]!r} of "
                    f"{value.get('class_name')} is not implemented by convlens."
                )
            del config[key]
    return {"class_name": value["class_name"], "config": config}


def accepted_arguments(cls) -> set[str]:
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up to Layer."""
    from .layers.layer import Layer

    names: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        if klass is Layer or not any(p.kind == p.VAR_KEYWORD for p in parameters):
            break
    return names - {"self"}


def _as_shape(value):
    if isinstance(value, list) and value and isinstance(value[0], list):
        return [tuple(item) for item in value]
    return tuple(value)


def deserialize_model(entry, custom_objects: dict | None = None):
    """A new model from a model file's or JSON's top-level object (Keras's layout or the old
    convlens one); only model classes are accepted.

    Raises:
        ValueError: ``Unknown model class 'Dense'; known classes: ...`` for anything else.
    """
    if isinstance(entry, dict):
        with registry.custom_object_scope(custom_objects):
            cls = registry.find_custom(entry.get("class_name"), entry.get("registered_name"))
        if cls is None:
            cls = registry.model_classes().get(entry.get("class_name"))
        if cls is not None and _is_model_class(cls):
            return deserialize_layer(entry, custom_objects)
    name = entry.get("class_name") if isinstance(entry, dict) else None
    raise ValueError(
        f"Unknown model class {name!r}; known classes: "
        f"{', '.join(sorted(registry.model_classes()))}."
    )
