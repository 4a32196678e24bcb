"""Run an outside Keras 3 program under convlens or the real Keras; count its library calls.

The programs in ``programs/`` are well-known Keras 3 programs (keras.io guides and examples,
TensorFlow tutorials) adapted only in their imports, data size and offline data loading. Each is
written against convlens; the real Keras runs the very same text with the imports rewritten.

Import convention (checked by :func:`program_source`): the library is named ``convlens`` only on
import lines, i.e. lines that start with ``import convlens`` or ``from convlens``
(``import convlens as keras``, ``from convlens import layers, models``), and in comments. To run
a program under the real Keras the harness replaces the word ``convlens`` by ``keras`` on those
lines and nowhere else, which gives the original ``import keras`` / ``from keras import layers``.

What counts as one library call (:class:`CallCounter`): a Python function of the library's
package (its folder: ``src/convlens`` or ``site-packages/keras``) entered *directly* from a frame
of the program file: module level, the program's functions and methods, its comprehensions and
lambdas (so a custom layer's ``call`` that uses ``keras.ops`` counts too). A call site is the
calling instruction (code object and bytecode offset), and each is counted once per run however
often it executes (a loop, every batch). Class instantiation counts as one call at its site:
``__new__`` and ``__init__`` entered from one instruction are one call. Property getters and
operators the library implements in Python (``model.layers``, ``tensor * 2``) count as well;
attribute reads of plain data and calls that go straight into C (NumPy, JAX) do not. A call
*worked* when it returned on every execution; it *failed* when it raised, even once. An
exception raised in the program's own frame (an attribute the library lacks, an unpacking
of a wrong result) counts as one failed call at that program line, when no library call there
failed already.

A run stops at the first uncaught exception, as the user's script would (the default). With
``keep_going`` each top-level statement runs on its own and a failed one is reported and
skipped, so one run finds every missing feature, not only the first; a ``NameError`` for a name
whose statement failed earlier is a consequence, not a library call, and is not counted.

Offline data: ``CONVLENS_DATA`` and Keras's ``KERAS_HOME`` point at copies of the data sets
(``../shared/datasets`` beside the repository when it is there), and under the real Keras
``keras.datasets.mnist.load_data`` is replaced by a reader of the same IDX files (Keras's own
reader insists on downloading its ``mnist.npz``); it returns the same arrays and counts as a
library call. ``OUTSIDE_DATA`` names the folder holding ``cifar10-sample/``.

Usage::

    python tests/outside/harness.py --report               # the table, convlens and Keras
    python tests/outside/harness.py --report --keep-going  # every failure, not only the first
    python tests/outside/harness.py --library convlens --program mnist_convnet
"""

from __future__ import annotations

import argparse
import ast
import dis
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
REPO = HERE.parent.parent
SHARED_DATASETS = REPO.parent / "shared" / "datasets"
BUNDLED_DATASETS = REPO / "src" / "convlens" / "datasets" / "data"
LIBRARIES = ("convlens", "keras")
DEFAULT_TIMEOUT_S = 300

_IMPORT_LINE = re.compile(r"^\s*(import|from)\s+convlens\b")
_RETURN_OPCODES = {
    dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap
}
_RETURN_OPCODES |= {dis.opmap["YIELD_VALUE"]}


def programs() -> list[Path]:
    """The outside programs, sorted by name."""
    return sorted(p for p in PROGRAMS_DIR.glob("*.py") if not p.name.startswith("_"))


def program_source(path: Path, library: str) -> str:
    """The text of the program at ``path`` as it runs under ``library``.

    Raises:
        ValueError: when ``convlens`` appears outside an import line or a comment, so that the
            rewrite for Keras would not be the plain change of imports it claims to be.
    """
    lines = Path(path).read_text().splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        code = line.split("#", 1)[0]
        if "convlens" in code and not _IMPORT_LINE.match(line):
            raise ValueError(
                f"{path}:{number}: 'convlens' may appear only on import lines "
                f"('import convlens ...' / 'from convlens ...'); received: {line.strip()!r}"
            )
    if library in ("convlens", None):
        return "".join(lines)
    return "".join(
        re.sub(r"\bconvlens\b", library, line) if _IMPORT_LINE.match(line) else line
        for line in lines
    )


