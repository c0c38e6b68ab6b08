"""Shared fixtures and hypothesis profiles."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("GANTHEORY_HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_modifyitems(items):
    """Test ids must survive a round trip through a command line: mutmut hands them back to pytest, and an
    id with a backslash (a regex as a parameter) is then not found, which stops a mutation run."""
    bad = [item.nodeid for item in items if "\\" in item.nodeid]
    if bad:
        raise ValueError(f"test ids with a backslash (give the parametrisation explicit ids): {bad[:3]}")
