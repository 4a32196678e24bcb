"""Fuzzing the ``convlens`` command (issue 15): every typed option given hostile values (negative,
zero, huge, NaN, inf, non-numbers, empty, unicode; and hypothesis's text), and the commands run
on corrupt model files (tests/hostile_mutations.py), corrupt or special image files
(tests/image_mutations.py) and hostile values that pass the parser.

Every run must end in one of two ways: success (exit 0), or exit code 2 with exactly one line
on stderr, ``convlens <command>: error: ...``, and no traceback. Most cases call ``main([...])``
in this process (the imports are paid once); a handful run ``python -m convlens`` as a user does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import signal

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli_helpers import convlens, run_main
from convlens.cli import build_parser, types

PIL = pytest.importorskip("PIL.Image")

HOSTILE = [
    "-1", "0", "1", "-0", "+5", "1.5", "1e309", "-1e309", "nan", "NaN", "inf", "-inf", "",
    " ", "abc", "0x10", "1_000", "99999999999999999999999", "1e-320", "\u0661\u0662", "é",
    "\x00", "10**9", "1,5", "--", "2147483648", "-2147483649", "4294967296", "1e18",
]  # fmt: skip
BASE = {  # the least each command needs besides the option fuzzed
    "train": [],
    "evaluate": [],
    "predict": ["x.png"],
    "summary": [],
    "show": ["filters", "-o", "o.png"],
    "sample": ["mnist", "-o", "o.png"],
    "filter": ["--kernel", "sharpen", "-o", "o.png"],
    "explain": ["conv", "--image", "1 2; 3 4"],
    "demo": ["xo"],
    "tune": [],
}
RUN_ALSO = [  # typed values that pass the parser, run: they must not run for ever
    ["show", "optimizers", "-o", "o.png", "--steps", "1000"],
    ["demo", "xo", "--no-training", "--seed", "99999999999999999999"],
]


def typed_options() -> list[tuple[str, str, argparse.Action]]:
    """(command, option, action) for every option with a type or choices."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if action.option_strings and (action.type is not None or action.choices):
                found.append((name, action.option_strings[-1], action))
    return found


def _accepted(action, value) -> bool:
    """Whether a parsed value keeps the option's documented promise."""
    if action.choices is not None:
        return value in action.choices
    kind = getattr(action.type, "__name__", "")
    if kind.startswith("integer >= "):
        return isinstance(value, int) and value >= int(kind.split()[-1])
    if kind.startswith("integer from "):
        low, high = int(kind.split()[2]), int(kind.split()[4])
        return isinstance(value, int) and low <= value <= high
    if action.type is types.positive_float:
        return isinstance(value, float) and math.isfinite(value) and value > 0
    if action.type is types.fraction:
        return isinstance(value, float) and 0 <= value < 1
    if action.type is types.padding:
        return value in ("valid", "same") or (isinstance(value, int) and value >= 0)
    return action.type is int and isinstance(value, int)