class CallCounter:
    """Counts the calls from one program file into one library folder (see the module doc)."""

    def __init__(self, program: str, library_dir: str, extra_codes=()):
        self.program = program
        self.library_dir = os.path.join(os.path.realpath(library_dir), "")
        self.extra_codes = set(extra_codes)
        self.calls: dict[tuple, dict] = {}  # call site -> {line, callee, failed}

    def is_library(self, code) -> bool:
        """Whether ``code`` belongs to the library (its folder, or a stand-in added by us)."""
        filename = code.co_filename
        return code in self.extra_codes or (
            filename.startswith(self.library_dir)
            or os.path.realpath(filename).startswith(self.library_dir)
        )

    def trace(self, frame, event, arg):
        """The global trace function: picks the library frames entered from the program."""
        if event != "call":
            return None
        caller = frame.f_back
        if caller is None or caller.f_code.co_filename != self.program:
            return None
        if not self.is_library(frame.f_code):
            return None
        site = (caller.f_code, caller.f_lasti)
        if site not in self.calls:
            self.calls[site] = {
                "line": caller.f_lineno,
                "callee": callee_name(frame),
                "failed": False,
            }
        record = self.calls[site]
        frame.f_trace_lines = False

        def local(frame, event, arg):
            if event == "return" and arg is None:
                opcode = frame.f_code.co_code[frame.f_lasti] if frame.f_lasti >= 0 else None
                if opcode not in _RETURN_OPCODES:  # left by an exception, not by return
                    record["failed"] = True
            return local

        return local

    def fail_at(self, tb) -> dict | None:
        """Mark as failed the program's innermost call site in traceback ``tb``, if none is."""
        site = None
        for frame, _ in traceback.walk_tb(tb):
            if frame.f_code.co_filename == self.program:
                site = (frame.f_code, frame.f_lasti, frame.f_lineno)
        if site is None:
            return None
        code, lasti, line = site
        record = self.calls.get((code, lasti))
        if record is None:
            record = {"line": line, "callee": "(program line)", "failed": True}
            self.calls[(code, lasti)] = record
        record["failed"] = True
        return record

    def summary(self) -> dict:
        """Calls tried and worked, and each call's line, source, callee and outcome."""
        lines = Path(self.program).read_text().splitlines()
        for record in self.calls.values():
            record["source"] = lines[record["line"] - 1].strip() if record["line"] else ""
        failed = [r for r in self.calls.values() if r["failed"]]
        return {
            "tried": len(self.calls),
            "worked": len(self.calls) - len(failed),
            "calls": sorted(
                (dict(r) for r in self.calls.values()), key=lambda r: (r["line"], r["callee"])
            ),
            "failed_calls": sorted(
                ({"line": r["line"], "source": r["source"], "callee": r["callee"]} for r in failed),
                key=lambda r: r["line"],
            ),
        }


def callee_name(frame) -> str:
    """A readable name for the library function that ``frame`` runs (the class for __init__)."""
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    if code.co_name in ("__init__", "__new__"):
        owner = frame.f_locals.get("cls") or type(frame.f_locals.get("self", None))
        if isinstance(owner, type):
            return f"{owner.__name__}() [{name}]"
    module = frame.f_globals.get("__name__", "?")
    return f"{module}.{name}"


# --- the child process: set the library up, run the program, write the result ---------------


def datasets_folder() -> Path:
    """The folder of offline data sets: ../shared/datasets when present, else the bundled one."""
    return SHARED_DATASETS if SHARED_DATASETS.is_dir() else BUNDLED_DATASETS


def read_idx(path: Path):
    """One gzipped IDX file as a NumPy array (the format of MNIST and Fashion-MNIST)."""
    import numpy as np

    data = gzip.decompress(Path(path).read_bytes())
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


def offline_mnist_loader(folder: Path):
    """A stand-in for ``keras.datasets.mnist.load_data`` that reads the IDX files in ``folder``."""

    def load_data(path="mnist.npz"):
        def pair(prefix):
            return (
                read_idx(folder / f"{prefix}-images-idx3-ubyte.gz"),
                read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz"),
            )

        return pair("train"), pair("t10k")

    return load_data


