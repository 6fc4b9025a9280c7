"""Units that orders hold: kept in place when pre-emption is off, taken away when shipped."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import SourceBase
from allocation.engine._plan import Plan
from allocation.engine.model import Problem, SourceColumns

__all__ = ["consume", "pinned_standard_units"]

IntArray = npt.NDArray[np.int64]


def consume(
    stock: pd.DataFrame,
    inbound: pd.DataFrame,
    options: pd.DataFrame,
    sources: SourceColumns,
    used: IntArray,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Take shipped units out of the stock, receipt and supply-option rows they came from."""
    stock, inbound, options = stock.copy(), inbound.copy(), options.copy()
    for s in np.flatnonzero(used).tolist():
        qty = int(used[s])
        part, origin, base = sources.part_number[s], sources.origin[s], int(sources.base[s])
        if base == SourceBase.SHELF:
            match = (stock["part_number"] == part) & (stock["depot_id"] == origin)
            stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] - qty
        elif base == SourceBase.RECEIPT:
            # The receipt itself: same part, depot and landing time.
            match = (
                (inbound["part_number"] == part)
                & (inbound["depot_id"] == origin)
                & (inbound["eta"] == sources.release_at[s])
            ).to_numpy()
            values = inbound["quantity"].to_numpy(dtype=np.int64).copy()
            for r in np.flatnonzero(match):
                take = min(qty, int(values[r]))
                values[r] -= take
                qty -= take
            inbound["quantity"] = values
            inbound = inbound[inbound["quantity"] > 0]
        else:
            match = (
                (options["part_number"] == part)
                & (options["supplier_id"] == origin)
                & (options["source"] == SourceBase(base).label)
            )
            options.loc[match, "capacity"] = options.loc[match, "capacity"] - qty
    return stock, inbound, options


def pinned_standard_units(previous: Plan, problem: Problem) -> IntArray:
    """Units standard orders already hold (allocated, not shipped), mapped onto new arcs.

    With pre-emption off they stay where they are; each is capped by what the source and
    the order still have, in case stock left or the order shrank.
    """
    old = previous.problem
    held = np.flatnonzero(previous.flow > 0)
    standard = old.orders.group[old.arcs.order[held]] > 0
    held = held[standard]
    pinned = np.zeros(len(problem.arcs), dtype=np.int64)
    if len(held) == 0:
        return pinned
    old_orders = old.orders.order_id[old.arcs.order[held]]
    keys_old = old.sources.identity()[old.arcs.source[held]]
    pins: dict[tuple[str, str], int] = {}
    for o, k, q in zip(
        old_orders.tolist(), keys_old.tolist(), previous.flow[held].tolist(), strict=True
    ):
        pins[(o, k)] = pins.get((o, k), 0) + q
    new_orders = problem.orders.order_id[problem.arcs.order]
    new_keys = problem.sources.identity()[problem.arcs.source]
    supply = problem.sources.quantity.copy()
    demand = problem.orders.quantity.copy()
    for a, (o, k) in enumerate(zip(new_orders.tolist(), new_keys.tolist(), strict=True)):
        want = pins.get((o, k), 0)
        if want:
            s, r = int(problem.arcs.source[a]), int(problem.arcs.order[a])
            give = min(want, int(supply[s]), int(demand[r]))
            pinned[a] = give
            supply[s] -= give
            demand[r] -= give
            # Sources alike in every respect share an identity: a unit is pinned once.
            pins[(o, k)] = want - give
    return pinned
