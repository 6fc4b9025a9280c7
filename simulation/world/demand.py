"""Repair orders of one replication, drawn up front as a table.

A Poisson stream split over order templates is the same as independent streams per template;
with piecewise-constant rates (demand surges switch on and off), each piece's count is
Poisson and, given the count, arrival times are independent and uniform on the piece. That
draws a year of orders in a few vectorised calls, and the same seed gives the same orders
whatever the policy — the common random numbers policy comparisons need.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.domain.countries import normalize_country
from simulation.world.setup import WorldSetup, match_parts

__all__ = ["ORDER_COLUMNS", "draw_arrivals"]

ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "part_number",
    "quantity",
    "created_at",
    "product_type",
    "warranty_valid",
    "ship_to_country",
]


def draw_arrivals(setup: WorldSetup, rng: np.random.Generator) -> pd.DataFrame:
    """The orders arriving during the horizon, sorted by time, ids ``SIM-0000001``...

    Columns: the orders table's (see :data:`ORDER_COLUMNS`) plus ``time`` (hours since the
    start). A replay scenario returns its log's orders with their own ids.
    """
    if setup.replay is not None:
        return setup.replay[[*ORDER_COLUMNS, "time"]].reset_index(drop=True)
    mix = setup.mix
    horizon = setup.horizon_hours
    base = mix["per_hour"].to_numpy(dtype=np.float64)
    cuts = {0.0, horizon}
    for surge in setup.surges:
        cuts.update(min(max(t * 24.0, 0.0), horizon) for t in (surge.start_day, surge.end_day))
    edges = sorted(cuts)
    surge_masks = [
        match_parts(surge.parts, mix["part_number"].tolist())
        & _countries(surge.countries, mix["country"].to_numpy(dtype=object))
        for surge in setup.surges
    ]
    times, marks = [], []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        rate = base.copy()
        for surge, mask in zip(setup.surges, surge_masks, strict=True):
            if surge.start_day * 24.0 <= low and high <= surge.end_day * 24.0:
                rate[mask] *= surge.factor
        total = float(rate.sum())
        if total <= 0 or high <= low:
            continue
        count = int(rng.poisson(total * (high - low)))
        times.append(rng.uniform(low, high, size=count))
        marks.append(rng.choice(len(rate), size=count, p=rate / total))
    when = np.concatenate(times) if times else np.zeros(0)
    which = np.concatenate(marks).astype(np.int64) if marks else np.zeros(0, dtype=np.int64)
    order = np.argsort(when, kind="stable")
    when, which = when[order], which[order]
    picked = mix.iloc[which]
    return pd.DataFrame(
        {
            "order_id": [f"SIM-{i + 1:07d}" for i in range(len(when))],
            "customer_id": picked["customer_id"].to_numpy(dtype=object),
            "part_number": picked["part_number"].to_numpy(dtype=object),
            "quantity": picked["quantity"].to_numpy(dtype=np.int64),
            "created_at": (setup.start + pd.to_timedelta(when, unit="h")).to_numpy(),
            "product_type": picked["product_type"].to_numpy(dtype=object),
            "warranty_valid": picked["warranty_valid"].to_numpy(dtype=bool),
            "ship_to_country": picked["ship_to_country"].to_numpy(dtype=object),
            "time": when,
        }
    )


def _countries(names: list[str], country: np.ndarray) -> np.ndarray:
    if not names:
        return np.ones(len(country), dtype=bool)
    wanted = {normalize_country(n) for n in names}
    return np.array([c in wanted for c in country], dtype=bool)
