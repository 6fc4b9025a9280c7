"""Report periods: a calendar month or quarter, named the way a contract review names them.

``2026-Q3`` is July to September 2026, ``2026-07`` is July 2026. A period runs from its
first midnight (UTC, naive like every time in the store) up to, not including, the next
period's; :meth:`Period.previous` is the period a report compares itself with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from allocation.errors import InputError

__all__ = ["Period", "parse_period"]

Kind = Literal["month", "quarter", "span"]

_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A half-open window of time ``[start, end)`` with the label a reader knows it by."""

    label: str
    start: datetime
    end: datetime
    kind: Kind

    def previous(self) -> Period | None:
        """The period just before (a month for a month, a quarter for a quarter); a span
        of arbitrary dates has none."""
        if self.kind == "quarter":
            year, quarter = self.start.year, (self.start.month - 1) // 3 + 1
            year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
            return quarter_period(year, quarter)
        if self.kind == "month":
            year, month = self.start.year, self.start.month
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return month_period(year, month)
        return None

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the period."""
        return self.start <= moment < self.end


def quarter_period(year: int, quarter: int) -> Period:
    """Quarter ``quarter`` (1–4) of ``year``."""
    first = 3 * (quarter - 1) + 1
    start = datetime(year, first, 1)
    end = datetime(year + 1, 1, 1) if quarter == 4 else datetime(year, first + 3, 1)
    return Period(f"{year}-Q{quarter}", start, end, "quarter")


def month_period(year: int, month: int) -> Period:
    """Month ``month`` (1–12) of ``year``."""
    start = datetime(year, month, 1)
    end = datetime(year + 1, 1, 1) if month == 12 else datetime(year, month + 1, 1)
    return Period(f"{year}-{month:02d}", start, end, "month")


def span_period(start: datetime, end: datetime) -> Period:
    """Every moment from ``start`` up to ``end``: the whole of what a data source holds."""
    label = f"{start.date().isoformat()}/{end.date().isoformat()}"
    return Period(label, start, end, "span")


def parse_period(text: str) -> Period:
    """The period named ``text``: ``YYYY-Qn`` (a quarter) or ``YYYY-MM`` (a month).

    Examples
    --------
    >>> parse_period("2026-Q3").start, parse_period("2026-Q3").end
    (datetime.datetime(2026, 7, 1, 0, 0), datetime.datetime(2026, 10, 1, 0, 0))
    >>> parse_period("2026-01").previous().label
    '2025-12'
    """
    value = str(text).strip()
    quarter = _QUARTER.match(value)
    if quarter:
        return quarter_period(_year(quarter.group(1), value), int(quarter.group(2)))
    month = _MONTH.match(value)
    if month and 1 <= int(month.group(2)) <= 12:
        return month_period(_year(month.group(1), value), int(month.group(2)))
    raise InputError(
        f"period {value!r}: expected a quarter such as 2026-Q3 or a month such as 2026-07"
    )


def _year(digits: str, value: str) -> int:
    year = int(digits)
    if not 1900 <= year <= 9998:
        raise InputError(f"period {value!r}: the year must be between 1900 and 9998")
    return year
