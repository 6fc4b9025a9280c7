"""Repair orders of one replication, drawn up front as a table.

A Poisson stream split over order templates is the same as independent streams per template;
with piecewise-constant rates (demand surges switch on and off), each piece's count is
Poisson and, given the count, arrival times are independent and uniform on the piece. That
draws a year of orders in a few vectorised calls, and the same seed gives the same orders
whatever the policy — the common random numbers policy comparisons need.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from allocation import normalize_country
from simulation.world.setup import WorldSetup, match_parts
from simulation.world.state import OptionBook, OrderBook

__all__ = ["ORDER_COLUMNS", "draw_arrivals", "option_book", "order_book"]

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
    for low, high in itertools.pairwise(edges):
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


def order_book(setup: WorldSetup, rng: np.random.Generator) -> tuple[OrderBook, range]:
    """The backlog and this replication's arrivals as the engine's order columns.

    Every order is classified once, up front, by the entitlement engine (on the day it is
    created): its class, tier and, when it lost parts priority, why (``lost_code``).
    Returns the book and the rows that arrive during the run (the backlog's rows come
    first).
    """
    snapshot = setup.snapshot
    backlog = snapshot.orders[ORDER_COLUMNS]
    if not setup.scenario.demand.backlog:
        backlog = backlog.iloc[0:0]
    backlog_hours = (backlog["created_at"] - setup.start).dt.total_seconds().to_numpy() / 3600.0
    arrivals = draw_arrivals(setup, rng)
    raw = pd.concat([backlog, arrivals[ORDER_COLUMNS]], ignore_index=True)
    raw["created_at"] = pd.to_datetime(raw["created_at"]).astype("datetime64[ns]")
    if setup.has_targets:
        raw["need_by"] = np.concatenate(
            [
                _own_need_by(snapshot.orders, len(backlog)),
                _own_need_by(setup.replay, len(arrivals)),
            ]
        )
    hours = np.concatenate([backlog_hours, arrivals["time"].to_numpy(dtype=np.float64)])
    classes = setup.engine.classes_of(raw)
    columns = setup.engine.orders_of(raw, classes)
    info = list(
        zip(
            columns.customer_id.astype(str).tolist(),
            columns.country.astype(str).tolist(),
            columns.priority_class().astype(str).tolist(),
            columns.tier().astype(str).tolist(),
            classes.lost_names().tolist(),
            strict=True,
        )
    )
    book = OrderBook(
        columns=columns,
        order_id=columns.order_id.astype(str).tolist(),
        part=columns.part_code.tolist(),
        group=columns.part_group.tolist(),
        rank=columns.group.tolist(),
        klass=columns.class_code.tolist(),
        country_col=columns.country_col.tolist(),
        home=columns.home_code.tolist(),
        quantity=columns.quantity.tolist(),
        created=hours.tolist(),
        agg_key=columns.node.tolist(),
        created_ns=columns.created_at.astype(np.int64).tolist(),
        info=info,
        targets=setup.has_targets,
        need_by_ns=_need_by_ns(columns.need_by) if setup.has_targets else [],
    )
    return book, range(len(backlog), len(raw))


def _need_by_ns(need_by: np.ndarray) -> list[int | None]:
    """Each order's ``need_by`` in nanoseconds since the epoch, None where it has none."""
    ns = need_by.astype("datetime64[ns]").astype(np.int64).tolist()
    blank = np.isnat(need_by).tolist()
    return [None if missing else n for n, missing in zip(ns, blank, strict=True)]


def _own_need_by(orders: pd.DataFrame | None, count: int) -> np.ndarray:
    """The first ``count`` orders' own ``need_by`` (NaT where blank, or without the column):
    the engine derives the others' from the policy's response times."""
    if orders is None or "need_by" not in orders:
        return np.full(count, np.datetime64("NaT"), dtype="datetime64[ns]")
    own = pd.to_datetime(orders["need_by"].iloc[:count]).astype("datetime64[ns]")
    return own.to_numpy()


def option_book(setup: WorldSetup) -> OptionBook:
    """The snapshot's expedite and broker options, nothing used yet."""
    options = setup.snapshot.supply_options
    context = setup.context
    return OptionBook(
        table=options,
        part=options["part_number"].map(context.part_code).astype(np.int64).tolist(),
        is_broker=(options["source"] == "broker").to_numpy(dtype=bool),
        supplier=options["supplier_id"].astype(str).tolist(),
        capacity=options["capacity"].to_numpy(dtype=np.float64),
        lead_hours=options["lead_time_hours"].to_numpy(dtype=np.float64),
        price=options["unit_cost"].to_numpy(dtype=np.float64),
        success=np.asarray(
            options["success_probability"].astype(float).fillna(1.0), dtype=np.float64
        ),
        used=np.zeros(len(options), dtype=np.int64),
    )
