"""The entry point that builds a world: check the arguments, spawn the streams, join the tables.

Every table generator draws from its own ``numpy.random`` stream spawned from the one seed, so
a world is reproducible from its arguments alone, and a change in how one table is drawn does
not shift the random numbers any other table sees.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from allocation.adapters.snapshot import TABLES
from allocation.adapters.synthetic._customers import draw_contracts, draw_customers
from allocation.adapters.synthetic._demand import draw_catalogue, draw_orders
from allocation.adapters.synthetic._geography import Geography, place_depots
from allocation.adapters.synthetic._supply import draw_lanes, draw_supply
from allocation.domain.rulebook import default_rulebook
from allocation.errors import InputError

TABLE_NAMES = TABLES  # a world is a snapshot: the same tables
DEFAULT_START = datetime(2026, 11, 1)


def generate_world(
    orders: int,
    parts: int,
    depots: int,
    seed: int,
    *,
    coverable_share: float = 0.7,
    customers: int | None = None,
    start: datetime | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate every input table of a realistic shortage world.

    Parameters
    ----------
    orders, parts, depots : int
        How many order lines, part numbers and depots (each at least 1).
    seed : int
        Seed (>= 0) of every random draw: the same arguments give identical tables.
    coverable_share : float
        Share in (0, 1] of the demanded units that stock + inbound + supply options can cover,
        counted per part (supply beyond a part's demand covers nothing). Stock takes about
        three quarters of it, inbound receipts ~15%, expedite and broker options the rest.
        The hottest parts are the most short.
    customers : int, optional
        How many customers; by default one per 25 orders (at least 20, at most ``orders``).
    start : datetime, optional
        "Now" of the world (default 2026-11-01 00:00): orders are created in the 30 days
        before it, receipts land after it.

    Returns
    -------
    dict of str to DataFrame
        ``customers, contracts, orders, parts, depots, stock, inbound, lanes,
        supply_options``, with the columns of the matching specs in
        :mod:`allocation.domain.tables`.

    Raises
    ------
    InputError
        When an argument is out of range; the message names it.

    Examples
    --------
    >>> world = generate_world(50, 20, 3, seed=7)
    >>> list(world) == list(TABLE_NAMES), len(world["orders"]), len(world["depots"])
    (True, 50, 3)
    """
    _check_arguments(orders, parts, depots, seed, coverable_share, customers)
    now = _naive_utc(start or DEFAULT_START)
    n_customers = customers if customers is not None else min(orders, max(20, orders // 25))
    book = default_rulebook()
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    geo = Geography.of(book)
    cust = draw_customers(rng[0], n_customers, geo)
    contracts = draw_contracts(rng[1], cust, book, now)
    catalogue = draw_catalogue(rng[2], parts)
    order_table, demand = draw_orders(rng[3], orders, cust, catalogue, geo, now)
    depot_table, depot_weight = place_depots(depots, geo)
    stock, inbound, options = draw_supply(
        rng[4], demand, coverable_share, catalogue, depot_table, depot_weight, now
    )
    sites = sorted(set(cust.table["country"]) | set(order_table["ship_to_country"].dropna()))
    lanes = draw_lanes(rng[5], depot_table, sites, geo)
    # A lane may only start at a depot or a supplier with an option: a snapshot's loader
    # rejects any other id (small worlds do not use every factory and broker).
    known = set(depot_table["depot_id"]) | set(options["supplier_id"])
    lanes = lanes[lanes["origin"].isin(known)].reset_index(drop=True)
    return {
        "customers": cust.table,
        "contracts": contracts,
        "orders": order_table,
        "parts": catalogue.table,
        "depots": depot_table,
        "stock": stock,
        "inbound": inbound,
        "lanes": lanes,
        "supply_options": options,
    }


def _check_arguments(
    orders: int,
    parts: int,
    depots: int,
    seed: int,
    share: float,
    customers: int | None,
) -> None:
    counts: dict[str, object] = {"orders": orders, "parts": parts, "depots": depots}
    if customers is not None:
        counts["customers"] = customers
    for name, value in counts.items():
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    if (
        not isinstance(share, int | float | np.floating)
        or isinstance(share, bool)
        or not 0 < share <= 1
    ):
        raise InputError(f"coverable_share must be a number in (0, 1], got {share!r}")


def _naive_utc(moment: datetime) -> datetime:
    if not isinstance(moment, datetime):
        raise InputError(f"start must be a datetime, got {moment!r}")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment
