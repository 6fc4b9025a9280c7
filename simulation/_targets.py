"""Response-time targets in the KPIs: which orders got their parts after their ``need_by``.

Only records of a world with targets have a ``need_by`` column (:mod:`simulation.records`);
only then do the outcomes and KPIs gain the columns here, so that a run without targets
reports exactly what it did before targets existed.

- An order is **late** when its last unit was delivered after its ``need_by`` — as the
  engine counts a unit late (:func:`allocation.engine.objective.late_levels`: after it in
  whole seconds), so that the KPI and the objective never disagree at the edge. An order
  never delivered by the end of its replication (still waiting, or lost) is late when its
  ``need_by`` is before the end, and its hours late are counted up to the end: a lower
  bound, like a censored downtime.
- Its **hours late** run from the ``need_by`` to that delivery (or the end); zero when on
  time; NaN for an order without a target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.core.groupby import DataFrameGroupBy

from allocation.engine import objective
from simulation._rows import BoolArray, FloatArray, Rows

__all__ = ["TARGET_KPI_COLUMNS", "target_kpi_data", "target_kpis", "target_outcomes"]

TARGET_KPI_COLUMNS = ("target_orders", "late_share", "mean_hours_late")
"""KPIs of runs with targets: orders with a target, the share of them delivered late, and
their mean hours late over the late ones (NaN where none was)."""


def target_outcomes(
    rows: Rows, n: int, quantity: FloatArray, end: FloatArray
) -> dict[str, FloatArray | BoolArray]:
    """Per order (``rows.orders``' order): ``need_by`` (hours; NaN: none), ``late`` and
    ``hours_late``; ``quantity`` and ``end`` per order (its units, its replication's end)."""
    of = rows.order_of_row
    delivered = rows.is_event("delivered") & (of >= 0)
    units = np.bincount(of[delivered], weights=rows.quantity[delivered], minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, of[delivered], rows.time[delivered])
    arrived = np.where(units >= quantity, last, end)
    need_by = rows.orders["need_by"].to_numpy(np.float64)
    late, _ = objective.late_levels(arrived, need_by, 1.0)
    is_late = late > 0
    hours = np.where(np.isnan(need_by), np.nan, np.where(is_late, arrived - need_by, 0.0))
    return {"need_by": need_by, "late": is_late, "hours_late": hours}


def target_kpi_data(outcomes: pd.DataFrame) -> dict[str, FloatArray]:
    """The per-order columns :func:`target_kpis` reduces by group (none without targets)."""
    if "need_by" not in outcomes.columns:
        return {}
    has = outcomes["need_by"].notna().to_numpy()
    late = outcomes["late"].to_numpy(bool)
    return {
        "_targets": has.astype(np.float64),
        "_late": np.where(has, late, np.nan),
        "_hours_late": np.where(has & late, outcomes["hours_late"].to_numpy(np.float64), np.nan),
    }


def target_kpis(grouped: DataFrameGroupBy[Any, Any]) -> dict[str, pd.Series]:
    """The target KPIs per group of :func:`target_kpi_data`'s columns."""
    sums = grouped[["_targets"]].sum()
    means = grouped[["_late", "_hours_late"]].mean()
    return {
        "target_orders": sums["_targets"].astype(np.int64),
        "late_share": means["_late"],
        "mean_hours_late": means["_hours_late"],
    }
