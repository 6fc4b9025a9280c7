"""Who gains and who loses between two plans: per order, and summed by customer, country, class.

Orders are matched by id. An order gains when it gets more units, or as many and sooner (a
lower mean ETA of its units); it loses the other way round. Orders in only one plan (demand
scaled, a what-if that dropped them) are marked ``only_in_a`` / ``only_in_b``: never a gain
or a loss of their own, but their units count in the totals of their customer, country and
class — a new order that takes a unit is exactly why another customer may get fewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from allocation.engine import Plan, html_block, html_table
from allocation.errors import InputError
from allocation.whatif.outcomes import OUTCOME_COLUMNS, plan_outcomes

__all__ = ["LEVELS", "PlanDiff", "diff"]

LEVELS = ("order", "customer", "country", "priority_class")
_EPS = 1e-6  # hours: ETAs closer than this are the same
_BY_COLUMNS = [
    "orders",
    "gaining",
    "losing",
    "only_in_a",
    "only_in_b",
    "units_a",
    "units_b",
    "units_change",
    "unit_hours_a",
    "unit_hours_b",
    "eta_hours_a",
    "eta_hours_b",
    "eta_change",
]


@dataclass(frozen=True)
class PlanDiff:
    """The difference between plan A and plan B, order by order.

    Attributes
    ----------
    orders : DataFrame
        One row per order id in either plan (see :meth:`to_pandas`).

    Examples
    --------
    >>> from allocation import allocate, load_snapshot, set_tier
    >>> before = load_snapshot("scenarios/example")
    >>> change = diff(allocate(before), allocate(set_tier(before, "C-NORD", "PM")))
    >>> change
    PlanDiff(16 orders: 1 gain, 1 lose, 0 only in A, 0 only in B; units 11 → 13)
    >>> moved = change.to_pandas().query("change != 'same'")
    >>> moved[["order_id", "change", "units_a", "units_b", "eta_hours_a", "eta_hours_b"]]
       order_id change  units_a  units_b  eta_hours_a  eta_hours_b
    6    O-1007  gains        1        3         36.0         42.0
    11   O-1012  loses        2        2         36.0         45.0
    """

    orders: pd.DataFrame

    def to_pandas(self) -> pd.DataFrame:
        """Per order: ``order_id``, ``customer_id``, ``country``, ``priority_class`` (B's,
        else A's), ``change`` (``gains``, ``loses``, ``same``, ``only_in_a``, ``only_in_b``),
        then for A and B: ``asked``, ``units``, ``unit_hours`` (units × ETA) and
        ``eta_hours`` (mean ETA of its units; blank with none), with ``units_change`` and
        ``eta_change`` (B − A), and each plan's class (``priority_class_a``, ``_b``)."""
        return self.orders.copy()

    def by(self, level: str) -> pd.DataFrame:
        """Totals per ``customer``, ``country`` or ``priority_class`` (``order``: per order).

        Columns: the level, ``orders``, ``gaining``, ``losing``, ``only_in_a``,
        ``only_in_b``, ``units_a``, ``units_b``, ``units_change``, ``unit_hours_a``,
        ``unit_hours_b``, ``eta_hours_a``, ``eta_hours_b`` (mean ETA per allocated unit) and
        ``eta_change``.
        """
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r} (use one of {', '.join(LEVELS)})")
        if level == "order":
            return self.to_pandas()
        key = "customer_id" if level == "customer" else level
        frame = self.orders
        if frame[key].isna().all() and len(frame):
            raise InputError(
                f"these plans do not say which {level} each order belongs to (plan files "
                "carry no customer or country); give the orders table or compare plans"
            )
        change = frame["change"]
        grouped = frame.assign(
            gaining=change == "gains",
            losing=change == "loses",
            only_in_a=change == "only_in_a",
            only_in_b=change == "only_in_b",
        ).groupby(frame[key].fillna("?"), sort=True)
        table = grouped.agg(
            orders=("order_id", "size"),
            gaining=("gaining", "sum"),
            losing=("losing", "sum"),
            only_in_a=("only_in_a", "sum"),
            only_in_b=("only_in_b", "sum"),
            units_a=("units_a", "sum"),
            units_b=("units_b", "sum"),
            unit_hours_a=("unit_hours_a", "sum"),
            unit_hours_b=("unit_hours_b", "sum"),
        )
        table["units_change"] = table["units_b"] - table["units_a"]
        table["eta_hours_a"] = _mean(table["unit_hours_a"], table["units_a"])
        table["eta_hours_b"] = _mean(table["unit_hours_b"], table["units_b"])
        table["eta_change"] = (table["eta_hours_b"] - table["eta_hours_a"]).round(3)
        table.index.name = level
        return table.reset_index()[[level, *_BY_COLUMNS]]

    def summary(self) -> dict[str, Any]:
        """Counts of orders gaining and losing, units in each plan, and totals by class."""
        change = self.orders["change"].value_counts()
        by_class = self.by("priority_class")
        return {
            "orders": len(self.orders),
            "gaining": int(change.get("gains", 0)),
            "losing": int(change.get("loses", 0)),
            "unchanged": int(change.get("same", 0)),
            "only_in_a": int(change.get("only_in_a", 0)),
            "only_in_b": int(change.get("only_in_b", 0)),
            "units_a": int(self.orders["units_a"].sum()),
            "units_b": int(self.orders["units_b"].sum()),
            "by_priority_class": [
                {k: _plain(v) for k, v in row.items()} for row in by_class.to_dict("records")
            ],
        }

    def _repr_html_(self) -> str:
        s = self.summary()
        moved = self.orders[self.orders["change"].isin(["gains", "loses"])]
        moved = moved.sort_values(["units_change", "eta_change"], ascending=[True, False])
        columns = ["order_id", "customer_id", "priority_class", "change", "units_a", "units_b"]
        return html_block(
            "Plan A → plan B",
            [
                html_table(self.by("priority_class"), "by priority class"),
                html_table(
                    moved[[*columns, "eta_hours_a", "eta_hours_b"]], "orders that moved", 10
                ),
            ],
            [
                f"{s['orders']:,} orders: {s['gaining']:,} gain, {s['losing']:,} lose, "
                f"{s['unchanged']:,} unchanged, {s['only_in_a']:,} only in A, "
                f"{s['only_in_b']:,} only in B; units {s['units_a']:,} → {s['units_b']:,}"
            ],
        )

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"PlanDiff({s['orders']} orders: {s['gaining']} gain, {s['losing']} lose, "
            f"{s['only_in_a']} only in A, {s['only_in_b']} only in B; "
            f"units {s['units_a']} → {s['units_b']})"
        )


