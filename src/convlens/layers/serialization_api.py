"""``layers.serialize`` and ``layers.deserialize``: one layer in Keras 3's layout, and back."""

from __future__ import annotations

from ..keras_config import deserialize_layer, serialize_layer


def serialize(layer) -> dict:
    """``{"module", "class_name", "config", "registered_name", "build_config"}`` for ``layer``,
    as Keras 3's ``keras.layers.serialize`` writes it.

    Example:
        >>> from convlens import layers
        >>> serialize(layers.Dense(2, name="d"))["class_name"]
        'Dense'
    """
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """A new layer from :func:`serialize`'s dict (or Keras's), built for its ``build_config``
    input shape when it has one, so that ``set_weights`` works at once.

    Args:
        config: the layer's dict.
        custom_objects: name -> class or function, for user objects not registered.

    Raises:
        ValueError: for a class convlens does not know or a Keras argument it cannot honour.
    """
    return deserialize_layer(config, custom_objects, build=True)


__all__ = ["deserialize", "serialize"]
