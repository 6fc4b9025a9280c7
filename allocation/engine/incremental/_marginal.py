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

from allocation.engine.incremental._planner import Planner

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
    homes = orders.home_depot(plan.problem.context)
    rows = []
    for part in wanted:
        base = planner.group_plan(part).objective()
        stock, _, _ = planner.group_supply(part)
        waiting = homes[orders.part_number == part]
        depots = {h for h in waiting.tolist() if h is not None} | set(
            stock.loc[stock["part_number"] == part, "depot_id"]
        )
        for depot in sorted(depots):
            after = planner.with_more_stock(part, depot, 1).objective()
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