def prepare_environment(library: str, workdir: Path) -> None:
    """Environment variables of the child: offline data, Keras on JAX, quiet logs."""
    data = datasets_folder()
    os.environ["OUTSIDE_DATA"] = str(data)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["MPLBACKEND"] = "Agg"  # figures go to files, never to a window
    if library == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        keras_home = workdir / "keras_home"
        fashion = keras_home / "datasets" / "fashion-mnist"
        fashion.mkdir(parents=True)
        if (data / "fashion-mnist").is_dir():
            for item in (data / "fashion-mnist").iterdir():
                (fashion / item.name).symlink_to(item)
        (keras_home / "keras.json").write_text(
            json.dumps(
                {
                    "floatx": "float32",
                    "epsilon": 1e-07,
                    "backend": "jax",
                    "image_data_format": "channels_last",
                }
            )
        )
        os.environ["KERAS_HOME"] = str(keras_home)
    elif library == "convlens" and (data / "fashion-mnist").is_dir():
        os.environ["CONVLENS_DATA"] = str(data)


def load_library(library: str):
    """Import ``library``; returns (its folder, code objects of our stand-ins that count)."""
    module = __import__(library)
    extra = []
    if library == "keras":
        folder = datasets_folder() / "mnist"
        if not folder.is_dir():
            folder = BUNDLED_DATASETS / "mnist"
        loader = offline_mnist_loader(folder)
        import keras.datasets.mnist as public_mnist

        public_mnist.load_data = loader
        extra.append(loader.__code__)
    return os.path.dirname(module.__file__), extra


def run_child(path: Path, library: str, keep_going: bool) -> dict:
    """Run the program in this process under ``library`` and return its result."""
    path = Path(path).resolve()
    workdir = Path(tempfile.mkdtemp(prefix=f"outside-{path.stem}-"))
    prepare_environment(library, workdir)
    os.chdir(workdir)
    library_dir, extra = load_library(library)
    source = program_source(path, library)
    program = str(path)
    counter = CallCounter(program, library_dir, extra)
    tree = ast.parse(source, filename=program)
    units = [tree] if not keep_going else [ast.Module([node], []) for node in tree.body]
    namespace = {"__name__": "__main__", "__file__": program}
    failures, failed_statements = [], 0
    start = time.perf_counter()
    for unit in units:
        code = compile(unit, program, "exec")
        sys.settrace(counter.trace)
        try:
            exec(code, namespace)
        except BaseException as error:  # noqa: BLE001 - the user's script would stop here
            sys.settrace(None)
            failed_statements += 1
            if keep_going and isinstance(error, NameError):
                continue  # a name an earlier failed statement should have defined
            record = counter.fail_at(error.__traceback__)
            failure = describe_failure(error, record, program)
            if failure not in failures:  # a function that fails alike at each call: once
                failures.append(failure)
            if not keep_going:
                break
        finally:
            sys.settrace(None)
    result = counter.summary()
    result.update(
        program=path.stem,
        library=library,
        ran_to_end=failed_statements == 0,
        first_failure=failures[0] if failures else None,
        failures=failures,
        seconds=round(time.perf_counter() - start, 2),
    )
    return result


def describe_failure(error: BaseException, record, program: str) -> dict:
    """The program line, the call and the exception of one failure."""
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == program:
            line = lineno
    text = ""
    if line is not None:
        text = Path(program).read_text().splitlines()[line - 1].strip()
    message = str(error).strip().splitlines()
    return {
        "line": line,
        "source": text,
        "callee": record["callee"] if record else None,
        "error": f"{type(error).__name__}: {message[0] if message else ''}"[:300],
    }


# --- the parent: one subprocess per program and library --------------------------------------


