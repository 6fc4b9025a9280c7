"""Supply and lanes: too little stock, inbound and supply options for exactly the hot parts.

The covered share of demand is handed out per part so that the hottest parts are the most
short, then split between options (expedite and broker), inbound receipts and stock spread over
the depots by market size. Lanes join every depot to every site country and to every other
depot, and every supplier to every depot, with transit times by distance class, so that any
unit of supply can reach any order.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from allocation.adapters.synthetic._common import (
    BoolArray,
    FloatArray,
    IntArray,
    largest_remainder,
    timestamps,
)
from allocation.adapters.synthetic._demand import Catalogue
from allocation.adapters.synthetic._geography import BROKERS, FACTORIES, Geography


def _coverage(rng: np.random.Generator, demand: IntArray, share: float) -> IntArray:
    """Units of each part that supply will cover: round(share x demand) in all, hot parts least.

    A part's covered fraction is ``min(1, k * demand**-0.35 * noise)`` with ``k`` found by
    bisection, so the hottest parts are short and many cold ones fully covered.
    """
    total = int(demand.sum())
    target = round(share * total)
    if target >= total:
        return demand.copy()
    has = demand > 0
    g = np.zeros(len(demand))
    g[has] = demand[has] ** -0.35 * rng.lognormal(0.0, 0.35, int(has.sum()))
    low, high = 0.0, 1.0 / g[has].min()
    for _ in range(100):
        k = (low + high) / 2
        if (np.minimum(1.0, k * g) * demand).sum() < target:
            low = k
        else:
            high = k
    return largest_remainder(np.minimum(1.0, high * g) * demand, target)


def draw_supply(
    rng: np.random.Generator,
    demand: IntArray,
    share: float,
    cat: Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
    now: datetime,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split each part's covered units into options (~10%), inbound (~15%) and stock."""
    covered = _coverage(rng, demand, share)
    n = len(demand)
    has = demand > 0
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-demand, kind="stable")] = np.arange(n)
    hot = has & (rank < np.ceil(0.2 * has.sum()))
    target = covered.sum()
    eligible = has & np.where(hot, rng.random(n) < 0.9, rng.random(n) < 0.05)
    optioned = _portion(rng, covered, eligible, 0.10 * target)
    eligible = has & np.where(hot, rng.random(n) < 0.7, rng.random(n) < 0.25)
    inbound = _portion(rng, covered - optioned, eligible, 0.15 * target)
    stock = covered - optioned - inbound
    full = has & (covered == demand) & (rng.random(n) < 0.3)
    idle = ~has & (rng.random(n) < 0.25)
    stock = (
        stock + np.where(full, rng.integers(1, 4, n), 0) + np.where(idle, rng.integers(1, 5, n), 0)
    )
    return (
        _stock_table(rng, stock, cat, depots, depot_weight),
        _inbound_table(rng, inbound, cat, depots, depot_weight, now),
        _options_table(rng, optioned, cat),
    )


def _portion(
    rng: np.random.Generator, units: IntArray, eligible: BoolArray, target: float
) -> IntArray:
    pool = units[eligible].sum()
    rate = min(0.6, target / pool) if pool else 0.0
    exact = units * rate * rng.uniform(0.7, 1.3, len(units))
    part = np.floor(exact + rng.random(len(units))).astype(np.int64)  # unbiased rounding
    return np.where(eligible, np.minimum(part, units), 0)


def _split(rng: np.random.Generator, units: IntArray, groups: IntArray) -> IntArray:
    """Split ``units[g]`` over the rows of each group ``g`` at random (rows sorted by group).

    Each row gets the floor of a random share; the rounding rest goes to the group's first
    row, so every group's rows sum to its units exactly.
    """
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    weight = rng.uniform(0.5, 1.5, len(groups))
    total = np.bincount(groups, weights=weight, minlength=len(units))
    qty = np.floor(units[groups] * weight / total[groups]).astype(np.int64)
    rest = units - np.bincount(groups, weights=qty, minlength=len(units)).astype(np.int64)
    first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    qty[first] += rest[groups[first]]
    return qty


def _stock_table(
    rng: np.random.Generator,
    units: IntArray,
    cat: Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
) -> pd.DataFrame:
    """Hot parts spread over many depots (about sqrt(units)/2), cold ones over one or two."""
    n_depots = len(depot_weight)
    parts = np.flatnonzero(units > 0)
    spread = np.clip(np.ceil(np.sqrt(units[parts]) / 2), 1, n_depots).astype(np.int64)
    log_w = np.log(depot_weight)
    chunk = max(1, 4_000_000 // n_depots)
    found: list[tuple[IntArray, IntArray]] = []
    for lo in range(0, len(parts), chunk):
        # Gumbel top-k: each part's depots drawn without replacement, by depot weight.
        keys = log_w + rng.gumbel(size=(min(chunk, len(parts) - lo), n_depots))
        order = np.argsort(-keys, axis=1)
        row, col = np.nonzero(np.arange(n_depots) < spread[lo : lo + chunk, None])
        found.append((row + lo, order[row, col]))
    row = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.int64)
    depot = np.concatenate([f[1] for f in found]) if found else np.zeros(0, dtype=np.int64)
    qty = _split(rng, units[parts], row)
    keep = qty > 0
    return pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row[keep]]],
            "depot_id": depots["depot_id"].to_numpy(dtype=object)[depot[keep]],
            "on_hand": qty[keep],
        }
    )


