"""Outside Keras 3 programs (keras.io guides and examples, TensorFlow tutorials) run unchanged.

Each program in ``programs/`` runs in its own subprocess through ``harness.py``: under convlens it
must run to the end; under the real Keras 3 (JAX backend, a test-only oracle) the very same
text, imports rewritten, must run to the end too, which proves that the program is valid Keras 3
and not written to suit convlens. ``python tests/outside/harness.py --report`` prints the table
of library calls that work / calls tried for both libraries.
"""

from __future__ import annotations

import os
import shutil
import textwrap

import pytest

from keras_oracle import real_keras
from outside import harness

PROGRAMS = {path.stem: path for path in harness.programs()}
TIME_LIMIT_S = 600  # a whole program on two busy CPU cores; most need well under a minute

# Programs that do not yet run to the end under convlens, each with its first failure today.
# The Keras API they need is being built (issue 12); empty this list as features land: a program
# that starts to pass shows as XPASS.
EXPECTED_FAILURES: dict[str, str] = {}  # program -> why convlens cannot run it to the end yet

# Programs whose library call needs a program outside Python (Keras needs it too).
NEEDS_EXECUTABLE = {"plot_model": "dot"}


def skip_without_executables(name: str, monkeypatch, tmp_path) -> None:
    """Skip a program whose needed executable (Graphviz's ``dot``) is not installed; where only
    the pip package graphviz-pure is (CI), it stands in for ``dot`` on the program's PATH."""
    executable = NEEDS_EXECUTABLE.get(name)
    if not executable or shutil.which(executable) is not None:
        return
    stand_in = shutil.which("graphviz-pure") if executable == "dot" else None
    if stand_in is None:
        pytest.skip(f"{name} needs the {executable!r} executable (Graphviz), not installed here")
    (tmp_path / "bin").mkdir()
    # A script, not a symlink: a launcher that dispatches on its own name (pyenv's shims) would
    # look for a "dot" command. graphviz-pure has no PostScript, which Keras's check that dot
    # runs asks for (pydot's create() defaults to -Tps, and the output is discarded): SVG then.
    dot = tmp_path / "bin" / "dot"
    dot.write_text(
        "#!/bin/sh\n"
        'for arg; do shift; [ "$arg" = "-Tps" ] && arg="-Tsvg"; set -- "$@" "$arg"; done\n'
        f'exec "{stand_in}" "$@"\n'
    )
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")


