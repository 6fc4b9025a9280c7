"""One customer's report from report facts: the pure function every source goes through."""

from __future__ import annotations

import difflib
from datetime import datetime

import numpy as np

from allocation.errors import UnknownIdError
from allocation.reports.facts import ReportFacts
from allocation.reports.measures import period_figures
from allocation.reports.periods import Period, parse_period, span_period
from allocation.reports.report import PerformanceReport

__all__ = ["REPORTED_TIERS", "customer_report", "reports_for_all"]

REPORTED_TIERS: tuple[str, ...] = ("PA+", "PM")
"""The tiers whose contracts include performance reports (docs/explanation/rules.md)."""


def customer_report(
    facts: ReportFacts, customer_id: str, period: Period | str | None = None
) -> PerformanceReport:
    """The performance report of ``customer_id`` for ``period``.

    ``period`` is a :class:`Period` or its label (``2026-Q3``, ``2026-07``); without one the
    report covers everything the facts hold, from the first order to ``as_of``.
    """
    customers = facts.customers.set_index(facts.customers["customer_id"].astype(str))
    if customer_id not in customers.index:
        known = customers.index.tolist()
        close = difflib.get_close_matches(customer_id, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownIdError(f"unknown customer {customer_id!r}{hint}")
    row = customers.loc[customer_id]
    chosen = _period(facts, period)
    previous = chosen.previous()
    return PerformanceReport(
        customer_id=customer_id,
        customer_name=str(row["name"]),
        tier=str(row["tier"]),
        origin=facts.origin,
        as_of=facts.as_of,
        target_hours=float(facts.target_hours),
        replications=facts.replications,
        current=period_figures(facts, customer_id, chosen),
        previous=None if previous is None else period_figures(facts, customer_id, previous),
    )


def reports_for_all(
    facts: ReportFacts, period: Period | str | None = None, tiers: tuple[str, ...] = REPORTED_TIERS
) -> list[PerformanceReport]:
    """A report for every customer of ``tiers`` (Priority Access Plus and Management)."""
    chosen = _period(facts, period)
    return [customer_report(facts, c, chosen) for c in facts.customer_ids(tiers)]


def _period(facts: ReportFacts, period: Period | str | None) -> Period:
    if isinstance(period, Period):
        return period
    if period is not None:
        return parse_period(period)
    created = facts.orders["created_at"].to_numpy(dtype="datetime64[ns]")
    start = (
        created.min().astype("datetime64[us]").astype(datetime)
        if len(created) and not np.isnat(created.min())
        else facts.as_of
    )
    end = max(facts.as_of, start)
    return span_period(start, end if end > start else start.replace(microsecond=1))