def judge_parse(command, option, action, value) -> str:
    argv = [command, *BASE[command], f"{option}={value}"]
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        err = stderr.getvalue()
        assert exit_.code == 2, (argv, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        assert option in err and f"convlens {command}: error:" in err, (argv, err)
        return "refused"
    parsed = getattr(args, action.dest)
    assert _accepted(action, parsed), f"{argv}: parsed as {parsed!r}"
    return "accepted"


def test_every_typed_option_refuses_hostile_values_in_one_line():
    outcomes = [
        judge_parse(command, option, action, value)
        for command, option, action in typed_options()
        for value in HOSTILE
    ]
    assert len(outcomes) > 500 and outcomes.count("refused") > 400


@given(value=st.text(max_size=12))
def test_typed_options_refuse_or_keep_their_promise_for_any_text(value):
    for command, option, action in typed_options():
        judge_parse(command, option, action, value)


# ----- the commands run on hostile files and values -----
class Stop(Exception):
    """A command that ran past its time limit."""


def judge_run(capsys, args, named=None, seconds=60) -> str:
    """'ok' or 'error' (exit 2, one line naming ``named`` when given); AssertionError for a
    traceback, an escaped exception, another exit code, several lines, a message naming a
    temporary file, or a command running past ``seconds``."""

    def timeout(*_):
        raise Stop(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(seconds)
    try:
        code, _, err = run_main(capsys, *args)
    except Exception as error:  # noqa: BLE001 - the failure this test exists to find
        capsys.readouterr()
        raise AssertionError(f"{args}: {type(error).__name__} escaped: {error}") from error
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    errors = [line for line in err.splitlines() if ": warning: " not in line]
    if code == 0:
        assert not errors, f"{args}: exit 0 but {err}"
        return "ok"
    assert code == 2, f"{args}: exit {code}: {err}"
    assert len(errors) == 1 and "Traceback" not in err, f"{args}: {err}"
    assert errors[0].startswith(f"convlens {args[0]}: error: "), f"{args}: {err}"
    assert ".part'" not in err, f"{args}: names a temporary file, not the user's: {err}"
    assert named is None or named in err, f"{args}: does not name {named}: {err}"
    return "error"


def make_files(folder, repeat: int, seed: int) -> dict:
    """A LeNet-5 model file and ``repeat`` corrupt copies per mutation; a digit photo and
    ``repeat`` corrupt photos per mutation; a folder, /dev/zero, a pipe and a missing file."""
    import convlens as cl
    from hostile_mutations import MUTATIONS
    from image_mutations import MUTATIONS as IMAGE_MUTATIONS
    from image_mutations import originals

    cl.utils.set_random_seed(0)
    model = folder / "lenet.keras"
    cl.applications.lenet5().save(model)
    rng = numpy.random.default_rng(seed)
    models = []
    for i, mutation in enumerate(MUTATIONS["keras"] * repeat):
        path = folder / f"model{i}-{mutation.__name__}.keras"
        path.write_bytes(mutation(rng, model.read_bytes(), "keras"))
        models.append(str(path))
    photo = folder / "digit.png"
    PIL.fromarray((numpy.arange(28 * 28) % 256).astype("uint8").reshape(28, 28)).save(photo)
    photos = []
    sources = originals()
    for i, name in enumerate(sorted(IMAGE_MUTATIONS) * repeat):
        source = sorted(sources)[i % len(sources)]
        path = folder / f"photo{i}-{name}{os.path.splitext(source)[1]}"
        path.write_bytes(IMAGE_MUTATIONS[name][0](sources[source], rng))
        photos.append(str(path))
    (folder / "a-folder.png").mkdir()
    (folder / "zero.png").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.png")
    photos += [str(folder / n) for n in ("a-folder.png", "zero.png", "pipe.png", "none.png")]
    return {"folder": folder, "model": str(model), "photo": str(photo), "models": models,
            "photos": photos}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return make_files(tmp_path_factory.mktemp("cli"), repeat=1, seed=15)


def _cases(files, out, thorough=False) -> list[tuple[list, str | None]]:
    """(arguments, the path an error must name or None); ``thorough`` adds the slower runs
    (a second or more each: pictures drawn, Optuna started)."""
    model, photo = files["model"], files["photo"]
    cases = []
    for bad in files["models"]:
        cases += [(["summary", bad], bad), (["predict", photo, "--model", bad], bad)]
        cases += [(["show", "filters", bad, "-o", out], bad)]
    for image in files["photos"]:
        cases += [(["predict", image, "--model", model], image)]
        cases += [(["filter", image, "--kernel", "sharpen", "-o", out], image)]
        cases += [(["show", "features", model, image, "-o", out], None)]
    for value in ["3", "100000", "1000000000", "2147483648", "99999999999999999999"]:
        cases += [
            (["explain", "conv", "--image", "1 2; 3 4", "--kernel", "1", "--padding", value], None),
            (["explain", "conv", "--image", "1 2; 3 4", "--kernel", "1", "--stride", value], None),
            (["explain", "conv", "--image", "1 2; 3", "--kernel", "1", "--dilation", value], None),
            (["explain", "pool", "--image", "1 2; 3 4", "--pool-size", value], None),
            (["summary", model, "--routes", value], None),
            (["sample", "mnist", "--index", value, "-o", out], None),
        ]
        for mode in ["zeros", "replicate", "reflect", "circular"]:
            padding = ["--padding", value, "--padding-mode", mode]
            cases += [(["filter", "--kernel", "sharpen", "-o", out, *padding], None)]
    for matrix in ["nan", "1e309", "1 2; 3", "", ";", "1e308 1e308; 1e308 1e308", "é", "0x1"]:
        # 1e308 weights: a finite kernel whose response overflows (it was drawn as noise)
        cases += [(["explain", "conv", "--image", matrix, "--kernel", "1"], None)]
        cases += [(["explain", "conv", "--image", "1 2; 3 4", "--kernel", matrix], None)]
        cases += [(["filter", "--kernel", matrix, "-o", out], None)]
    for target in ["", ".", "noext", "x.xyz", str(files["folder"]), "é/ü.png"]:
        cases += [(["filter", "--kernel", "sharpen", "-o", target], None)]
        cases += [(["show", "filters", model, "-o", target], None)]
        explain = ["explain", "conv", "--image", "1 2; 3 4", "--kernel", "1", "-o", target]
        cases += [(explain, None)] if thorough else []
    for target in ["", str(files["folder"])]:
        cases += [(["sample", "mnist", "-o", target], None)]
    for layer in ["", "dense", "nope", "\u0000"]:
        cases += [(["show", "filters", model, "--layer", layer, "-o", out], None)]
    for bad in files["models"][:4]:
        cases += [(["evaluate", bad], bad)]
    storages = ["postgresql://u@127.0.0.1:9/x"] + (["", "nonsense"] if thorough else [])
    for storage in storages:
        cases += [(["tune", "--storage", storage, "--trials", "1", "--limit", "10"], None)]
    cases += [(["tune", "--summary", str(files["folder"] / "none")], None)]
    cases += [(["tune", "--summary", model], None)]
    return cases + ([(args, None) for args in RUN_ALSO] if thorough else [])


def _training_cases(files) -> list[tuple[list, str | None]]:
    """Runs of train with hostile values that pass the parser (a few seconds each)."""
    quick = ["train", "--limit", "50", "--epochs", "1", "--verbose", "0"]
    return [
        ([*quick, "--output-dir", files["model"]], files["model"]),
        ([*quick, "--runs-dir", files["model"]], None),
        ([*quick, "--batch-size", "1000000000", "--learning-rate", "1e300"], None),
        ([*quick, "--validation-split", "0.99"], None),
        ([*quick, "--seed", "99999999999999999999999"], None),
    ]


def run_cases(files, capsys, folder, thorough=False) -> list[str]:
    os.chdir(folder)
    outcomes, failures = [], []
    cases = _cases(files, str(folder / "out.png"), thorough)
    cases += _training_cases(files) if thorough else []
    for args, named in cases:
        try:
            outcomes.append(judge_run(capsys, args, named))
        except AssertionError as failure:
            failures.append(str(failure).splitlines()[0][:400])
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} of {len(cases)})"
    return outcomes


