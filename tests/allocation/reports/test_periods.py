"""Report periods: quarters and months by name, and the period before each."""

from __future__ import annotations

from datetime import datetime

import pytest

from allocation.errors import InputError
from allocation.reports import parse_period

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("text", "start", "end", "previous"),
    [
        ("2026-Q3", datetime(2026, 7, 1), datetime(2026, 10, 1), "2026-Q2"),
        ("2026-Q1", datetime(2026, 1, 1), datetime(2026, 4, 1), "2025-Q4"),
        ("2026-Q4", datetime(2026, 10, 1), datetime(2027, 1, 1), "2026-Q3"),
        ("2026q2", datetime(2026, 4, 1), datetime(2026, 7, 1), "2026-Q1"),
        ("2026-07", datetime(2026, 7, 1), datetime(2026, 8, 1), "2026-06"),
        ("2026-12", datetime(2026, 12, 1), datetime(2027, 1, 1), "2026-11"),
        ("2026-01", datetime(2026, 1, 1), datetime(2026, 2, 1), "2025-12"),
    ],
)
def test_a_period_is_its_calendar_window_and_knows_the_one_before(
    text: str, start: datetime, end: datetime, previous: str
) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    before = period.previous()
    assert before is not None
    assert before.label == previous
    assert before.end == period.start
    assert period.contains(start)
    assert not period.contains(end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "Q3", "2026", "last quarter", "0001-Q1"])
def test_a_period_that_is_not_a_month_or_quarter_is_refused_by_name(text: str) -> None:
    with pytest.raises(InputError, match="period"):
        parse_period(text)
