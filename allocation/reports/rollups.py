"""Root causes rolled up by part, depot, country, customer or period.

A performance report answers for one customer; a planner asks the other way round: which
parts, depots or countries make the most backorders and lost hours, and is it getting
better. :func:`root_cause_rollup` counts, from the same report facts, the orders that had a
root cause (backordered or late: the ``code`` column) and the hours they lost beyond the
target, per code and per value of one dimension.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from allocation.errors import InputError
from allocation.reports.facts import ReportFacts

__all__ = ["ROLLUP_DIMENSIONS", "root_cause_rollup"]

Dimension = Literal["part_number", "depot_id", "country", "customer_id", "month", "quarter"]
ROLLUP_DIMENSIONS: tuple[str, ...] = (
    "part_number",
    "depot_id",
    "country",
    "customer_id",
    "month",
    "quarter",
)
"""What a roll-up can be by: an order attribute, or the month or quarter it was created in."""

_HOUR = np.timedelta64(3600, "s")


def root_cause_rollup(facts: ReportFacts, by: str) -> pd.DataFrame:
    """Orders with a root cause and the hours they lost, per ``by`` value and code.

    Returns
    -------
    DataFrame
        ``<by>, code, orders, units, lost_hours``, largest ``lost_hours`` then ``orders``
        first. With several replications the figures are means per replication. ``orders``
        counts the orders whose ``code`` is set (backordered or late); ``lost_hours`` are
        the hours beyond the target (up to ``as_of`` for an order still open).

    Raises
    ------
    InputError
        When ``by`` is not one of :data:`ROLLUP_DIMENSIONS`.

    Examples
    --------
    >>> from datetime import datetime
    >>> from allocation.reports.facts import empty_orders, empty_sources
    >>> orders = empty_orders()
    >>> orders.loc[0] = [0, "O1", "C1", datetime(2026, 7, 1), "P1", "D1", "DE", 2,
    ...                  "parts_priority", "PM", None, "open", pd.NaT, True, "no_stock_anywhere"]
    >>> facts = ReportFacts(orders, empty_sources(),
    ...     pd.DataFrame({"customer_id": ["C1"], "name": ["Acme"], "tier": ["PM"]}),
    ...     as_of=datetime(2026, 7, 3), target_hours=24.0, origin="example")
    >>> root_cause_rollup(facts, "quarter").to_dict("records")[0]["lost_hours"]
    24.0
    """
    if by not in ROLLUP_DIMENSIONS:
        raise InputError(
            f"cannot roll root causes up by {by!r}; choose one of {', '.join(ROLLUP_DIMENSIONS)}"
        )
    orders = facts.orders
    coded = orders[orders["code"].notna() & (orders["code"].astype(str) != "")]
    created = pd.to_datetime(coded["created_at"])
    if by == "month":
        key = created.dt.strftime("%Y-%m")
    elif by == "quarter":
        key = created.dt.year.astype(str) + "-Q" + created.dt.quarter.astype(str)
    else:
        key = coded[by].astype(object).where(coded[by].notna(), "")
    ended = pd.to_datetime(coded["restored_at"]).where(
        coded["status"] == "restored", pd.Timestamp(facts.as_of)
    )
    waited = (ended - created).to_numpy(dtype="timedelta64[ns]") / _HOUR
    lost = np.where(coded["status"] == "cancelled", 0.0, np.maximum(waited - facts.target_hours, 0))
    table = pd.DataFrame(
        {
            by: key.to_numpy(dtype=object),
            "code": coded["code"].astype(str).to_numpy(dtype=object),
            "orders": np.ones(len(coded)),
            "units": coded["quantity"].to_numpy(dtype=np.float64),
            "lost_hours": lost,
        }
    )
    summed = table.groupby([by, "code"], sort=True).sum().reset_index()
    per = float(facts.replications)
    for column in ("orders", "units", "lost_hours"):
        summed[column] = summed[column] / per
    ordered = summed.sort_values(
        ["lost_hours", "orders", by, "code"], ascending=[False, False, True, True], kind="stable"
    )
    return ordered.reset_index(drop=True)
