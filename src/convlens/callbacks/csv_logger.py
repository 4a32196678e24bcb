"""CSVLogger: one row of logs per epoch in a CSV file, as Keras 3 writes it."""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy

from ..arguments import check_bool, check_path
from .callback import Callback


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: a header ``epoch,<sorted keys>``, a row per epoch.

    Values are written with full precision, so the file reads back exactly as the
    History. A key missing from an epoch's logs is written ``NA``.

    Args:
        filename: the CSV file, e.g. ``"run/log.csv"``.
        separator: the column separator.
        append: add to an existing file (to continue a training) instead of overwriting it;
            the header is written only when the file is empty.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> logger = CSVLogger(path)
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"val_loss": 0.5, "loss": 0.25})
        >>> logger.on_train_end()
        >>> open(path).read().splitlines()
        ['epoch,loss,val_loss', '0,0.25,0.5']
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(
                f"CSVLogger: separator must be one character, such as ',', received {separator!r}."
            )
        self.sep = separator
        self.filename = check_path(filename, "filename", "CSVLogger")
        self.append = check_bool(append, "append", "CSVLogger")
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as stream:
                    self.append_header = not stream.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no val_ keys: add those the model
            # announces, as Keras does.
            for name in getattr(self.model, "metrics_names", None) or []:
                if name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _cell(value):
    """A log value as a CSV cell: strings and numbers as they are, vectors as ``[a, b]``."""
    if isinstance(value, str):
        return value
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, collections.abc.Iterable):
        return f"[{', '.join(map(str, value))}]"
    return value