def _inbound_table(
    rng: np.random.Generator,
    units: IntArray,
    cat: Catalogue,
    depots: pd.DataFrame,
    depot_weight: FloatArray,
    now: datetime,
) -> pd.DataFrame:
    """One receipt per part, two for some larger ones, landing 6 h to 21 days after ``now``."""
    parts = np.flatnonzero(units > 0)
    count = 1 + ((units[parts] >= 4) & (rng.random(len(parts)) < 0.5))
    row = np.repeat(np.arange(len(parts)), count)
    qty = _split(rng, units[parts], row)
    keep = qty > 0
    m = int(keep.sum())
    depot = rng.choice(len(depot_weight), m, p=depot_weight / depot_weight.sum())
    hours = rng.integers(6, 21 * 24 + 1, m).astype(np.int64)
    return pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row[keep]]],
            "depot_id": depots["depot_id"].to_numpy(dtype=object)[depot],
            "quantity": qty[keep],
            "eta": timestamps(now, hours * 3600).astype("datetime64[ns]"),
        }
    )


def _options_table(rng: np.random.Generator, units: IntArray, cat: Catalogue) -> pd.DataFrame:
    """Up to three options per part: its factory's expedite (often) and distinct brokers."""
    parts = np.flatnonzero(units > 0)
    u = units[parts]
    r = rng.random((2, len(parts)))
    count = 1 + ((u >= 2) & (r[0] < 0.6)) + ((u >= 3) & (r[1] < 0.3))
    row = np.repeat(np.arange(len(parts)), count)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    expedite_first = rng.random(len(parts)) < 0.65
    nb = len(BROKERS)
    # Brokers b0, b0 + step, b0 + 2 step (mod a prime count) are distinct for a part.
    b0, step = rng.integers(0, nb, len(parts)), rng.integers(1, nb, len(parts))
    is_expedite = expedite_first[row] & (slot == 0)
    broker = (b0[row] + (slot - expedite_first[row]) * step[row]) % nb
    factories = np.array([f[0] for f in FACTORIES], dtype=object)
    brokers = np.array([b[0] for b in BROKERS], dtype=object)
    supplier = np.where(is_expedite, factories[cat.factory[parts[row]]], brokers[broker])
    qty = _split(rng, u, row)
    m = len(row)
    cost = cat.cost[parts[row]]
    table = pd.DataFrame(
        {
            "part_number": cat.table["part_number"].to_numpy(dtype=object)[parts[row]],
            "source": np.where(is_expedite, "expedite", "broker").astype(object),
            "supplier_id": supplier,
            "capacity": qty,
            "lead_time_hours": np.where(
                is_expedite, rng.integers(48, 241, m), rng.integers(24, 169, m)
            ).astype(np.float64),
            "unit_cost": np.round(
                cost * np.where(is_expedite, rng.uniform(1.1, 1.5, m), rng.uniform(1.3, 2.8, m)), 2
            ),
            "success_probability": np.where(
                is_expedite, 1.0, np.round(rng.uniform(0.6, 0.95, m), 2)
            ),
        }
    )
    return table[qty > 0].reset_index(drop=True)


def draw_lanes(
    rng: np.random.Generator, depots: pd.DataFrame, sites: list[str], geo: Geography
) -> pd.DataFrame:
    """Directed lanes: depot -> every site country, depot -> depot, supplier -> depot.

    Transit by distance class (same country 6-24 h, same region 24-72 h, else 72-168 h);
    the cost per unit grows with the transit time.
    """
    ids = depots["depot_id"].to_numpy(dtype=object)
    where = depots["country"].to_numpy(dtype=object)
    n, s = len(ids), len(sites)
    site = np.array(sites, dtype=object)
    suppliers = [(f[0], f[1]) for f in FACTORIES] + list(BROKERS)
    sup_id = np.array([x[0] for x in suppliers], dtype=object)
    sup_at = np.array([x[1] for x in suppliers], dtype=object)
    a, b = np.divmod(np.arange(n * n), n)
    a, b = a[a != b], b[a != b]
    i, j = np.divmod(np.arange(len(suppliers) * n), n)
    d, c = np.divmod(np.arange(n * s), s)
    origin = np.concatenate([ids[d], ids[a], sup_id[i]])
    destination = np.concatenate([site[c], ids[b], ids[j]])
    cls = geo.distance_class(
        np.concatenate([where[d], where[a], sup_at[i]]),
        np.concatenate([site[c], where[b], where[j]]),
    )
    low, high = np.array([6.0, 24.0, 72.0])[cls], np.array([24.0, 72.0, 168.0])[cls]
    transit = np.round(rng.uniform(low, high), 1)
    cost = np.round(2.0 + 0.4 * transit * rng.uniform(0.8, 1.2, len(cls)), 2)
    return pd.DataFrame(
        {
            "origin": origin,
            "destination": destination,
            "transit_hours": transit,
            "cost_per_unit": cost,
        }
    )
