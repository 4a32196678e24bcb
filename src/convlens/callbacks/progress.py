"""The progress bar callback: Keras's ``verbose`` 0 (silent), 1 (a bar), 2 (a line per epoch).

``fit`` adds one for ``verbose`` 1 or 2; the loop itself never writes anything.
"""

from __future__ import annotations

import sys
import time

from .callback import Callback


def resolve_verbose(verbose) -> int:
    """Keras's ``verbose`` as 0, 1 or 2: ``"auto"`` is 1 on a terminal and 2 otherwise.

    A bar redrawn with carriage returns is unreadable in a file or a CI log, so output that is
    not a terminal gets one line per epoch.

    Raises:
        ValueError: for anything but 0, 1, 2 and ``"auto"``.
    """
    if isinstance(verbose, str):
        if verbose != "auto":
            raise ValueError(f'verbose must be 0, 1, 2 or "auto", received {verbose!r}.')
        isatty = getattr(sys.stdout, "isatty", None)
        return 1 if isatty is not None and isatty() else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f'verbose must be 0, 1, 2 or "auto", received {verbose!r}.')
    return int(verbose)


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9000``, in the order of the logs, as Keras's progbar."""
    return " - ".join(f"{key}: {_format_value(value)}" for key, value in (logs or {}).items())


def _format_value(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.4e}" if number != 0 and abs(number) < 1e-3 else f"{number:.4f}"


class ProgressBar(Callback):
    """Show training progress: a tqdm bar per epoch (``verbose=1``) or a line (``verbose=2``).

    Args:
        verbose: 0 writes nothing, 1 a bar per epoch with the running logs, 2 one line per
            epoch (steps, seconds, time per step, the logs); ``"auto"`` chooses 1 on a
            terminal and 2 otherwise.
        stream: where to write; standard output by default.

    Example:
        >>> import io
        >>> stream = io.StringIO()
        >>> bar = ProgressBar(verbose=2, stream=stream)
        >>> bar.set_params({"epochs": 3, "steps": 10})
        >>> bar.on_epoch_begin(0)
        >>> for step in range(10):
        ...     bar.on_train_batch_end(step, {"loss": 0.5})
        >>> bar.on_epoch_end(0, {"loss": 0.25})
        >>> line = stream.getvalue()
        >>> line.startswith("Epoch 1/3 - 10/10 - "), line.rstrip().endswith(" - loss: 0.2500")
        (True, True)
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = resolve_verbose(verbose)
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError(
                f"ProgressBar: stream must be a text stream (with write), received {stream!r}."
            )
        self.stream = stream
        self._bar = None
        self._start = 0.0
        self._seen = 0

    def _stream(self):
        return self.stream or sys.stdout  # looked up late, so redirected stdout is honoured

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._seen = time.perf_counter(), 0
        if self.verbose != 1:
            return
        from tqdm import tqdm

        stream = self._stream()
        stream.write(f"Epoch {epoch + 1}/{self.params.get('epochs')}\n")
        stream.flush()
        self._bar = tqdm(
            total=self.params.get("steps"),
            file=stream,
            unit="step",
            dynamic_ncols=True,
            leave=True,
            bar_format="{n_fmt}/{total_fmt} {bar} {elapsed} {rate_fmt}{postfix}",
        )

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose == 2:
            seconds = time.perf_counter() - self._start
            per_step = seconds / max(self._seen, 1)
            per_step = f"{per_step * 1e3:.0f}ms" if per_step >= 1e-3 else f"{per_step * 1e6:.0f}us"
            steps = self.params.get("steps") or self._seen
            parts = [
                f"Epoch {epoch + 1}/{self.params.get('epochs')}",
                f"{self._seen}/{steps}",
                f"{seconds:.0f}s",
                f"{per_step}/step",
            ]
            if logs:
                parts.append(format_logs(logs))
            stream = self._stream()
            stream.write(" - ".join(parts) + "\n")
            stream.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training stopped inside an epoch (an exception, NaN)
            self._bar.close()
            self._bar = None
