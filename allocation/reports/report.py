"""A customer's performance report for a period: the document, its tables and its page.

The JSON document (:meth:`PerformanceReport.document`) has these keys, always present:

=========================  ======================================================================
key                        meaning
=========================  ======================================================================
customer_id, customer_name  who the report is for
tier                       the customer's Priority Services tier (standard, PA, PA+, PM)
period                     the period's label (``2026-Q3``, ``2026-07``, or ``start/end`` for a
                           whole run); ``period_start``, ``period_end`` (ISO, end excluded)
previous_period            the period the trend compares with (null when there is none)
source                     where the facts come from (the database, a simulation run)
as_of                      when the facts end (ISO); open orders are counted up to it
replications               equally likely histories behind the figures (1 for the database)
target_hours               the downtime target
orders                     orders created in the period (means per replication)
parts_priority_orders      of them, of class parts_priority
cancelled_orders           of them, cancelled
downtime                   ``mean_hours``, ``p90_hours`` (lower bounds while orders are open),
                           ``within_target_share`` (of decided orders), ``orders``,
                           ``open_orders``, ``decided_orders``
sources                    per source kind (stock, transfer, inbound, expedite, broker):
                           ``units`` and ``money``
spend                      money on ``expedite``, ``broker``, all ``special_means`` (transfer,
                           expedite, broker) and in ``total``
lost_priority              ``orders`` that lost parts priority and ``by_code`` (excluded_country,
                           not_entitled:<rule>)
backorders                 ``open`` and ``closed`` counts, and ``open_by_code``,
                           ``closed_by_code``
root_causes                root-cause code → orders (backordered or late), largest first
top_causes                 the five largest: ``code``, ``title``, ``count``, ``previous``,
                           ``change``
trend                      the previous period's ``orders``, ``parts_priority_orders``,
                           ``mean_hours``, ``within_target_share``, ``backorders_open``,
                           ``backorders_closed`` (null when there is no previous period)
action_items               the largest causes of lost hours (hours beyond the target): ``code``,
                           ``title``, ``part_number``, ``depot_id``, ``orders``, ``lost_hours``,
                           ``action``
=========================  ======================================================================

Numbers that cannot be known (the mean downtime of a period without orders) are null.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from allocation.domain.model import SourceKind
from allocation.domain.root_causes import cause
from allocation.engine import html_block, html_table
from allocation.reports.measures import PeriodFigures, count_changes

__all__ = ["REPORT_KEYS", "PerformanceReport"]

REPORT_KEYS: tuple[str, ...] = (
    "customer_id",
    "customer_name",
    "tier",
    "period",
    "period_start",
    "period_end",
    "previous_period",
    "source",
    "as_of",
    "replications",
    "target_hours",
    "orders",
    "parts_priority_orders",
    "cancelled_orders",
    "downtime",
    "sources",
    "spend",
    "lost_priority",
    "backorders",
    "root_causes",
    "top_causes",
    "trend",
    "action_items",
)
"""Every key of a report's JSON document, in order."""

_SPECIAL = (SourceKind.TRANSFER.value, SourceKind.EXPEDITE.value, SourceKind.BROKER.value)
TOP_CAUSES = 5
ACTION_ITEMS = 5