def test_commands_on_hostile_files_and_values_end_in_one_line(files, capsys, tmp_path):
    outcomes = run_cases(files, capsys, tmp_path)
    assert len(outcomes) > 120 and outcomes.count("error") > len(outcomes) // 2


@pytest.mark.slow
def test_many_more_commands_on_hostile_files_end_in_one_line(capsys, tmp_path):
    (tmp_path / "files").mkdir()
    files = make_files(tmp_path / "files", repeat=8, seed=1515)
    assert len(run_cases(files, capsys, tmp_path, thorough=True)) > 500


def test_a_user_sees_one_line_from_the_real_command(files, tmp_path):
    """A few of the cases above as a user runs them: a process, its stderr, its exit code."""
    bomb = tmp_path / "bomb.png"
    data = bytearray(open(files["photo"], "rb").read())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # the CRC now fails: refused before decoding
    bomb.write_bytes(bytes(data))
    for args, named in [
        (["filter", bomb, "--kernel", "sharpen", "-o", tmp_path / "o.png"], str(bomb)),
        (["predict", files["photo"], "--model", files["models"][1]], files["models"][1]),
        (["train", "--model=--"], "--model"),
        (["filter", "--kernel", "1e308 1e308; 1e308 1e308", "-o", tmp_path / "o.png"], "inf"),
    ]:
        result = convlens(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.splitlines()) == 1 and named in result.stderr, result.stderr


MATRIX = st.text(alphabet="0123456789.;, -e+naif", max_size=24)
SMALL = st.one_of(st.integers(1, 6), st.sampled_from([10**6, 2**31, 10**20])).map(str)


@given(
    image=MATRIX,
    kernel=MATRIX,
    what=st.sampled_from(["conv", "pool"]),
    stride=SMALL,
    dilation=SMALL,
    pool=SMALL,
    padding=st.one_of(SMALL, st.sampled_from(["0", "valid", "same"])),
)
def test_explain_on_generated_matrices_ends_in_one_line(
    image, kernel, what, stride, dilation, pool, padding
):
    from convlens.cli import main

    args = [what, "--image", image, "--kernel", kernel, "--stride", stride, "--padding", padding]
    args += ["--dilation", dilation] if what == "conv" else ["--pool-size", pool]
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["explain", *args])
    except SystemExit as exit_:
        code = exit_.code
    err = stderr.getvalue()
    assert code in (0, 2), (args, err)
    assert code == 0 or (len(err.splitlines()) == 1 and "error:" in err), (args, err)
