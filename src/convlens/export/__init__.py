"""Export a model for other runtimes: ``model.export("model.onnx", format="onnx")``.

The ONNX graph is built with the ``onnx`` package (an optional extra:
``pip install 'convlens[onnx]'``), imported only when a model is exported.
"""

from __future__ import annotations

from ..arguments import check_path

FORMATS = ("onnx",)


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
    """Write ``model`` to ``filepath`` in ``format`` (Keras 3's ``Model.export``).

    Args:
        model: a built Sequential or functional model.
        filepath: where to write (written to a temporary file, then renamed).
        format: ``"onnx"``, the one format convlens exports (Keras's default,
            ``"tf_saved_model"``, needs TensorFlow).
        verbose: accepted for Keras compatibility; nothing is printed.
        input_signature: must be None: the model's own input shapes are exported, the batch
            axis dynamic.
        **kwargs: ``opset_version`` (an int, at least 19; 19 by default).

    Raises:
        ValueError: for another format, an input signature, an unknown keyword, or a layer
            that cannot be exported (named, with its class and the reason).
        ImportError: when ``onnx`` is not installed, saying how to install it.
    """
    filepath = check_path(filepath, "filepath", "export")
    if format not in FORMATS:
        raise ValueError(
            f"Unknown export format {format!r}: convlens exports {', '.join(map(repr, FORMATS))}."
        )
    if input_signature is not None:
        raise ValueError(
            "input_signature is not supported: the ONNX graph takes the model's own input "
            "shapes, with a dynamic batch axis; pass input_signature=None."
        )
    unknown = sorted(set(kwargs) - {"opset_version"})
    if unknown:
        raise ValueError(f"Unknown export arguments {unknown}; accepted: opset_version.")
    from ..saving import _write_atomically
    from .onnx_graph import build_onnx_model

    proto = build_onnx_model(model, kwargs.get("opset_version"))
    data = proto.SerializeToString()
    _write_atomically(filepath, lambda stream: stream.write(data))
