"""String -> object registries: one lookup, one error message, one JSON form for every kind.

Activations, initializers, regularizers, constraints, metrics, losses, optimizers and layers are
all found the same way: a name (``"glorot_uniform"``), a config dict
(``{"class_name": "GlorotUniform", "config": {"seed": 1}}``), an object, or a callable. An unknown
name raises a ``ValueError`` that lists the accepted names, as Keras's guidelines ask (say what
was expected and how to fix it). Serialized objects are plain JSON: no pickle, and loading a
config never imports or executes anything that is not in the registry.

Layer and model classes are registered here by layers/ and models/ when they are imported;
saving rebuilds a model through ``keras_config.deserialize_model``, which finds them here, and
so never imports models (as Keras's ``saving/serialization_lib.py`` reaches classes through its
registry). User objects (``register_keras_serializable``, ``custom_object_scope``) and Keras
3's layout of a serialized object (``{"module", "class_name", "config", "registered_name"}``)
live here too.
"""

from __future__ import annotations

import difflib
import json
import re

_IGNORED_KEYS = ("module", "registered_name", "build_config", "compile_config")  # Keras 3 extras


def snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``"GlorotUniform"`` -> ``"glorot_uniform"``.

    Example:
        >>> snake_case("SparseTopKCategoricalAccuracy")
        'sparse_top_k_categorical_accuracy'
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def lookup(kind: str, name, table: dict, hidden: dict | None = None):
    """The entry of ``table`` (or of ``hidden``, accepted but not listed) called ``name``.

    Args:
        kind: what is looked up, for the message (``"activation"``, ``"initializer"``...).
        name: the name a user typed.
        table: the accepted names, listed in the error.
        hidden: more names that are accepted silently (Keras's class names, old aliases).

    Raises:
        ValueError: ``Unknown activation 'rellu'. Accepted names: elu, gelu, ...``, with a
            close match suggested when there is one.

    Example:
        >>> lookup("colour", "red", {"red": 1, "blue": 2})
        1
    """
    if isinstance(name, str):
        if name in table:
            return table[name]
        if hidden and name in hidden:
            return hidden[name]
    accepted = ", ".join(sorted(table))
    message = f"Unknown {kind} {name!r}. Accepted names: {accepted}."
    if isinstance(name, str):
        close = difflib.get_close_matches(name, list(table), n=1)
        if close:
            message += f" Did you mean {close[0]!r}?"
    raise ValueError(message)


def serialize(obj) -> dict:
    """``{"class_name": ..., "config": ...}``, a JSON-able description of ``obj``.

    Raises:
        ValueError: when ``obj`` has no ``get_config`` (a plain function, say) or its config
            holds something JSON cannot store.

    Example:
        >>> from convlens import initializers
        >>> serialize(initializers.RandomNormal(stddev=0.1, seed=3))
        {'class_name': 'RandomNormal', 'config': {'mean': 0.0, 'stddev': 0.1, 'seed': 3}}
    """
    get_config = getattr(obj, "get_config", None)
    if get_config is None:
        raise ValueError(
            f"Cannot serialize {obj!r}: it has no get_config(). Use a built-in name or an object "
            "whose class defines get_config() and from_config()."
        )
    result = {"class_name": type(obj).__name__, "config": get_config()}
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Cannot serialize {type(obj).__name__}: its config {result['config']!r} is not "
            f"JSON-able ({error})."
        ) from error
    return result


def deserialize(kind: str, config, classes: dict, hidden: dict | None = None):
    """Rebuild an object from :func:`serialize`'s dict, by class name, with ``from_config``.

    Only the classes in ``classes`` (and ``hidden``) can be built; nothing else is imported.

    Raises:
        ValueError: for a malformed dict, an unknown class name, or a config the class rejects.
    """
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            f"A serialized {kind} must be a dict with a 'class_name' string and a 'config' dict, "
            f"received {config!r}."
        )
    unexpected = set(config) - {"class_name", "config", *_IGNORED_KEYS}
    if unexpected:
        raise ValueError(
            f"Serialized {kind} {config['class_name']!r}: unexpected keys "
            f"{sorted(unexpected)}; expected 'class_name' and 'config'."
        )
    cls = lookup(kind, config["class_name"], classes, hidden)
    options = config.get("config") or {}
    if not isinstance(options, dict):
        raise ValueError(
            f"Serialized {kind} {config['class_name']!r}: 'config' must be a dict, "
            f"received {options!r}."
        )
    try:
        return cls.from_config(options) if hasattr(cls, "from_config") else cls(**options)
    except TypeError as error:
        raise ValueError(
            f"Cannot build {kind} {config['class_name']!r} from config {options!r}: {error}"
        ) from error


