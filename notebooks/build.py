"""Write the lecture's notebooks (``notebooks/*.ipynb``) from their sources in ``sources/``.

Each source is a Python file in the "percent" format that Jupytext, VS Code and Spyder read:
``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines are comments.
The sources are what we review and edit; the ``.ipynb`` files are generated, outputs empty.

    python notebooks/build.py          # write every notebook
    python notebooks/build.py --check  # exit 1 if a notebook differs from its source
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


SHARED = SOURCES / "_shared.py"  # the cells every notebook starts with (setup, show)
_SHARED_MARK = "# %% shared: "


def _cells(text: str, shared: dict | None = None) -> list[tuple[str, list[str]]]:
    """The (kind, lines) of each cell of a percent-format source; a ``# %% shared: NAME``
    line stands for the cell NAME of :data:`SHARED`."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(_SHARED_MARK) and shared is not None:
            cells.append(("code", list(shared[line[len(_SHARED_MARK) :].strip()])))
            cells.append(("code", []))  # lines after the marker: a cell of their own
        elif line.startswith("# %%"):
            cells.append(("markdown" if "[markdown]" in line else "code", []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"text before the first '# %%' line: {line!r}")
    return [cell for cell in cells if cell[0] == "markdown" or any(l.strip() for l in cell[1])]


def _shared_cells() -> dict[str, list[str]]:
    """NAME -> lines of each ``# %% shared: NAME`` cell of :data:`SHARED`."""
    cells, name = {}, None
    for line in SHARED.read_text(encoding="utf-8").splitlines():
        if line.startswith(_SHARED_MARK):
            name = line[len(_SHARED_MARK) :].strip()
            cells[name] = []
        elif name is not None:
            cells[name].append(line)
    return cells


def _markdown(lines: list[str]) -> str:
    body = []
    for line in lines:
        if line and not line.startswith("#"):
            raise ValueError(f"a Markdown cell line must be a comment, received {line!r}")
        body.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(body).strip("\n")


def notebook(source: Path) -> nbformat.NotebookNode:
    """The notebook of one source file, outputs empty, with stable cell ids."""
    book = nbformat.v4.new_notebook(metadata=METADATA)
    cells = _cells(source.read_text(encoding="utf-8"), _shared_cells())
    for index, (kind, lines) in enumerate(cells):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(_markdown(lines))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines).strip("\n"))
        cell["id"] = f"{source.stem[:2]}-{index:02d}"
        book.cells.append(cell)
    return book


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for source in sorted(SOURCES.glob("[0-9]*.py")):
        target = HERE / f"{source.stem}.ipynb"
        text = nbformat.writes(notebook(source)) + "\n"
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            stale.append(target.name)
            if not args.check:
                target.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date (run python notebooks/build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    print(("wrote " if stale else "up to date: ") + (", ".join(stale) or "all notebooks"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
