"""Run-wide settings of the test suite."""

from __future__ import annotations

import pytest

from tests import budget


def pytest_configure(config: pytest.Config) -> None:
    """Property runs take every example they name only when the run selects the slow lane."""
    budget.FULL = budget.selects_slow(str(config.getoption("markexpr") or ""))
