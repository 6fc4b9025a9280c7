"""Marginal value: what one more unit of a part at a depot would buy, level by level.

For each part with unfilled demand and each depot that could hold the extra unit (the home
depots of the orders waiting for it, and depots that stock it), the part's group is solved
again with one more unit there and the objective levels are compared. Sorted
lexicographically — parts-priority units gained first, then parts-priority hours saved, and
so on — it is the list a planner reads to decide what to expedite or buy from a broker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.engine.incremental import Planner

__all__ = ["marginal_values"]


def marginal_values(planner: Planner, parts: list[str] | None = None) -> pd.DataFrame:
    """Objective gained by one more unit of each part at each candidate depot.

    Returns
    -------
    DataFrame
        ``part_number``, ``depot_id`` and, per objective level, the change: units gained
        (positive is better) and ETA hours (negative is better), then ``cost``; best first.
    """
    plan = planner.plan()
    unfilled = plan.unfilled
    wanted = sorted(set(unfilled["part_number"])) if parts is None else list(parts)
    orders = plan.problem.orders
    rows = []
    for part in wanted:
        state = planner._group(part)
        base = state.plan.objective()
        waiting = orders[orders["part_number"] == part]
        depots = set(waiting["home_depot"].dropna()) | set(
            state.stock.loc[state.stock["part_number"] == part, "depot_id"]
        )
        for depot in sorted(depots):
            stock = state.stock.copy()
            match = (stock["part_number"] == part) & (stock["depot_id"] == depot)
            if match.any():
                stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] + 1
            else:
                extra = {"part_number": part, "depot_id": depot, "on_hand": 1}
                stock = pd.concat([stock, pd.DataFrame([extra])], ignore_index=True)
            after = planner._resolved(
                stock, state.inbound, state.options, state.plan.problem.orders, None
            ).plan.objective()
            rows.append(
                {"part_number": part, "depot_id": depot}
                | {k: round(after[k] - base[k], 4) for k in base}
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    keys = [c for c in frame.columns if c not in ("part_number", "depot_id")]
    # Units up (descending), hours and cost down (ascending): one lexicographic sort.
    sort_cols = [(-frame[c] if c.endswith("_units") else frame[c]).to_numpy() for c in keys]
    order = np.lexsort(tuple(reversed(sort_cols)))
    return frame.iloc[order].reset_index(drop=True)
