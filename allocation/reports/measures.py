"""The figures of one customer's period, computed from report facts.

Conventions, the same for the database and a simulation run:

- The period holds the orders **created** in it; what happened to them is read as of the
  facts' ``as_of`` (the moment the database was read, the end of a run).
- An order's **downtime** runs from its creation to ``restored_at``; an order still open has
  waited until ``as_of`` at least, so means and percentiles that include it are lower bounds
  (``open_orders`` says how many). Cancelled orders have no downtime.
- **Within target** is the share of *decided* orders restored within ``target_hours``: an
  order is decided once it is restored or has waited past the target (an order open for less
  than the target may still make it and is left out).
- A **late** order is restored after the target or still open past it; its **lost hours** are
  the hours beyond the target. Late and backordered orders are the ones with a root cause.
- A **backorder** is an order that was short of units at some point: *open* while the order
  is, *closed* once it is restored or cancelled.
- With several replications every count, sum and lost hour is the mean per replication, and
  downtime figures pool every replication's orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from allocation.domain.model import PriorityClass, SourceKind
from allocation.reports.facts import ReportFacts
from allocation.reports.periods import Period

__all__ = ["Downtime", "PeriodFigures", "SourceFigures", "period_figures"]

_HOUR = np.timedelta64(3600, "s")


@dataclass(frozen=True)
class Downtime:
    """Downtime of a period's orders (hours; NaN when there are none)."""

    mean_hours: float
    p90_hours: float
    within_target_share: float
    orders: float
    open_orders: float
    decided_orders: float


@dataclass(frozen=True)
class SourceFigures:
    """Units and money one source kind gave a period's orders."""

    units: float
    money: float


@dataclass(frozen=True)
class PeriodFigures:
    """Everything a report says about one customer in one period."""

    period: Period
    orders: float
    parts_priority_orders: float
    cancelled_orders: float
    downtime: Downtime
    sources: dict[str, SourceFigures]
    lost_priority: dict[str, float]
    backorders_open: dict[str, float]
    backorders_closed: dict[str, float]
    root_causes: dict[str, float]
    lost_hours: pd.DataFrame = field(repr=False)
    """Late orders by ``code``, ``part_number`` and ``depot_id``: ``orders`` and
    ``lost_hours``, largest first."""
    downtime_hours: np.ndarray = field(repr=False)
    """Every order's downtime in hours (lower bounds for open ones), for charts."""


def period_figures(facts: ReportFacts, customer_id: str, period: Period) -> PeriodFigures:
    """The figures of ``customer_id``'s orders created in ``period``."""
    orders = facts.orders
    created = orders["created_at"].to_numpy(dtype="datetime64[ns]")
    mask = (
        (orders["customer_id"].astype(str) == customer_id).to_numpy()
        & (created >= np.datetime64(period.start, "ns"))
        & (created < np.datetime64(period.end, "ns"))
    )
    mine = orders.loc[mask]
    per = float(facts.replications)
    status = mine["status"].to_numpy(dtype=object)
    live = status != "cancelled"
    hours = _downtime_hours(mine, facts.as_of)
    target = facts.target_hours
    restored = status == "restored"
    open_ = status == "open"
    late = (restored | open_) & (hours > target)
    decided = restored | (open_ & (hours > target))
    within = restored & (hours <= target)
    backordered = mine["backordered"].to_numpy(dtype=bool)
    code = mine["code"].to_numpy(dtype=object)
    has_code = pd.notna(code)
    klass = mine["priority_class"].to_numpy(dtype=object)
    live_hours = hours[live]
    n_decided = int(decided.sum())
    downtime = Downtime(
        mean_hours=float(live_hours.mean()) if len(live_hours) else float("nan"),
        p90_hours=float(np.percentile(live_hours, 90)) if len(live_hours) else float("nan"),
        within_target_share=float(within.sum() / n_decided) if n_decided else float("nan"),
        orders=int(live.sum()) / per,
        open_orders=int(open_.sum()) / per,
        decided_orders=n_decided / per,
    )
    caused = (backordered | late) & has_code
    return PeriodFigures(
        period=period,
        orders=len(mine) / per,
        parts_priority_orders=int((klass == PriorityClass.PARTS_PRIORITY.value).sum()) / per,
        cancelled_orders=int((~live).sum()) / per,
        downtime=downtime,
        sources=_sources(facts, mine, per),
        lost_priority=_counts(mine["lost_code"].to_numpy(dtype=object), per),
        backorders_open=_counts(code[backordered & open_ & has_code], per),
        backorders_closed=_counts(code[backordered & ~open_ & has_code], per),
        root_causes=_counts(code[caused], per),
        lost_hours=_lost_hours(mine, hours, late & has_code, target, per),
        downtime_hours=live_hours,
    )


