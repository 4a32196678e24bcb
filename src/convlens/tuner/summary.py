"""Text reports of a search: its space and its results (returned, and passed to ``print_fn``)."""

from __future__ import annotations

import collections
import sys


def emit(lines: list[str], print_fn=None) -> str:
    """Send each line to ``print_fn`` (default: standard output); return the whole text."""
    write = print_fn or (lambda line: sys.stdout.write(line + "\n"))
    for line in lines:
        write(line)
    return "\n".join(lines)


def search_space_lines(space: list) -> list[str]:
    lines = ["Search space summary", f"Default search space size: {len(space)}"]
    return lines + [parameter.describe() for parameter in space]


def _value(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _hyperparameters(trial) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in trial.hyperparameters.values.items())


def results_lines(oracle, num_trials: int = 10) -> list[str]:
    """The study's results: counts by state, the best trials as a table, the failures."""
    trials = oracle.trials
    states = collections.Counter(t.state for t in trials)
    objective = oracle.objective
    lines = [
        "Results summary",
        f"Results in {oracle.project_dir}",
        f"Objective: {objective.name} ({objective.direction})",
        f"Trials: {len(trials)} of {oracle.max_trials} ("
        + ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        + ")",
    ]
    lost = oracle.lost_trials()
    if lost:
        numbers = ", ".join(str(t.number) for t in lost)
        lines.append(f"Lost with a dead worker and run again: trial {numbers}")
    best = oracle.get_best_trials(num_trials)
    if best:
        lines.append(f"Best {len(best)} trial{'s' if len(best) > 1 else ''}:")
        header = f"{'trial':>5}  {'score':>8}  {'epochs':>6}  {'seconds':>7}  hyperparameters"
        lines.append(header)
        for trial in best:
            epochs = trial.best_step if trial.best_step is not None else "-"
            seconds = f"{trial.duration:.1f}" if trial.duration is not None else "-"
            lines.append(
                f"{trial.trial_id:>5}  {trial.score:>8.4f}  {epochs:>6}  {seconds:>7}  "
                f"{_hyperparameters(trial)}"
            )
    pruned = [t for t in trials if t.state == "PRUNED"]
    if pruned:
        lines.append("Pruned: " + ", ".join(f"{t.trial_id} (epoch {t.best_step})" for t in pruned))
    for trial in (t for t in trials if t.state == "FAIL"):
        lines.append(f"Failed {trial.trial_id}: {trial.error or 'no error recorded'}")
    return lines
