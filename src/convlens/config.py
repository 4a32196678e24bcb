"""Global settings with Keras 3's names: ``floatx``, ``epsilon``, ``image_data_format``.

Keras keeps these in ``keras.config``; programs call ``keras.config.set_floatx("float64")`` or
read ``keras.config.epsilon()`` in custom losses. The defaults are Keras's: float32, 1e-7 and
channels-last. This module imports nothing of the package, so every layer may read it.

Example:
    >>> from convlens import config
    >>> config.floatx(), config.epsilon(), config.image_data_format()
    ('float32', 1e-07, 'channels_last')
"""

from __future__ import annotations

import numpy

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx() -> str:
    """The default float dtype of weights, inputs and outputs: ``"float32"`` unless set."""
    return _settings["floatx"]


def set_floatx(value: str) -> None:
    """Set the default float dtype (``"float32"``, ``"float64"``, ``"float16"``).

    Raises:
        ValueError: for any other name.
    """
    name = str(value)
    if name not in _FLOAT_TYPES or name == "bfloat16":
        raise ValueError(
            f"set_floatx: expected one of 'float16', 'float32', 'float64', received {value!r}."
        )
    _settings["floatx"] = numpy.dtype(name).name


def epsilon() -> float:
    """The fuzz factor that keeps divisions and logarithms finite (1e-7, as Keras)."""
    return _settings["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor.

    Raises:
        ValueError: when ``value`` is not a positive number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"set_epsilon: expected a positive number, received {value!r}.")
    _settings["epsilon"] = float(value)


def image_data_format() -> str:
    """Where image channels are by default: ``"channels_last"`` (NHWC) unless set."""
    return _settings["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    """The default ``data_format`` of layers created afterwards.

    Raises:
        ValueError: for anything but ``"channels_last"`` or ``"channels_first"``.
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "set_image_data_format: expected 'channels_last' or 'channels_first', received "
            f"{data_format!r}."
        )
    _settings["image_data_format"] = data_format


def backend() -> str:
    """The name of the engine, as ``keras.config.backend()`` names Keras's (``"convlens"``)."""
    return "convlens"