@dataclass(frozen=True)
class PerformanceReport:
    """One customer's period: orders, downtime against the target, sources and spend, orders
    that lost parts priority, backorders and their root causes, and what to act on.

    ``to_html()`` is a printable page with its charts; ``document()`` the JSON.
    """

    customer_id: str
    customer_name: str
    tier: str
    origin: str
    as_of: datetime
    target_hours: float
    replications: int
    current: PeriodFigures
    previous: PeriodFigures | None

    def document(self) -> dict[str, Any]:
        """The report as JSON-ready data (keys: :data:`REPORT_KEYS`)."""
        now, before = self.current, self.previous
        spend = {
            "expedite": now.sources[SourceKind.EXPEDITE.value].money,
            "broker": now.sources[SourceKind.BROKER.value].money,
            "special_means": sum(now.sources[k].money for k in _SPECIAL),
            "total": sum(s.money for s in now.sources.values()),
        }
        document: dict[str, Any] = {
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "tier": self.tier,
            "period": now.period.label,
            "period_start": now.period.start.isoformat(),
            "period_end": now.period.end.isoformat(),
            "previous_period": before.period.label if before is not None else None,
            "source": self.origin,
            "as_of": self.as_of.isoformat(),
            "replications": self.replications,
            "target_hours": self.target_hours,
            "orders": now.orders,
            "parts_priority_orders": now.parts_priority_orders,
            "cancelled_orders": now.cancelled_orders,
            "downtime": {
                "mean_hours": now.downtime.mean_hours,
                "p90_hours": now.downtime.p90_hours,
                "within_target_share": now.downtime.within_target_share,
                "orders": now.downtime.orders,
                "open_orders": now.downtime.open_orders,
                "decided_orders": now.downtime.decided_orders,
            },
            "sources": {
                kind: {"units": figures.units, "money": figures.money}
                for kind, figures in now.sources.items()
            },
            "spend": spend,
            "lost_priority": {
                "orders": sum(now.lost_priority.values()),
                "by_code": dict(now.lost_priority),
            },
            "backorders": {
                "open": sum(now.backorders_open.values()),
                "closed": sum(now.backorders_closed.values()),
                "open_by_code": dict(now.backorders_open),
                "closed_by_code": dict(now.backorders_closed),
            },
            "root_causes": dict(now.root_causes),
            "top_causes": self.top_causes(),
            "trend": None if before is None else _trend(before),
            "action_items": self.action_items(),
        }
        plain: dict[str, Any] = _plain(document)
        return plain

    def top_causes(self) -> list[dict[str, Any]]:
        """The largest root causes now, with their count in the previous period."""
        before = self.previous.root_causes if self.previous is not None else None
        rows = count_changes(self.current.root_causes, before)[:TOP_CAUSES]
        return [
            {
                "code": code,
                "title": cause(code).title,
                "count": count,
                "previous": previous,
                "change": None if previous is None else count - previous,
            }
            for code, count, previous in rows
        ]

    def action_items(self) -> list[dict[str, Any]]:
        """The largest causes of lost hours, each with the action that usually removes it."""
        items = []
        top = self.current.lost_hours.head(ACTION_ITEMS)
        for code, part, depot, orders, lost in zip(
            top["code"].astype(str).tolist(),
            top["part_number"].astype(str).tolist(),
            top["depot_id"].astype(str).tolist(),
            top["orders"].astype(float).tolist(),
            top["lost_hours"].astype(float).tolist(),
            strict=True,
        ):
            entry = cause(code)
            where = f"part {part}, depot {depot}" if depot else f"part {part}"
            items.append(
                {
                    "code": entry.code,
                    "title": entry.title,
                    "part_number": part,
                    "depot_id": depot or None,
                    "orders": orders,
                    "lost_hours": lost,
                    "action": f"{entry.action} ({where})",
                }
            )
        return items

    def summary(self) -> pd.DataFrame:
        """The headline figures, with the previous period's beside them."""
        now, before = self.current, self.previous
        rows = [
            ("orders", now.orders, before.orders if before else None),
            (
                "parts-priority orders",
                now.parts_priority_orders,
                before.parts_priority_orders if before else None,
            ),
            (
                "mean downtime (h)",
                now.downtime.mean_hours,
                before.downtime.mean_hours if before else None,
            ),
            (
                "p90 downtime (h)",
                now.downtime.p90_hours,
                before.downtime.p90_hours if before else None,
            ),
            (
                f"restored within {self.target_hours:g} h",
                now.downtime.within_target_share,
                before.downtime.within_target_share if before else None,
            ),
            (
                "open backorders",
                sum(now.backorders_open.values()),
                sum(before.backorders_open.values()) if before else None,
            ),
            (
                "closed backorders",
                sum(now.backorders_closed.values()),
                sum(before.backorders_closed.values()) if before else None,
            ),
            (
                "orders that lost parts priority",
                sum(now.lost_priority.values()),
                sum(before.lost_priority.values()) if before else None,
            ),
            (
                "expedite and broker spend",
                now.sources[SourceKind.EXPEDITE.value].money
                + now.sources[SourceKind.BROKER.value].money,
                (
                    before.sources[SourceKind.EXPEDITE.value].money
                    + before.sources[SourceKind.BROKER.value].money
                )
                if before
                else None,
            ),
        ]
        labels = [now.period.label, before.period.label if before else "previous"]
        return pd.DataFrame(rows, columns=["figure", *labels])

    def to_pandas(self) -> pd.DataFrame:
        """Every figure as a row: ``section``, ``key``, ``value`` and ``previous``."""
        now = _flatten(self.document())
        before = (
            _flatten(_plain(_figures_document(self.previous))) if self.previous is not None else {}
        )
        rows = []
        for (section, key), value in now.items():
            if section in ("top_causes", "action_items", "trend"):
                continue
            rows.append((section, key, value, before.get((section, key))))
        return pd.DataFrame(rows, columns=["section", "key", "value", "previous"])

    def to_json(self) -> str:
        """The document as JSON text (no NaN: unknown numbers are null)."""
        return json.dumps(self.document(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_html(self) -> str:
        """One printable page with its charts embedded (nothing fetched, no scripts)."""
        from allocation.reports.page import report_page

        return report_page(self)

    def _repr_html_(self) -> str:
        title = (
            f"{self.customer_name} ({self.customer_id}, {self.tier}) — {self.current.period.label}"
        )
        causes = pd.DataFrame(self.top_causes(), columns=["code", "count", "previous", "change"])
        actions = pd.DataFrame(
            self.action_items(), columns=["code", "part_number", "depot_id", "lost_hours"]
        )
        return html_block(
            title,
            [
                html_table(self.summary(), "headline figures"),
                html_table(causes, "top root causes"),
                html_table(actions, "action items: the largest causes of lost hours"),
            ],
            [f"source: {self.origin}; as of {self.as_of.isoformat(timespec='minutes')}"],
        )


def _trend(before: PeriodFigures) -> dict[str, Any]:
    return {
        "period": before.period.label,
        "orders": before.orders,
        "parts_priority_orders": before.parts_priority_orders,
        "mean_hours": before.downtime.mean_hours,
        "within_target_share": before.downtime.within_target_share,
        "backorders_open": sum(before.backorders_open.values()),
        "backorders_closed": sum(before.backorders_closed.values()),
    }


def _figures_document(figures: PeriodFigures) -> dict[str, Any]:
    """The keys of a document that come from one period's figures (for ``previous``)."""
    return {
        "orders": figures.orders,
        "parts_priority_orders": figures.parts_priority_orders,
        "cancelled_orders": figures.cancelled_orders,
        "downtime": {
            "mean_hours": figures.downtime.mean_hours,
            "p90_hours": figures.downtime.p90_hours,
            "within_target_share": figures.downtime.within_target_share,
            "orders": figures.downtime.orders,
            "open_orders": figures.downtime.open_orders,
            "decided_orders": figures.downtime.decided_orders,
        },
        "sources": {k: {"units": s.units, "money": s.money} for k, s in figures.sources.items()},
        "lost_priority": {
            "orders": sum(figures.lost_priority.values()),
            "by_code": dict(figures.lost_priority),
        },
        "backorders": {
            "open": sum(figures.backorders_open.values()),
            "closed": sum(figures.backorders_closed.values()),
            "open_by_code": dict(figures.backorders_open),
            "closed_by_code": dict(figures.backorders_closed),
        },
        "root_causes": dict(figures.root_causes),
    }


def _flatten(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """``(section, key)`` → value; top-level scalars are in section ``report``."""
    out: dict[tuple[str, str], Any] = {}
    for name, value in document.items():
        if isinstance(value, dict):
            for key, inner in _leaves(value):
                out[(name, key)] = inner
        elif not isinstance(value, list):
            out[("report", name)] = value
    return out


def _leaves(value: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    leaves = []
    for key, inner in value.items():
        path = f"{prefix}{key}"
        if isinstance(inner, dict):
            leaves += _leaves(inner, path + ".")
        else:
            leaves.append((path, inner))
    return leaves


def _plain(value: Any) -> Any:
    """JSON-ready: NaN becomes null, whole floats become ints, others keep 6 decimals."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() else rounded
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
