"""Units that orders hold: kept in place when pre-emption is off, taken away when shipped."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.frames import source_identity
from allocation.engine.plan import Plan
from allocation.engine.problem import AllocationProblem

__all__ = ["consume", "pinned_standard_units"]


def consume(
    stock: pd.DataFrame,
    inbound: pd.DataFrame,
    options: pd.DataFrame,
    sources: pd.DataFrame,
    used: npt.NDArray[np.int64],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Take shipped units out of the stock, receipt and supply-option rows they came from."""
    stock, inbound, options = stock.copy(), inbound.copy(), options.copy()
    for s in np.flatnonzero(used):
        src = sources.iloc[int(s)]
        qty = int(used[s])
        if src["base"] == 0:
            match = (stock["part_number"] == src["part_number"]) & (
                stock["depot_id"] == src["origin"]
            )
            stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] - qty
        elif src["base"] == 1:
            # The receipt itself: same part, depot and landing time.
            match = (
                (inbound["part_number"] == src["part_number"])
                & (inbound["depot_id"] == src["origin"])
                & (inbound["eta"] == src["release_at"])
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
                (options["part_number"] == src["part_number"])
                & (options["supplier_id"] == src["origin"])
                & (options["source"] == src["kind_name"])
            )
            options.loc[match, "capacity"] = options.loc[match, "capacity"] - qty
    return stock, inbound, options


def pinned_standard_units(previous: Plan, problem: AllocationProblem) -> npt.NDArray[np.int64]:
    """Units standard orders already hold (allocated, not shipped), mapped onto new arcs.

    With pre-emption off they stay where they are; each is capped by what the source and
    the order still have, in case stock left or the order shrank.
    """
    old = previous.problem
    held = np.flatnonzero(previous.flow > 0)
    old_orders = old.orders_column("order_id", object)[old.arcs.order[held]]
    standard = old.orders_column("group", np.int64)[old.arcs.order[held]] > 0
    keys_old = source_identity(old.sources).to_numpy(dtype=object)[old.arcs.source[held]]
    pins = {
        (o, k): int(q)
        for o, k, q, std in zip(old_orders, keys_old, previous.flow[held], standard, strict=True)
        if std
    }
    pinned = np.zeros(len(problem.arcs), dtype=np.int64)
    if not pins:
        return pinned
    new_orders = problem.orders_column("order_id", object)[problem.arcs.order]
    new_keys = source_identity(problem.sources).to_numpy(dtype=object)[problem.arcs.source]
    supply = problem.sources["quantity"].to_numpy(dtype=np.int64).copy()
    demand = problem.orders_column("quantity", np.int64).copy()
    for a, (o, k) in enumerate(zip(new_orders, new_keys, strict=True)):
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
