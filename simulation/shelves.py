"""Shelves measured from the records: where orders waited, and what stock sat on a shelf.

A *shelf* is one part at one depot. Protection levels act on shelves, so choosing them
starts from where ``parts_priority`` orders waited and ends with what the levels kept on the
shelf. Both are computed from the event records alone (like every measure here): an order's
home depot is on its ``order_created`` row, and a shelf's stock is its ``receipt`` rows
minus the ``allocated`` rows that took units from it (``stock``, ``transfer``, ``inbound``;
the conservation tests prove that these rebuild every shelf exactly).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from simulation.results import SimulationResult

__all__ = ["shelf_orders", "shelf_stock", "waiting_shelves"]

_SHELF_KINDS = ("stock", "transfer", "inbound")


def shelf_orders(result: SimulationResult) -> pd.DataFrame:
    """Per-order outcomes of a run with each order's home depot (``depot_id``, from its
    ``order_created`` row, as :func:`simulation.metrics.order_outcomes` gives it).

    Examples
    --------
    >>> from simulation import load_scenario, simulate
    >>> quick = load_scenario("scenarios/normal-quarter.yaml", {"horizon_days": 2})
    >>> table = shelf_orders(simulate(quick, replications=1))
    >>> bool(table["depot_id"].notna().all())
    True
    """
    outcomes = result.outcomes
    return outcomes.assign(
        order_id=outcomes["order_id"].astype(str),
        depot_id=outcomes["depot_id"].astype(object),
    )


def shelf_stock(records: pd.DataFrame, levels: Mapping[tuple[str, str], int]) -> pd.DataFrame:
    """Time-averaged units on each shelf, and of them the units under its level.

    Parameters
    ----------
    records : DataFrame
        A run's event records.
    levels : mapping of (depot_id, part_number) to int
        The shelves to measure and their protection levels.

    Returns
    -------
    DataFrame
        ``replication, depot_id, part_number, level, mean_on_hand, mean_held`` — the mean
        over the run (from time 0 to its end) of the units on hand and of ``min(level, on
        hand)``: stock kept back for parts-priority orders, idle until one comes.

    Examples
    --------
    >>> from simulation.records import Recorder
    >>> rec = Recorder()
    >>> rec.emit(0.0, "receipt", part_number="P", depot_id="D", source_kind="initial", quantity=3)
    >>> rec.emit(5.0, "allocated", order_id="O", part_number="P", source_kind="stock",
    ...          origin="D", quantity=2)
    >>> rec.emit(10.0, "end")
    >>> row = shelf_stock(rec.to_frame(), {("D", "P"): 2}).iloc[0]
    >>> float(row["mean_on_hand"]), float(row["mean_held"])
    (2.0, 1.5)
    """
    rows = []
    event = records["event"].astype(str)
    kind = records["source_kind"].astype(object)
    arrive = event == "receipt"
    leave = (event == "allocated") & kind.isin(_SHELF_KINDS)
    depot = records["depot_id"].astype(object).where(arrive, records["origin"].astype(object))
    part = records["part_number"].astype(object)
    moved = records.assign(
        _depot=depot,
        _part=part,
        _delta=np.where(arrive, 1, -1) * records["quantity"].fillna(0).to_numpy(np.float64),
    )[arrive | leave]
    ends = records[event == "end"].groupby("replication")["time"].max()
    for replication, end in ends.items():
        mine = moved[moved["replication"] == replication]
        for (depot_id, part_number), level in sorted(levels.items()):
            shelf = mine[(mine["_depot"] == depot_id) & (mine["_part"] == part_number)]
            on_hand, held = _time_average(shelf, float(end), level)
            rows.append(
                {
                    "replication": int(replication),  # type: ignore[call-overload]
                    "depot_id": depot_id,
                    "part_number": part_number,
                    "level": level,
                    "mean_on_hand": on_hand,
                    "mean_held": held,
                }
            )
    columns = ["replication", "depot_id", "part_number", "level", "mean_on_hand", "mean_held"]
    return pd.DataFrame(rows, columns=columns)


def _time_average(shelf: pd.DataFrame, end: float, level: int) -> tuple[float, float]:
    if end <= 0:
        return 0.0, 0.0
    shelf = shelf.sort_values("time", kind="stable")
    times = np.clip(shelf["time"].to_numpy(np.float64), 0.0, end)
    stock = np.cumsum(shelf["_delta"].to_numpy(np.float64))
    spans = np.diff(np.append(times, end))
    on_hand = float(np.sum(stock * spans) / end)
    held = float(np.sum(np.minimum(stock, level) * spans) / end)
    return on_hand, held


def waiting_shelves(
    orders: pd.DataFrame, replications: int, allowed: Sequence[tuple[str, str]]
) -> pd.DataFrame:
    """Shelves where ``parts_priority`` orders were not filled on arrival, most waiting
    hours first: ``depot_id, part_number, orders_waiting, waiting_hours`` (per replication).
    Only ``allowed`` shelves count."""
    waited = orders[
        (orders["priority_class"].astype(str) == "parts_priority") & ~orders["filled_on_arrival"]
    ]
    keys = pd.Series(list(zip(waited["depot_id"], waited["part_number"].astype(str), strict=True)))
    waited = waited[keys.isin(set(allowed)).to_numpy()]
    table = (
        waited.groupby(["depot_id", "part_number"], observed=True)
        .agg(orders_waiting=("order_id", "size"), waiting_hours=("downtime_hours", "sum"))
        .reset_index()
    )
    table["orders_waiting"] = table["orders_waiting"] / replications
    table["waiting_hours"] = table["waiting_hours"] / replications
    table["part_number"] = table["part_number"].astype(str)
    return table.sort_values(
        ["waiting_hours", "depot_id", "part_number"], ascending=[False, True, True]
    ).reset_index(drop=True)
