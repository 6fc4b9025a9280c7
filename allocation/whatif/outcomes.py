"""Per-order outcomes: what each order asked, got and when — the common ground of every diff.

A plan in memory and a plan read back from files (``allocate --out``) both become the same
table, one row per order::

    order_id, customer_id, country, priority_class, asked, units, unit_hours

``units`` is what the order was allocated, ``unit_hours`` the sum of their ETAs in hours
(units × ETA, the downtime the plan commits to). ``customer_id`` and ``country`` are blank
when the source does not carry them (plan files name neither). Other sources of outcomes,
such as a simulation's records, can produce the same table and be compared with
:func:`allocation.whatif.diff`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocation.adapters.plan_files import read_plan_tables
from allocation.domain.snapshot import Snapshot
from allocation.engine import Plan
from allocation.errors import InputError

__all__ = [
    "OUTCOME_COLUMNS",
    "order_sites",
    "outcomes_from_tables",
    "plan_outcomes",
    "read_outcomes",
]

OUTCOME_COLUMNS = [
    "order_id",
    "customer_id",
    "country",
    "priority_class",
    "asked",
    "units",
    "unit_hours",
]


def plan_outcomes(plan: Plan) -> pd.DataFrame:
    """One row per order of ``plan``: asked, allocated, and units × ETA hours.

    Examples
    --------
    >>> from allocation import allocate, load_snapshot
    >>> table = plan_outcomes(allocate(load_snapshot("scenarios/example")))
    >>> table[table["order_id"] == "O-1012"][["asked", "units", "unit_hours"]]
        asked  units  unit_hours
    11      2      2        72.0
    """
    problem = plan.problem
    orders, arcs = problem.orders, problem.arcs
    unit_hours = np.bincount(arcs.order, weights=plan.flow * arcs.eta_hours, minlength=len(orders))
    return pd.DataFrame(
        {
            "order_id": orders.order_id,
            "customer_id": orders.customer_id,
            "country": orders.country,
            "priority_class": orders.priority_class(),
            "asked": orders.quantity,
            "units": plan.filled,
            "unit_hours": np.round(unit_hours, 6),
        }
    )


def outcomes_from_tables(
    lines: pd.DataFrame, unfilled: pd.DataFrame, orders: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per-order outcomes from a plan's lines and unfilled tables (as ``allocate`` writes them).

    Parameters
    ----------
    lines : DataFrame
        ``order_id``, ``quantity``, ``eta_hours``, ``priority_class``.
    unfilled : DataFrame
        ``order_id``, ``quantity``, ``priority_class``.
    orders : DataFrame, optional
        ``order_id``, ``customer_id``, ``country``: who placed each order and where, for
        summaries by customer and country.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": ["O1", "O1"], "quantity": [1, 2],
    ...                       "eta_hours": [8.0, 30.0], "priority_class": ["standard"] * 2})
    >>> unfilled = pd.DataFrame({"order_id": ["O1", "O2"], "quantity": [1, 3],
    ...                          "priority_class": ["standard"] * 2})
    >>> outcomes_from_tables(lines, unfilled)[["order_id", "asked", "units", "unit_hours"]]
      order_id  asked  units  unit_hours
    0       O1      4      3        68.0
    1       O2      3      0         0.0
    """
    got = lines.assign(
        unit_hours=lines["quantity"].to_numpy(dtype=np.float64)
        * lines["eta_hours"].to_numpy(dtype=np.float64)
    )
    got = got.groupby("order_id", sort=False).agg(
        units=("quantity", "sum"),
        unit_hours=("unit_hours", "sum"),
        line_class=("priority_class", "first"),
    )
    short = unfilled.groupby("order_id", sort=False).agg(
        short=("quantity", "sum"), short_class=("priority_class", "first")
    )
    table = got.join(short, how="outer")
    classes = table["line_class"].where(table["line_class"].notna(), table["short_class"])
    units = table["units"].fillna(0).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "order_id": table.index.to_numpy(dtype=object),
            "customer_id": None,
            "country": None,
            "priority_class": classes.to_numpy(dtype=object),
            "asked": units + table["short"].fillna(0).to_numpy(dtype=np.int64),
            "units": units,
            "unit_hours": np.round(table["unit_hours"].fillna(0.0).to_numpy(np.float64), 6),
        }
    )
    if orders is not None:
        frame = _who_and_where(frame, orders)
    return frame.sort_values("order_id", kind="stable").reset_index(drop=True)[OUTCOME_COLUMNS]


def _who_and_where(frame: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    missing = sorted({"order_id", "customer_id", "country"} - set(orders.columns))
    if missing:
        raise InputError(f"the orders table needs column(s) {', '.join(missing)}")
    known = orders.drop_duplicates("order_id").set_index("order_id")
    frame = frame.copy()
    frame["customer_id"] = frame["order_id"].map(known["customer_id"]).astype(object)
    frame["country"] = frame["order_id"].map(known["country"]).astype(object)
    return frame


def read_outcomes(path: str | Path, snapshot: Snapshot | None = None) -> pd.DataFrame:
    """Per-order outcomes of a plan file written by ``parts-priority allocate``.

    Parameters
    ----------
    path : str or Path
        ``plan.csv`` / ``.parquet`` / ``.json`` with its ``.unfilled`` sibling, or a JSON
        document from ``allocate --json`` (see :func:`read_plan_tables`).
    snapshot : Snapshot, optional
        Where the orders came from: it names each order's customer and site country.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from allocation import allocate, load_snapshot
    >>> snapshot = load_snapshot("scenarios/example")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> plan = allocate(snapshot)
    >>> plan.lines.to_csv(folder / "plan.csv", index=False)
    >>> plan.unfilled.to_csv(folder / "plan.unfilled.csv", index=False)
    >>> int(read_outcomes(folder / "plan.csv", snapshot)["units"].sum())
    11
    """
    lines, unfilled = read_plan_tables(path)
    orders = order_sites(snapshot) if snapshot is not None else None
    return outcomes_from_tables(lines, unfilled, orders)


def order_sites(snapshot: Snapshot) -> pd.DataFrame:
    """``order_id``, ``customer_id`` and ``country`` (ship-to, else the customer's) per order."""
    orders = snapshot.orders
    home = orders["customer_id"].map(
        dict(zip(snapshot.customers["customer_id"], snapshot.customers["country"], strict=True))
    )
    site = orders["ship_to_country"].where(orders["ship_to_country"].notna(), home)
    return pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(dtype=object),
            "customer_id": orders["customer_id"].to_numpy(dtype=object),
            "country": site.to_numpy(dtype=object),
        }
    )
