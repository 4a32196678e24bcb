"""What ``convlens`` writes: results on stdout, warnings and errors as one line on stderr."""

from __future__ import annotations

import sys


def out(text: str) -> None:
    """A result line, on stdout."""
    sys.stdout.write(text + "\n")


def one_line(text: str) -> str:
    """``text`` with its lines joined: a message must reach the terminal whole, on one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def warn(command: str, text: str) -> None:
    """A one-line warning on stderr: the command goes on."""
    sys.stderr.write(f"convlens {command}: warning: {one_line(text)}\n")


def note(command: str, text: str) -> None:
    """A one-line note on stderr (for example where an interrupted run was saved)."""
    sys.stderr.write(f"convlens {command}: {one_line(text)}\n")