def get(kind: str, identifier, names: dict, classes: dict, base: type):
    """The common ``get``: None, a name, a config dict, an instance of ``base``, or a callable.

    Names map to classes built with their defaults; class names (``"GlorotUniform"``) are
    accepted too, as in Keras, but only the snake_case names are listed in errors.

    Raises:
        ValueError: for an unknown name, a malformed dict, or anything else it cannot use.
    """
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        return lookup(kind, identifier, names, classes)()
    if isinstance(identifier, dict):
        return deserialize(kind, identifier, classes, names)
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret {kind} identifier {identifier!r}: expected a name (one of "
        f"{', '.join(sorted(names))}), a config dict, a {base.__name__} or a callable."
    )


# ----- layers and models, by the class name a model file gives them -----
# layers/ and models/ register their classes when imported (``import convlens`` imports both), so
# saving rebuilds any of them without importing either: the dependency points one way only.
_LAYERS: dict[str, type] = {}
_MODELS: dict[str, type] = {}


def register_layers(classes: dict, models: bool = False) -> None:
    """Make ``classes`` (name -> class) loadable by name; ``models=True`` for the classes that
    may be a model file's top level (Sequential, the functional Model)."""
    _LAYERS.update(classes)
    if models:
        _MODELS.update(classes)


def layer_classes() -> dict:
    """The built-in layer (and model) classes by the name a file gives them (a copy)."""
    return dict(_LAYERS)


def model_classes() -> dict:
    """The classes that may be a model file's top level, by name (a copy)."""
    return dict(_MODELS)


# ----- user objects: custom layers, functions, losses, by a registered name -----
# ``saving.register_keras_serializable`` and ``custom_object_scope`` fill these; a file names a
# user object only by the name it was registered under, and loading looks that name up here.
_CUSTOM_OBJECTS: dict[str, object] = {}
_CUSTOM_NAMES: dict[int, str] = {}  # id(obj) -> name: classes and functions need not be hashable
_SCOPES: list[dict] = []


def register_object(name: str, obj) -> None:
    """Make ``obj`` (a class or function) known by ``name`` (Keras's ``"package>Name"``)."""
    _CUSTOM_OBJECTS[name] = obj
    _CUSTOM_NAMES[id(obj)] = name


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """A decorator registering a class or function under ``"package>name"``, as Keras does.

    Loading then finds the object by that name, without ``custom_objects``. ``name`` defaults
    to the object's ``__name__``.

    Raises:
        ValueError: for a class without ``get_config`` (it could not be saved), or a package
            name holding ``">"``.

    Example:
        >>> @register_keras_serializable(package="Doc")
        ... def doubled(x):
        ...     return 2 * x
        >>> get_registered_name(doubled), get_registered_object("Doc>doubled") is doubled
        ('Doc>doubled', True)
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"register_keras_serializable: package must be a string without '>', "
            f"received {package!r}."
        )

    def decorator(obj):
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register the class {obj.__name__}: it has no get_config() method, so "
                "it could not be saved. Define get_config() (and from_config() if needed)."
            )
        register_object(f"{package}>{name if name is not None else obj.__name__}", obj)
        return obj

    return decorator


def get_registered_name(obj) -> str | None:
    """The name ``obj`` was registered under, or None when it was not registered."""
    name = _CUSTOM_NAMES.get(id(obj))
    return name if name is not None and _CUSTOM_OBJECTS.get(name) is obj else None


def get_registered_object(name: str, custom_objects: dict | None = None):
    """The user object called ``name``: from the innermost ``custom_object_scope``, then the
    registrations, then ``custom_objects`` (Keras's order); None when none knows it."""
    if not isinstance(name, str):
        return None
    for table in [*reversed(_SCOPES), _CUSTOM_OBJECTS, custom_objects or {}]:
        if name in table:
            return table[name]
    return None


def get_custom_objects() -> dict:
    """The live dict of registered objects (Keras's ``get_custom_objects``): entries added to
    it are found by name when loading, as with :func:`register_keras_serializable`."""
    return _CUSTOM_OBJECTS


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}):`` makes the objects loadable by those
    names inside the block (nested scopes: the innermost wins), as Keras's scope.

    Args:
        custom_objects: dicts of name -> class or function (None entries are ignored).

    Raises:
        TypeError: for an argument that is not a dict.
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for table in custom_objects:
            if table is None:
                continue
            if not isinstance(table, dict):
                raise TypeError(
                    f"custom_object_scope expects dicts of name -> object, received "
                    f"{type(table).__name__}."
                )
            self.custom_objects.update(table)

    def __enter__(self):
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        for index in range(len(_SCOPES) - 1, -1, -1):  # by identity: equal scopes may nest
            if _SCOPES[index] is self.custom_objects:
                del _SCOPES[index]
                break
        return False


