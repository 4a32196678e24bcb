"""The ``convlens`` command: the lecture from a terminal. It parses arguments and calls the
library; it holds no logic.

Every user error ends the same way, in one place (:func:`main`): one line on stderr,
``convlens <command>: error: <what was wrong and what is accepted>``, and exit code 2, never a
traceback. The user errors are the library's ``ValueError``s (bad values, unreadable files:
``DatasetFileError``, ``ModelFileError``...), ``OSError``s (missing files, folders given for
files, downloads: ``DownloadError``), a missing optional library, and the study storage's
errors in ``tune``. Anything else is a bug and keeps its traceback. Ctrl-C ends with one line
and exit code 130 (``train`` first saves the completed epochs).
"""

from __future__ import annotations

import sys
import warnings

from .arguments import build_parser
from .lecture_commands import cmd_demo, cmd_explain, cmd_filter, cmd_kernels, cmd_tune
from .model_commands import (
    cmd_evaluate,
    cmd_predict,
    cmd_sample,
    cmd_show,
    cmd_summary,
    cmd_train,
)
from .output import note, one_line, warn

COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "summary": cmd_summary,
    "show": cmd_show,
    "sample": cmd_sample,
    "filter": cmd_filter,
    "kernels": cmd_kernels,
    "explain": cmd_explain,
    "demo": cmd_demo,
    "tune": cmd_tune,
}


_ON_INTERRUPT = {
    "train": "; stopped at once: a run folder, if one was started, may be incomplete",
    "tune": "; the study keeps its finished trials: run the same command to resume",
}
_STORAGE_HELP = (
    "--storage accepts sqlite:///FILE.db, journal:///FILE.log or a database URL that "
    "Optuna supports"
)


_STORAGE_PACKAGES = ("optuna", "sqlalchemy")


def _storage_error(error: BaseException) -> bool:
    """An error of Optuna or SQLAlchemy (a study storage), by the module of its type; or an
    ImportError raised inside them: a database URL whose driver is not installed
    (``--storage postgresql://...`` without psycopg2)."""
    if type(error).__module__.split(".")[0] in _STORAGE_PACKAGES:
        return True
    if isinstance(error, ImportError) and error.__traceback__ is not None:
        frame = error.__traceback__
        while frame.tb_next is not None:  # the innermost frame: where it was raised
            frame = frame.tb_next
        module = frame.tb_frame.f_globals.get("__name__", "")
        return module.split(".")[0] in _STORAGE_PACKAGES
    return False


def user_error_message(error: BaseException) -> str | None:
    """The one-line message for a user error, or None when ``error`` is a bug (re-raised)."""
    if _storage_error(error):
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        first = first.split("(Background on this error")[0].strip()
        return f"the study storage failed: {first}; {_STORAGE_HELP}"
    if isinstance(error, ImportError):
        # A missing optional library says how to install it; any other ImportError is a bug.
        return one_line(error) if "pip install" in str(error) else None
    if isinstance(error, OSError) and error.strerror and error.filename is not None:
        hint = ", a folder where a file is expected" if isinstance(error, IsADirectoryError) else ""
        # A failed rename (os.replace of a save's temporary file) names its target second:
        # that is the path the user gave.
        name = error.filename if error.filename2 is None else error.filename2
        return f"{error.strerror}{hint}: {name!r}"
    if isinstance(error, (ValueError, OSError)):
        return one_line(error) or type(error).__name__
    return None


def _one_line_warning(command: str):
    """Python's warnings (a library's RuntimeWarning...) as one line each, as the command's
    own: by default they take two lines, the second the library's source line."""

    def show(message, category, filename, lineno, file=None, line=None):
        warn(command, f"{category.__name__}: {message}")

    return show


def main(argv=None) -> int:
    """Run ``convlens`` with ``argv`` (default: the command line); returns the exit code."""
    args = build_parser().parse_args(argv)
    command = args.command
    if command == "tune":  # under mpirun/srun each process is a worker of the shared study
        from ..distribution import set_distribution

        set_distribution(None)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(command)
            return COMMANDS[command](args) or 0
    except BrokenPipeError:  # `convlens kernels | head`: the reader left; nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        note(command, f"interrupted (Ctrl-C){_ON_INTERRUPT.get(command, '')}")
        return 130
    except Exception as error:
        message = user_error_message(error)
        if message is None:
            raise  # a bug: its traceback is what a report needs
        sys.stderr.write(f"convlens {command}: error: {message}\n")
        return 2


__all__ = ["build_parser", "main", "user_error_message"]