def run_program(
    path: Path,
    library: str,
    timeout: float = DEFAULT_TIMEOUT_S,
    keep_going: bool = False,
    extra_pythonpath: tuple = (),
) -> dict:
    """Run the program at ``path`` under ``library`` in a fresh Python process.

    Returns:
        The result dict: ``tried``, ``worked``, ``failed_calls``, ``ran_to_end``,
        ``first_failure``, ``failures``, ``seconds``, and ``output`` (the end of what the
        program printed). A run past ``timeout`` seconds has ``ran_to_end`` False and says so.
    """
    path = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="outside-result-") as tmp:
        out = Path(tmp) / "result.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(path),
            "--library",
            library,
            "--result",
            str(out),
        ]
        if keep_going:
            command.append("--keep-going")
        env = dict(os.environ)
        paths = [str(REPO / "src"), *map(str, extra_pythonpath)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            output = (
                (expired.stdout or b"").decode(errors="replace")
                if isinstance(expired.stdout, bytes)
                else (expired.stdout or "")
            )
            return timed_out(path, library, timeout, output)
        if not out.exists():
            return crashed(path, library, output)
        result = json.loads(out.read_text())
    result["output"] = output[-4000:]
    return result


def timed_out(path: Path, library: str, timeout: float, output: str) -> dict:
    """The result of a program stopped at the time limit (its calls are unknown)."""
    failure = {
        "line": None,
        "source": "",
        "callee": None,
        "error": f"TimeoutError: still running after {timeout} s",
    }
    return {
        "program": path.stem,
        "library": library,
        "tried": 0,
        "worked": 0,
        "failed_calls": [],
        "ran_to_end": False,
        "first_failure": failure,
        "failures": [failure],
        "seconds": timeout,
        "output": output[-4000:],
    }


def crashed(path: Path, library: str, output: str) -> dict:
    """The result of a child that died without writing one (a crash of the interpreter)."""
    lines = output.strip().splitlines()
    failure = {
        "line": None,
        "source": "",
        "callee": None,
        "error": f"crash: {lines[-1] if lines else 'no output'}"[:300],
    }
    return {
        "program": path.stem,
        "library": library,
        "tried": 0,
        "worked": 0,
        "failed_calls": [],
        "ran_to_end": False,
        "first_failure": failure,
        "failures": [failure],
        "seconds": None,
        "output": output[-4000:],
    }


def markdown_table(results: dict) -> str:
    """The table: per program, calls worked/tried under each library and convlens's failure."""
    header = (
        "| program | convlens worked / tried | ran to end | Keras 3 worked / tried "
        "| ran to end | first convlens failure |"
    )
    rows = [header, "|" + " --- |" * 6]
    totals = {lib: [0, 0] for lib in LIBRARIES}
    for name in sorted({n for per in results.values() for n in per}):
        cells = [name]
        for library in LIBRARIES:
            result = results.get(library, {}).get(name)
            if result is None:
                cells += ["-", "-"]
                continue
            totals[library][0] += result["worked"]
            totals[library][1] += result["tried"]
            cells += [
                f"{result['worked']} / {result['tried']}",
                "yes" if result["ran_to_end"] else "no",
            ]
        first = results.get("convlens", {}).get(name, {}).get("first_failure")
        cells.append(format_failure(first) if first else "")
        rows.append("| " + " | ".join(cells) + " |")
    cells = [f"{totals[lib][0]} / {totals[lib][1]} | " for lib in LIBRARIES]
    rows.append("| **total** | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def format_failure(failure: dict) -> str:
    """One failure as a table cell: line, source and exception, pipes escaped."""
    text = f"line {failure['line']}: `{failure['source']}` → {failure['error']}"
    return text.replace("|", "\\|")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", action="store_true", help="run every program, print table")
    parser.add_argument("--library", action="append", help=f"one of {LIBRARIES} (default: both)")
    parser.add_argument("--program", action="append", help="program name (default: all)")
    parser.add_argument("--keep-going", action="store_true")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--json", help="also write every result to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        library = (args.library or ["convlens"])[0]
        result = run_child(Path(args.child), library, args.keep_going)
        Path(args.result).write_text(json.dumps(result))
        return 0
    libraries = args.library or list(LIBRARIES)
    unknown = set(libraries) - set(LIBRARIES)
    if unknown:
        parser.error(f"--library must be one of {LIBRARIES}; received {sorted(unknown)}")
    chosen = [p for p in programs() if not args.program or p.stem in args.program]
    results = {library: {} for library in libraries}
    for path in chosen:
        for library in libraries:
            result = run_program(path, library, args.timeout, args.keep_going)
            results[library][path.stem] = result
            print(
                f"{path.stem:32s} {library:9s} {result['worked']:4d} / {result['tried']:4d} "
                f"{'ran to end' if result['ran_to_end'] else 'stopped'} "
                f"({result['seconds']} s)",
                file=sys.stderr,
            )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
