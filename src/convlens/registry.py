"""String -> object registries: one lookup, one error message, one JSON form for every kind.

Activations, initializers, regularizers, constraints, metrics, losses, optimizers and layers are
all found the same way: a name (``"glorot_uniform"``), a config dict
(``{"class_name": "GlorotUniform", "config": {"seed": 1}}``), an object, or a callable. An unknown
name raises a ``ValueError`` that lists the accepted names, as Keras's guidelines ask (say what
was expected and how to fix it). Serialized objects are plain JSON: no pickle, and loading a
config never imports or executes anything that is not in the registry.

Layer and model classes are registered here by layers/ and models/ when they are imported;
saving rebuilds a model through :func:`model_from_config` and so never imports models (as
Keras's ``saving/serialization_lib.py`` reaches classes through its registry).
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


def layer_config(layer) -> dict:
    """``{"class_name": ..., "config": layer.get_config()}``: how a file names a layer or model."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def layer_from_config(config: dict):
    """A new layer (or nested model) from :func:`layer_config`'s dict, with ``from_config``.

    Raises:
        ValueError: for a class convlens does not define (listing those it does); nothing that
            a file names is ever imported.
    """
    return _from_config(config, _LAYERS, "layer")


def model_from_config(config: dict):
    """A new Sequential or functional Model from :func:`layer_config`'s dict.

    Raises:
        ValueError: for any other class name (listing the model classes).
    """
    return _from_config(config, _MODELS, "model")


def _from_config(config, classes: dict, kind: str):
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in classes:
        raise ValueError(
            f"Unknown {kind} class {name!r}; known classes: {', '.join(sorted(classes))}."
        )
    return classes[name].from_config(dict(config.get("config", {})))


# ----- user objects: custom layers, functions, losses, by a registered name -----
# ``saving.register_keras_serializable`` and ``custom_object_scope`` fill these; a file names a
# user object only by the name it was registered under, and loading looks that name up here.
_CUSTOM_OBJECTS: dict[str, object] = {}
_SCOPES: list[dict] = []


def register_object(name: str, obj) -> None:
    """Make ``obj`` (a class or function) known by ``name`` (Keras's ``"package>Name"``)."""
    _CUSTOM_OBJECTS[name] = obj


def get_registered_name(obj) -> str | None:
    """The name ``obj`` was registered under, or None when it was not registered."""
    for name, registered in _CUSTOM_OBJECTS.items():
        if registered is obj:
            return name
    return None


def get_registered_object(name: str, custom_objects: dict | None = None):
    """The user object called ``name``: from ``custom_objects``, then the innermost
    ``custom_object_scope``, then the registrations; None when none knows it."""
    for table in [custom_objects or {}, *reversed(_SCOPES), _CUSTOM_OBJECTS]:
        if name in table:
            return table[name]
    return None
