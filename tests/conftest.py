"""Test settings: hypothesis profiles (``ci`` keeps the suite well inside CI's time), and the
``alarm`` fixture the fuzz tests share."""

import os
import signal

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def alarm():
    """Fail instead of hanging: a reader that blocks on a pipe or a device is interrupted after
    10 s (the fuzz tests of datasets and images)."""

    def timeout(*_):
        raise TimeoutError("the reader blocked (it opened a pipe or device and waited)")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
