"""Performance reports from wherever the facts are: a database, a run folder, or tables.

One entry point for the command line, the service and notebooks: :func:`report_facts` reads
the facts from a source, and :func:`report` and :func:`reports` turn them into one customer's
report, or one per Priority Access Plus and Priority Management customer
(:mod:`allocation.reports` holds what a report is and how its figures are computed).

A source is one of:

- :class:`~allocation.reports.ReportFacts` already in memory (a simulation result gives
  them: ``SimulationResult.report_facts()``);
- a folder that ``parts-priority simulate SCENARIO --out DIR`` wrote (its ``report-facts``);
- a database URL of the service (``sqlite:///parts.db``, ``postgresql+psycopg://...``): what
  actually happened, read as of now.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from allocation.errors import InputError
from allocation.reports import (
    PerformanceReport,
    Period,
    ReportFacts,
    customer_report,
    reports_for_all,
)

__all__ = ["DEFAULT_TARGET_HOURS", "report", "report_facts", "reports"]

DEFAULT_TARGET_HOURS = 24.0
"""The downtime target of a database's report when none is given: next business day's
parts priority promise, in hours (a simulation run carries its scenario's own)."""

Source = ReportFacts | str | Path


def report_facts(
    source: Source, *, target_hours: float | None = None, as_of: datetime | None = None
) -> ReportFacts:
    """The report facts of ``source`` (see the module's docstring).

    ``target_hours`` replaces the source's downtime target (a database has none of its own:
    :data:`DEFAULT_TARGET_HOURS`); ``as_of`` is when a database is read as of (default now).

    Raises
    ------
    InputError
        When the source is neither facts, a run folder nor a database URL, or cannot be read.
    """
    if isinstance(source, ReportFacts):
        facts = source
    elif _is_url(source):
        facts = _from_database(str(source), target_hours or DEFAULT_TARGET_HOURS, as_of)
    else:
        from allocation.adapters.report_facts import read_report_facts

        facts = read_report_facts(source)
    if target_hours is not None and target_hours != facts.target_hours:
        facts = ReportFacts(
            facts.orders,
            facts.sources,
            facts.customers,
            facts.as_of,
            float(target_hours),
            facts.origin,
            facts.replications,
        )
    return facts


def report(
    source: Source,
    customer_id: str,
    period: Period | str | None = None,
    *,
    target_hours: float | None = None,
) -> PerformanceReport:
    """The performance report of ``customer_id`` for ``period`` (``2026-Q3``, ``2026-07``;
    default: everything the source holds).

    The result has ``.summary()``, ``.to_pandas()``, ``.document()``, ``.to_json()`` and
    ``.to_html()``, and shows itself in a notebook.

    Examples
    --------
    >>> from allocation.reports.facts import empty_orders, empty_sources
    >>> import pandas as pd
    >>> facts = ReportFacts(empty_orders(), empty_sources(),
    ...     pd.DataFrame({"customer_id": ["C1"], "name": ["Acme"], "tier": ["PM"]}),
    ...     as_of=datetime(2026, 10, 1), target_hours=24.0, origin="example")
    >>> report(facts, "C1", "2026-Q3").document()["orders"]
    0
    """
    return customer_report(report_facts(source, target_hours=target_hours), customer_id, period)


def reports(
    source: Source, period: Period | str | None = None, *, target_hours: float | None = None
) -> list[PerformanceReport]:
    """One report for every Priority Access Plus and Priority Management customer."""
    return reports_for_all(report_facts(source, target_hours=target_hours), period)


def _is_url(source: str | Path) -> bool:
    return isinstance(source, str) and "://" in source


def _from_database(url: str, target_hours: float, as_of: datetime | None) -> ReportFacts:
    from sqlalchemy.exc import SQLAlchemyError

    from allocation.adapters.store.database import make_engine
    from allocation.adapters.store.report_facts import facts_from_store

    try:
        engine = make_engine(url, pool_size=1)
    except (SQLAlchemyError, ValueError) as error:
        raise InputError(f"{_shown(url)}: cannot open the database ({error})") from None
    try:
        return facts_from_store(engine, as_of=as_of, target_hours=target_hours)
    except SQLAlchemyError as error:
        raise InputError(f"{_shown(url)}: cannot read the service's tables ({error})") from None
    finally:
        engine.dispose()


def _shown(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given: it holds no parsed password
        return url
