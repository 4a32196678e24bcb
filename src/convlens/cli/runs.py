"""Finding a run: the latest one by default, any one by its folder or model file.

``convlens train`` keeps each run in its own folder with a ``result.json`` record (see
:mod:`convlens.jobs`); ``evaluate``, ``predict``, ``summary`` and ``show`` read the model and the
record from here, so a Fashion-MNIST model is tested on Fashion-MNIST and fed images prepared as
it was trained (issue 14, item 2).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .. import jobs


@dataclass
class Run:
    """A saved model and, when it came from ``convlens train``, the run's record."""

    model_path: str
    folder: str
    record: dict = field(default_factory=dict)

    @property
    def record_path(self) -> str:
        return os.path.join(self.folder, jobs.RECORD)


def _runs_in(runs_dir: str) -> list[str]:
    """The run folders of ``runs_dir`` that hold a model, oldest first."""
    if not os.path.isdir(runs_dir):
        return []
    folders = []
    for name in os.listdir(runs_dir):
        model = os.path.join(runs_dir, name, jobs.MODEL_FILE)
        if os.path.isfile(model):
            folders.append((os.path.getmtime(model), name))
    return [os.path.join(runs_dir, name) for _, name in sorted(folders)]


def latest(runs_dir: str) -> str:
    """The folder of the most recently saved run in ``runs_dir``.

    Raises:
        FileNotFoundError: when there is none, saying how to make one.
    """
    folders = _runs_in(runs_dir)
    if not folders:
        raise FileNotFoundError(
            f"no run in {runs_dir!r} yet: train one with `convlens train`, or give a run "
            "folder or a .keras model file"
        )
    return folders[-1]


def read_record(folder: str) -> dict:
    """The run's ``result.json`` as a dict; {} when the folder has none (a bare model file).

    Raises:
        ValueError: when the record exists but is not valid JSON.
    """
    path = os.path.join(folder, jobs.RECORD)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path) as stream:
            record = json.load(stream)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"the run record {path!r} is not valid JSON ({error}).") from None
    if not isinstance(record, dict):
        raise ValueError(f"the run record {path!r} does not hold a JSON object.")
    return record


def resolve(path: str | None, runs_dir: str) -> Run:
    """The run named by ``path`` (a run folder or a model file), or the latest in ``runs_dir``.

    Raises:
        FileNotFoundError: for a path that does not exist, or no run at all.
        ValueError: for a folder without a model file.
    """
    if path is None:
        folder = latest(runs_dir)
        return Run(os.path.join(folder, jobs.MODEL_FILE), folder, read_record(folder))
    if os.path.isdir(path):
        model = os.path.join(path, jobs.MODEL_FILE)
        if not os.path.isfile(model):
            raise ValueError(
                f"{path!r} is a folder without {jobs.MODEL_FILE}; accepted: a run folder "
                f"made by `convlens train` (e.g. {os.path.join(runs_dir, 'lenet5-mnist-1')}) "
                "or a .keras model file"
            )
        return Run(model, path, read_record(path))
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"no such run or model file: {path!r}; accepted: a run folder or a .keras file "
            f"(runs so far: {', '.join(_runs_in(runs_dir)) or 'none'})"
        )
    folder = os.path.dirname(path) or "."
    record = read_record(folder)
    if os.path.basename(path) != jobs.MODEL_FILE:
        record = {}  # a model file of its own: the folder's record belongs to another file
    return Run(path, folder, record)


def load(run: Run):
    """The run's model, loaded from its file."""
    from .. import models

    return models.load_model(run.model_path)


def describe(run: Run) -> str:
    """``runs/lenet5-mnist-2 (lenet5 on mnist)`` for messages."""
    if run.record:
        return f"{run.folder} ({run.record.get('model')} on {run.record.get('dataset')})"
    return run.model_path
