"""The import graph: low pieces know nothing of high pieces (DESIGN.md, as Keras is laid out).

Imports are read from the source with ``ast``, those inside functions included: a lazy import
is still a dependency, and a circle hidden behind one is still a circle.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_files() -> dict[str, Path]:
    files = {}
    for path in sorted((SRC / "convlens").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


MODULES = _module_files()


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """The convlens modules that ``source`` (the text of ``module``) imports, anywhere in it.

    ``from .. import ops`` is an import of ``convlens.ops``; ``from ..layers.layer import Layer``
    one of ``convlens.layers.layer``.
    """
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + [base] * bool(base))
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return {name for name in found if name in MODULES}


GRAPH = {
    module: imports_in(path.read_text(), module, path.name == "__init__.py")
    for module, path in MODULES.items()
}


def reachable(module: str) -> set[str]:
    """Every module that ``module`` imports, directly or through others."""
    seen, todo = set(), [module]
    while todo:
        for name in GRAPH[todo.pop()] - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_imports_inside_functions_count():
    source = "def f():\n    from .models.serialization import layer_config\n"
    assert imports_in(source, "convlens.saving") == {"convlens.models.serialization"}
    assert imports_in("from .. import ops\n", "convlens.layers.conv") == {"convlens.ops"}


def test_the_symbolic_tensor_imports_no_layer():
    layers = {m for m in reachable("convlens.layers.symbolic") if m.startswith("convlens.layers")}
    assert layers == set(), f"layers/symbolic.py reaches {sorted(layers)}"


def test_saving_imports_nothing_from_models():
    models = {m for m in reachable("convlens.saving") if m.startswith("convlens.models")}
    assert models == set(), f"saving.py reaches {sorted(models)}; find classes by registry"


@pytest.mark.parametrize(
    "module",
    [m for m in MODULES if m.startswith(("convlens.layers", "convlens.models", "convlens.saving"))],
)
def test_no_layer_model_or_saving_module_is_in_an_import_circle(module):
    assert module not in reachable(module)


def _circles() -> list[set[str]]:
    """The strongly connected components of the import graph with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):  # Tarjan's algorithm; the graph has ~150 nodes, recursion is fine
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for name in GRAPH[module]:
            if name not in index:
                visit(name)
                low[module] = min(low[module], low[name])
            elif name in on_stack:
                low[module] = min(low[module], index[name])
        if low[module] == index[module]:
            component = set()
            while not component or module not in component:
                component.add(stack.pop())
            on_stack.difference_update(component)
            if len(component) > 1:
                found.append(component)

    for module in GRAPH:
        if module not in index:
            visit(module)
    return found


def test_the_only_import_circle_is_tensor_and_ops():
    """As in tinygrad, a Tensor's methods call ops and ops build Tensors; nothing else circles."""
    inherent = {"convlens.tensor", "convlens.ops"}
    for circle in _circles():
        outside = {m for m in circle if m not in inherent and not m.startswith("convlens.ops.")}
        assert not outside, f"an import circle through {sorted(circle)}"


def test_kernels_know_no_tensor_no_op_and_no_layer():
    """kernels/ takes and returns plain arrays: it reaches nothing above it."""
    above = ("convlens.tensor", "convlens.ops", "convlens.layers", "convlens.models")
    for module in (m for m in MODULES if m.startswith("convlens.kernels")):
        reached = {m for m in reachable(module) if m.startswith(above)}
        assert not reached, f"{module} reaches {sorted(reached)}"
