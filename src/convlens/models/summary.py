"""``model.summary()``: Keras's table of layers, output shapes and parameter counts, plus what
the lecture asks of every conv and pool layer: the padding it actually applies and the
receptive field of its outputs on the input image; with ``show_routes``, how each convolution
and pooling is computed (the routes of kernels/conv_plan.py).
"""

from __future__ import annotations

import sys

from ..kernels.geometry import resolve_padding
from ..layers.input_layer import InputLayer
from ..layers.layer import format_shape


def geometry(layer):
    """``(extent, stride, padding)`` pairs of a conv or pool layer, or None for other layers.

    ``extent`` is the dilated kernel ``D (F - 1) + 1``; ``padding`` is ((top, bottom),
    (left, right)) for the layer's built input shape.
    """
    size = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if size is None or layer.input_shape is None or len(size) != 2:
        return None
    strides = tuple(getattr(layer, "strides", None) or size)
    dilation = tuple(getattr(layer, "dilation_rate", (1, 1)))
    shape = layer.input_shape
    spatial = (
        shape[2:4]
        if getattr(layer, "data_format", "channels_last") == "channels_first"
        else shape[1:3]
    )
    padding = getattr(layer, "padding", "valid")
    if isinstance(padding, str) and padding.lower() == "same" and None in spatial:
        return None
    amounts = resolve_padding(padding, spatial, size, strides, dilation)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(size, dilation))
    return extent, strides, amounts


def receptive_fields(model) -> dict[int, tuple]:
    """For each layer (by id), the receptive field ``(RF_h, RF_w)`` of one output pixel.

    Propagated along the graph: RF_out = RF_in + (extent - 1)·jump_in, jump_out = jump_in·S,
    taking the largest over a layer's inputs.
    """
    state = {}  # id(KerasTensor) -> (rf, jump)
    fields = {}
    for node in getattr(model, "_nodes", []):  # a subclassed model has no graph
        if isinstance(node.layer, InputLayer):
            state[id(node.outputs[0])] = ((1, 1), (1, 1))
            continue
        known = [state[id(t)] for t in node.inputs if id(t) in state]
        if not known:
            continue
        rf = tuple(max(k[0][i] for k in known) for i in range(2))
        jump = tuple(max(k[1][i] for k in known) for i in range(2))
        shape = geometry(node.layer)
        if shape is not None:
            extent, strides, _ = shape
            rf = tuple(r + (e - 1) * j for r, e, j in zip(rf, extent, jump))
            jump = tuple(j * s for j, s in zip(jump, strides))
            fields[id(node.layer)] = rf
        state[id(node.outputs[0])] = (rf, jump)
    return fields


def _size(count: int, dtype_bytes: int = 4) -> str:
    size = count * dtype_bytes
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def route(layer, batch_size: int) -> str:
    """``forward / dX / dW`` of a conv layer's plan, the pool route of a pooling layer, else
    an empty string."""
    plan = None
    if hasattr(layer, "conv_plan"):
        plan = layer.conv_plan(batch_size)
    elif hasattr(layer, "pool_plan"):
        plan = layer.pool_plan(batch_size)
    return "" if plan is None else plan.short()


def _shape_text(shape) -> str:
    if shape is None:
        return "?"  # not known yet: the layer has not been built or called (Keras prints ?)
    if isinstance(shape, tuple):
        return format_shape(shape)
    return ", ".join(format_shape(s) for s in shape)


def _listed_layers(model, expand_nested: bool, depth: int = 0) -> list[tuple[int, object]]:
    """``(depth, layer)`` for each row: nested models' layers follow them when expanded."""
    rows = []
    for layer in model.layers:
        rows.append((depth, layer))
        if expand_nested and hasattr(layer, "layers") and layer is not model:
            rows.extend(_listed_layers(layer, True, depth + 1))
    return rows


def summary_lines(
    model, show_routes=False, expand_nested: bool = False, show_trainable: bool = False
) -> list[str]:
    """The summary as lines of text; ``show_routes`` (True: for a batch of 32, or a batch
    size) adds the route column, ``show_trainable`` a Y/N column, and ``expand_nested`` the
    layers of nested models (indented under them), as Keras's arguments."""
    batch = 32 if show_routes is True else show_routes
    fields = receptive_fields(model)
    rows = []
    for depth, layer in _listed_layers(model, expand_nested):
        shape_text = _shape_text(layer.output_shape)
        extra = ""
        shape = geometry(layer)
        if shape is not None:
            (top, bottom), (left, right) = shape[2]
            rf = fields.get(id(layer))
            extra = f"pad {top},{bottom},{left},{right}" + (f" · RF {rf[0]}x{rf[1]}" if rf else "")
        name = "  " * depth + f"{layer.name} ({type(layer).__name__})"
        row = (name, shape_text, f"{layer.count_params():,}", extra)
        if show_trainable:
            row += ("Y" if layer.trainable else "N",)
        rows.append((*row, route(layer, batch)) if batch else row)
    headers = ("Layer (type)", "Output Shape", "Param #", "Padding (t,b,l,r) · Receptive field")
    if show_trainable:
        headers += ("Trainable",)
    if batch:
        headers += ("Route (forward / dX / dW)",)
    widths = (
        [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        if rows
        else [len(h) for h in headers]
    )
    rule = "─" * (sum(widths) + 3 * (len(widths) - 1))

    def line(values):
        return " │ ".join(
            v.rjust(w) if i == 2 else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))
        ).rstrip()

    trainable = sum(w.size for w in model.trainable_weights)
    non_trainable = sum(w.size for w in model.non_trainable_weights)
    lines = [f'Model: "{model.name}"', rule, line(headers), rule]
    lines += [line(r) for r in rows]
    lines += [
        rule,
        f" Total params: {trainable + non_trainable:,} ({_size(trainable + non_trainable)})",
        f" Trainable params: {trainable:,} ({_size(trainable)})",
        f" Non-trainable params: {non_trainable:,} ({_size(non_trainable)})",
    ]
    if batch:
        lines.append(
            f" Routes for a batch of {batch}; layer.conv_plan({batch}).why says why "
            "(kernels/conv_plan.py)."
        )
    return lines


def print_summary(
    model, print_fn=None, show_routes=False, expand_nested=False, show_trainable=False
) -> None:
    """Write the summary through ``print_fn`` (one call per line), or to standard output."""
    for text in summary_lines(model, show_routes, expand_nested, show_trainable):
        if print_fn is not None:
            print_fn(text)
        else:
            sys.stdout.write(text + "\n")
