"""The outside programs are scripts run by the harness in subprocesses, never imported here."""

collect_ignore_glob = ["programs/*.py"]