custom_object_scope = CustomObjectScope


def find_custom(class_name, registered_name=None, custom_objects: dict | None = None):
    """The user object a Keras-layout entry names: by its registered name, else by its class
    name (Keras's ``custom_objects={"MyLayer": MyLayer}``); None when it is not a user object.

    Example:
        >>> with custom_object_scope({"Doubled": int}):
        ...     find_custom("Doubled") is int
        True
    """
    for key in (registered_name, class_name):
        found = get_registered_object(key, custom_objects)
        if found is not None:
            return found
    return None


# ----- Keras 3's layout of a serialized object -----
# Every object in a Keras 3 config reads ``{"module", "class_name", "config", "registered_name"}``
# (keras/src/saving/serialization_lib.py). Built-ins carry their public module and
# ``registered_name: None``; user objects carry the name they were registered under.
DTYPE_POLICY = "DTypePolicy"


def keras_object(class_name: str, config, module: str | None, registered_name=None) -> dict:
    """One object in Keras 3's layout.

    Example:
        >>> keras_object("Zeros", {}, "keras.initializers")["module"]
        'keras.initializers'
    """
    return {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": registered_name,
    }


def dtype_policy(name: str) -> dict:
    """Keras 3's form of a layer's dtype: a ``DTypePolicy`` object, e.g. for ``"float32"``."""
    return keras_object(DTYPE_POLICY, {"name": name}, "keras")


def dtype_name(value, owner: str) -> str | None:
    """The dtype name in ``value``: a string, None, or a ``DTypePolicy`` dict.

    Raises:
        ValueError: naming ``owner`` for another policy (a mixed-precision one, say), which
            convlens does not implement, or a malformed value.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("class_name") == DTYPE_POLICY:
        name = (value.get("config") or {}).get("name")
        if isinstance(name, str):
            return name
    raise ValueError(
        f"{owner}: dtype must be a name such as 'float32' or a DTypePolicy config, received "
        f"{value!r}; convlens has no other dtype policies (mixed precision, quantization)."
    )


def serialize_function(function) -> dict:
    """Keras 3's form of a function (an activation, a loss): by its registered name when it
    has one, else by its ``__name__`` (a built-in's)."""
    name = get_registered_name(function) or function.__name__
    return keras_object("function", name, "builtins", "function")


def with_keras_layout(serialized, module: str, builtins: dict | None = None):
    """:func:`serialize`'s ``{"class_name", "config"}`` (or None) in Keras 3's layout.

    Args:
        serialized: the dict to convert; other values are returned unchanged.
        module: Keras's module of the kind (``"keras.initializers"``...).
        builtins: the kind's built-in classes by name; a class name not among them is looked
            up among the registered user objects, to write the name it was registered under.
    """
    if not isinstance(serialized, dict) or set(serialized) != {"class_name", "config"}:
        return serialized
    name = serialized["class_name"]
    if builtins is None or name in builtins:
        return keras_object(name, serialized["config"], module)
    for registered, obj in _CUSTOM_OBJECTS.items():
        if getattr(obj, "__name__", None) == name:
            return keras_object(
                name, serialized["config"], getattr(obj, "__module__", None), registered
            )
    return keras_object(name, serialized["config"], module)