def diff(a: Plan | pd.DataFrame, b: Plan | pd.DataFrame) -> PlanDiff:
    """Who gains and who loses from plan ``a`` to plan ``b``.

    Parameters
    ----------
    a, b : Plan or DataFrame
        Plans, or per-order outcome tables (:func:`allocation.whatif.outcomes_from_tables`).

    Returns
    -------
    PlanDiff
        ``.to_pandas()`` per order, ``.by("customer" | "country" | "priority_class")``,
        ``.summary()``; shown as tables in a notebook.

    Examples
    --------
    >>> from allocation import allocate, load_snapshot, take_depot_offline
    >>> before = load_snapshot("scenarios/example")
    >>> change = diff(allocate(before), allocate(take_depot_offline(before, "D-US")))
    >>> change.by("priority_class")[["priority_class", "units_a", "units_b", "losing"]]
       priority_class  units_a  units_b  losing
    0  parts_priority        5        4       3
    1        standard        6        3       2
    """
    left, right = _outcomes(a), _outcomes(b)
    for name, table in (("a", left), ("b", right)):
        missing = sorted(set(OUTCOME_COLUMNS) - set(table.columns))
        if missing:
            raise InputError(f"plan {name}: outcome table lacks column(s) {', '.join(missing)}")
        if table["order_id"].duplicated().any():
            raise InputError(f"plan {name}: order ids repeat; each order must appear once")
    both = left.merge(right, on="order_id", how="outer", suffixes=("_a", "_b"), indicator=True)
    return PlanDiff(_per_order(both))


def _outcomes(plan: Plan | pd.DataFrame) -> pd.DataFrame:
    if isinstance(plan, Plan):
        return plan_outcomes(plan)
    if isinstance(plan, pd.DataFrame):
        return plan
    raise InputError(f"diff compares plans or outcome tables, got {type(plan).__name__}")


def _per_order(both: pd.DataFrame) -> pd.DataFrame:
    in_a = both["_merge"].isin(["both", "left_only"]).to_numpy()
    in_b = both["_merge"].isin(["both", "right_only"]).to_numpy()
    out = pd.DataFrame({"order_id": both["order_id"].to_numpy(dtype=object)})
    for column in ("customer_id", "country", "priority_class"):
        first = both[f"{column}_b"].where(in_b, both[f"{column}_a"])
        out[column] = first.to_numpy(dtype=object)
    for side in ("a", "b"):
        for column in ("asked", "units"):
            out[f"{column}_{side}"] = both[f"{column}_{side}"].fillna(0).to_numpy(dtype=np.int64)
        out[f"unit_hours_{side}"] = both[f"unit_hours_{side}"].fillna(0.0).to_numpy(np.float64)
        out[f"eta_hours_{side}"] = _mean(out[f"unit_hours_{side}"], out[f"units_{side}"])
    out["units_change"] = out["units_b"] - out["units_a"]
    out["eta_change"] = (out["eta_hours_b"] - out["eta_hours_a"]).round(3)
    sooner = out["eta_change"].to_numpy() < -_EPS
    later = out["eta_change"].to_numpy() > _EPS
    gains = (out["units_change"] > 0).to_numpy() | ((out["units_change"] == 0).to_numpy() & sooner)
    loses = (out["units_change"] < 0).to_numpy() | ((out["units_change"] == 0).to_numpy() & later)
    change = np.where(gains, "gains", np.where(loses, "loses", "same")).astype(object)
    change[~in_b] = "only_in_a"
    change[~in_a] = "only_in_b"
    out.insert(4, "change", change)
    out["priority_class_a"] = both["priority_class_a"].to_numpy(dtype=object)
    out["priority_class_b"] = both["priority_class_b"].to_numpy(dtype=object)
    return out.sort_values("order_id", kind="stable").reset_index(drop=True)


def _mean(hours: pd.Series, units: pd.Series) -> pd.Series:
    """Mean ETA per unit, rounded to 3 decimals; blank where no unit was allocated."""
    u = units.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(u > 0, hours.to_numpy(dtype=np.float64) / u, np.nan)
    return pd.Series(np.round(mean, 3), index=units.index)


def _plain(value: object) -> object:
    """A JSON-ready Python value (NaN becomes None)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value
