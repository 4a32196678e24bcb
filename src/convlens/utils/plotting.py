"""``plot_model`` and ``model_to_dot``: a picture of a model's graph, through pydot and Graphviz
as Keras 3 draws it.

Each layer is a box with its class and name (and, on request, its input and output shapes,
dtype, activation and trainable flag); arrows follow the graph's nodes (``model._nodes``: each
node's layer and the nodes of its input tensors); a Sequential model is its chain.
``expand_nested=True`` draws a nested model's layers inside a box of their own.

pydot is imported only here (``pip install pydot``). The layout is done by Graphviz's ``dot``
program; where it is absent, ``graphviz-pure`` (``pip install graphviz-pure``, a
self-contained ``dot`` installed as the ``graphviz-pure`` command) is used instead.
"""

from __future__ import annotations

import html
import os
import shutil

from ..layers.symbolic import format_shape

GRAPHVIZ_PROGRAMS = ("dot", "graphviz-pure")
INSTALL_HINT = (
    "install Graphviz (apt-get install graphviz, brew install graphviz, or "
    "https://graphviz.org/download/) or the pure one: pip install graphviz-pure"
)


def _pydot():
    try:
        import pydot
    except ImportError as error:
        raise ImportError(
            "plot_model and model_to_dot need pydot: pip install pydot (and Graphviz)."
        ) from error
    return pydot


def graphviz_program() -> str:
    """The path of a Graphviz layout program: ``dot``, else ``graphviz-pure``.

    Raises:
        ImportError: naming Graphviz and how to install it, when neither is on the PATH.
    """
    for name in GRAPHVIZ_PROGRAMS:
        path = shutil.which(name)
        if path:
            return path
    raise ImportError(f"plot_model needs Graphviz's 'dot' program (not on PATH): {INSTALL_HINT}.")


def _shape_text(shapes) -> str:
    shapes = [format_shape(s) for s in shapes]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _activation_name(layer):
    activation = getattr(layer, "activation", None)
    if activation is None or isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", type(activation).__name__)


def _label(layer, node, options) -> str:
    """An HTML-like Graphviz label: a table with the layer's title row and detail rows."""
    title = f"<b>{html.escape(type(layer).__name__)}</b>"
    if options["show_layer_names"]:  # Keras's title: the name in bold, then the class
        title = f"<b>{html.escape(layer.name)}</b> ({html.escape(type(layer).__name__)})"
    rows = [title]
    if options["show_layer_activations"] and _activation_name(layer):
        rows.append(f"Activation: {html.escape(_activation_name(layer))}")
    if options["show_trainable"]:
        rows.append(f"Trainable: {'True' if layer.trainable else 'False'}")
    if options["show_shapes"] and node is not None:
        if node.inputs:
            rows.append(f"Input shape: {_shape_text([t.shape for t in node.inputs])}")
        rows.append(f"Output shape: {_shape_text([t.shape for t in node.outputs])}")
    if options["show_dtype"] and node is not None:
        dtypes = sorted({str(t.dtype) for t in node.outputs})
        rows.append(f"Output dtype: {html.escape(', '.join(dtypes))}")
    cells = "".join(f'<tr><td align="center">{row}</td></tr>' for row in rows)
    return f'<<table border="0" cellborder="0" cellpadding="3">{cells}</table>>'


def _graph_nodes(model):
    """The model's graph nodes, inputs first; an unbuilt Sequential gives its layers alone."""
    nodes = list(getattr(model, "_nodes", None) or [])
    return nodes


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    **kwargs,
):
    """The model's graph as a ``pydot.Dot`` (Keras 3's ``utils.model_to_dot``).

    Args:
        model: a built Sequential or functional model (a subclassed one is one box).
        show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable:
            what each box shows.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: draw nested models' layers inside a cluster.
        dpi: the resolution of the rendered image.
        subgraph: return a ``pydot.Cluster`` (used for nested models).

    Raises:
        ValueError: for a model that is not built, or an unknown ``rankdir``.
        ImportError: when pydot is not installed.
    """
    pydot = _pydot()
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB' or 'LR', received {rankdir!r}.")
    if not getattr(model, "built", False):
        raise ValueError(
            f"model_to_dot: model {model.name!r} is not built yet; call it on data or build it "
            "with an input shape first."
        )
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
        "expand_nested": expand_nested,
    }
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        dot = pydot.Dot(graph_type="digraph")
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="box", style="rounded", fontname="Helvetica")
    nodes = _graph_nodes(model)
    if not nodes:  # a subclassed model has no graph to draw: one box, as Keras
        dot.add_node(pydot.Node(str(id(model)), label=_label(model, None, options)))
        return dot
    _add_graph(dot, pydot, nodes, options, prefix="")
    return dot


def _add_graph(dot, pydot, nodes, options, prefix):
    """Boxes and arrows for ``nodes`` into ``dot``; returns {id(node): (entry ids, exit id)}."""
    ends = {}
    for node in nodes:
        layer = node.layer
        inner = list(getattr(layer, "_nodes", None) or []) if _is_model(layer) else []
        if options["expand_nested"] and inner:
            cluster = pydot.Cluster(
                prefix + str(id(node)), style="dashed", label=html.escape(layer.name)
            )
            inner_ends = _add_graph(cluster, pydot, inner, options, prefix + str(id(node)) + "_")
            dot.add_subgraph(cluster)
            entries = [inner_ends[id(t.node)][1] for t in layer.inputs]
            exit_id = inner_ends[id(layer.outputs[0].node)][1]
            ends[id(node)] = (entries, exit_id)
        else:
            box = prefix + str(id(node))
            dot.add_node(pydot.Node(box, label=_label(layer, node, options)))
            ends[id(node)] = ([box] * max(1, len(node.inputs)), box)
        for position, tensor in enumerate(node.inputs):
            source = ends.get(id(tensor.node))
            if source is not None:
                target = ends[id(node)][0][min(position, len(ends[id(node)][0]) - 1)]
                dot.add_edge(pydot.Edge(source[1], target))
    return ends


def _is_model(layer) -> bool:
    return hasattr(layer, "_nodes") and hasattr(layer, "layers")


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    **kwargs,
):
    """Draw the model's graph into an image file (Keras 3's ``utils.plot_model``).

    The format follows the file's suffix (``.png``, ``.svg``, ``.pdf``, ``.dot`` ...).

    Returns:
        An ``IPython.display.Image`` of a PNG when IPython is installed, else None (as Keras).

    Raises:
        ImportError: when pydot or Graphviz's ``dot`` program is missing, saying how to
            install them.
        ValueError: for a model that is not built.
    """
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension == "dot":
        dot.write(to_file, format="raw")
        return None
    program = graphviz_program()
    dot.write(to_file, prog=program, format=extension)
    if extension == "png":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