def explain(result: dict) -> str:
    """The first failure and the end of the program's output, for an assertion message."""
    return f"first failure: {result['first_failure']}\n--- output ---\n{result['output'][-3000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_runs_under_convlens(name, request, monkeypatch, tmp_path):
    if name in EXPECTED_FAILURES:
        request.applymarker(pytest.mark.xfail(reason=EXPECTED_FAILURES[name], strict=True))
    skip_without_executables(name, monkeypatch, tmp_path)
    result = harness.run_program(PROGRAMS[name], "convlens", timeout=TIME_LIMIT_S)
    assert result["ran_to_end"], explain(result)
    assert result["worked"] == result["tried"], result["failed_calls"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_is_valid_keras_3(name, monkeypatch, tmp_path):
    real_keras()
    skip_without_executables(name, monkeypatch, tmp_path)
    result = harness.run_program(PROGRAMS[name], "keras", timeout=TIME_LIMIT_S)
    assert result["ran_to_end"], explain(result)
    assert result["worked"] == result["tried"] > 0, result["failed_calls"]


def test_every_expected_failure_names_a_program():
    assert set(EXPECTED_FAILURES) <= set(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_names_convlens_only_in_its_imports(name):
    source = PROGRAMS[name].read_text()
    assert source.startswith("# Adapted from: "), "the header says which program it follows"
    keras_source = harness.program_source(PROGRAMS[name], "keras")
    assert "import keras" in keras_source or "from keras import" in keras_source
    assert "convlens" not in "".join(
        line.split("#", 1)[0] for line in keras_source.splitlines(keepends=True)
    )


def test_rewrite_touches_import_lines_only(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("import convlens as keras\nfrom convlens import layers, ops\nx = 1\n")
    assert harness.program_source(program, "keras") == (
        "import keras as keras\nfrom keras import layers, ops\nx = 1\n"
    )
    program.write_text("import convlens as keras\nx = convlens.layers\n")
    with pytest.raises(ValueError, match=r"p.py:2: 'convlens' may appear only on import lines"):
        harness.program_source(program, "keras")


def write_toy_library(folder):
    """A package ``toylib`` with a function, a class and a function that always raises."""
    package = folder / "toylib"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            def double(x):
                return 2 * x

            def nothing():
                return None

            def broken(x):
                raise ValueError(f"broken({x}) always raises")

            class Box:
                def __new__(cls, *args):
                    return super().__new__(cls)

                def __init__(self, value):
                    self.value = value

                @property
                def twice(self):
                    return double(self.value)
            """
        )
    )


def test_counts_each_call_site_once_and_stops_at_the_first_failure(tmp_path):
    write_toy_library(tmp_path)
    program = tmp_path / "program.py"
    program.write_text(
        textwrap.dedent(
            """
            import toylib

            for i in range(5):
                toylib.double(i)          # one call site, run five times
            toylib.nothing()              # returns None: still a call that worked
            box = toylib.Box(3)           # __new__ and __init__: one instantiation
            assert box.twice == 6         # a property the library computes
            values = [toylib.double(v) for v in range(3)]  # inside a comprehension
            toylib.broken(1)              # raises: the program stops here
            toylib.double(7)              # never reached
            """
        )
    )
    result = harness.run_program(program, "toylib", timeout=120, extra_pythonpath=(tmp_path,))
    assert result["tried"] == 6
    assert result["worked"] == 5
    assert not result["ran_to_end"]
    assert result["first_failure"]["line"] == 10
    assert result["first_failure"]["error"] == "ValueError: broken(1) always raises"
    assert result["failed_calls"] == [
        {
            "line": 10,
            "source": "toylib.broken(1)              # raises: the program stops here",
            "callee": "toylib.broken",
        }
    ]
    assert [call["callee"] for call in result["calls"]][:3] == [
        "toylib.double",
        "toylib.nothing",
        "Box() [Box.__new__]",
    ]


def test_a_missing_name_counts_as_a_failed_call_and_keep_going_goes_on(tmp_path):
    write_toy_library(tmp_path)
    program = tmp_path / "program.py"
    program.write_text(
        "import toylib\n"
        "model = toylib.Sequential()\n"  # the library lacks it: fails in the program's frame
        "model.fit()\n"  # NameError under keep_going: a consequence, not counted
        "toylib.double(2)\n"
        "toylib.broken(3)\n"
    )
    stopped = harness.run_program(program, "toylib", timeout=120, extra_pythonpath=(tmp_path,))
    assert (stopped["worked"], stopped["tried"]) == (0, 1)
    assert stopped["first_failure"]["error"].startswith("AttributeError")
    going = harness.run_program(
        program, "toylib", timeout=120, keep_going=True, extra_pythonpath=(tmp_path,)
    )
    assert (going["worked"], going["tried"]) == (1, 3)
    assert [f["line"] for f in going["failures"]] == [2, 5]


def test_a_program_past_the_time_limit_is_reported(tmp_path):
    program = tmp_path / "slow.py"
    program.write_text("import time\ntime.sleep(30)\n")
    result = harness.run_program(program, "json", timeout=2)
    assert not result["ran_to_end"]
    assert result["first_failure"]["error"].startswith("TimeoutError")


def test_markdown_table_sums_both_libraries():
    def result(worked, tried, failure=None):
        return {
            "worked": worked,
            "tried": tried,
            "ran_to_end": failure is None,
            "first_failure": failure,
        }

    table = harness.markdown_table(
        {
            "convlens": {"a": result(1, 2, {"line": 3, "source": "x | y", "error": "E: m"})},
            "keras": {"a": result(5, 5)},
        }
    )
    assert "| a | 1 / 2 | no | 5 / 5 | yes | line 3: `x \\| y` → E: m |" in table
    assert "| **total** | 1 / 2 |  | 5 / 5 |" in table