def _downtime_hours(orders: pd.DataFrame, as_of: datetime) -> np.ndarray:
    """Hours from creation to restoration, or to ``as_of`` for orders still open."""
    created = orders["created_at"].to_numpy(dtype="datetime64[ns]")
    restored = orders["restored_at"].to_numpy(dtype="datetime64[ns]")
    is_restored = (orders["status"].to_numpy(dtype=object) == "restored") & ~np.isnat(restored)
    end = np.where(is_restored, restored, np.datetime64(as_of, "ns"))
    hours: np.ndarray = np.maximum(((end - created) / _HOUR).astype(np.float64), 0.0)
    return hours


def _sources(facts: ReportFacts, mine: pd.DataFrame, per: float) -> dict[str, SourceFigures]:
    """Units and money by source kind, every kind present."""
    keys = pd.MultiIndex.from_frame(mine[["replication", "order_id"]].astype({"order_id": str}))
    sources = facts.sources
    at = pd.MultiIndex.from_frame(
        sources[["replication", "order_id"]].astype({"order_id": str})
    ).isin(keys)
    served = sources.loc[at]
    sums = served.groupby("source_kind", sort=False)[["quantity", "money"]].sum()
    units = {str(k): float(v) for k, v in sums["quantity"].items()}
    money = {str(k): float(v) for k, v in sums["money"].items()}
    return {
        kind.value: SourceFigures(
            units.get(kind.value, 0.0) / per, money.get(kind.value, 0.0) / per
        )
        for kind in SourceKind
    }


def _counts(values: np.ndarray, per: float) -> dict[str, float]:
    """How often each non-blank value occurs, most frequent first (ties by name)."""
    present = [str(v) for v in values.tolist() if v is not None and not pd.isna(v)]
    if not present:
        return {}
    counted: dict[str, int] = {}
    for code in present:
        counted[code] = counted.get(code, 0) + 1
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return {code: n / per for code, n in ordered}


def _lost_hours(
    mine: pd.DataFrame, hours: np.ndarray, late: np.ndarray, target: float, per: float
) -> pd.DataFrame:
    """Hours beyond the target of late orders, by code, part and depot, largest first."""
    frame = pd.DataFrame(
        {
            "code": mine["code"].to_numpy(dtype=object)[late],
            "part_number": mine["part_number"].astype(str).to_numpy(dtype=object)[late],
            "depot_id": mine["depot_id"].fillna("").astype(str).to_numpy(dtype=object)[late],
            "lost_hours": hours[late] - target,
        }
    )
    grouped = (
        frame.groupby(["code", "part_number", "depot_id"], sort=True)
        .agg(orders=("lost_hours", "size"), lost_hours=("lost_hours", "sum"))
        .reset_index()
    )
    grouped["orders"] = grouped["orders"] / per
    grouped["lost_hours"] = grouped["lost_hours"] / per
    return grouped.sort_values(
        ["lost_hours", "code", "part_number", "depot_id"],
        ascending=[False, True, True, True],
        kind="mergesort",
    ).reset_index(drop=True)


def count_changes(
    now: Mapping[str, float], before: Mapping[str, float] | None
) -> list[tuple[str, float, float | None]]:
    """Each code of ``now`` (and of ``before``) with its count now and before, largest now
    first."""
    codes = list(now)
    if before is not None:
        codes += [c for c in before if c not in now]
    return [(c, now.get(c, 0.0), None if before is None else before.get(c, 0.0)) for c in codes]
