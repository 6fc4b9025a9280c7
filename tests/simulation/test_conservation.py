"""Conservation of units in the simulated world, over random small worlds.

Every unit that enters the world (starting stock, landed receipts, bought units) is on a
shelf, on its way to a customer, or consumed; none is ever taken from an empty shelf. Two
independent checks, on worlds with overlapping disruptions, failing brokers, substitutes,
every strategy and both decision modes:

- the world audits its whole state after every event (:meth:`WorldState.audit`);
- the records alone are replayed: every depot's shelf, rebuilt from ``receipt`` and
  ``allocated`` rows in record order, never goes below zero, and at the end it, the units in
  transit and the units delivered match the world's final state.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.simulation.worlds import TinyWorld, run_world

DEPOTS = {"D1": "DE", "D2": "FR", "D3": "US"}
COUNTRIES = ("DE", "FR", "US", "UY")
CUSTOMERS = {
    "PM-DE": ("DE", "PM"),
    "STD-DE": ("DE", "standard"),
    "PM-FR": ("FR", "PM"),
    "STD-US": ("US", "standard"),
    "PM-UY": ("UY", "PM"),
}
SHELF_KINDS = ("stock", "transfer", "inbound")


@st.composite
def worlds(draw: st.DrawFn) -> tuple[TinyWorld, dict[str, Any], str]:
    depots = dict(list(DEPOTS.items())[: draw(st.integers(1, 3))])
    parts = ["P1", "P2", "P3"][: draw(st.integers(1, 3))]
    substitutes = {"P1": "P2"} if len(parts) > 1 and draw(st.booleans()) else {}
    stock = {(p, d): draw(st.integers(0, 3)) for p in parts for d in depots}
    inbound = [
        (
            draw(st.sampled_from(parts)),
            draw(st.sampled_from(list(depots))),
            draw(st.integers(1, 3)),
            draw(st.floats(0, 150)),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    lanes = [
        (d, c, draw(st.sampled_from([0.0, 6.0, 30.0])), 2.0)
        for d in depots
        for c in COUNTRIES
        if c != depots[d]
    ]
    options = []
    for p in parts:
        for source, supplier in (("expedite", "SUP"), ("broker", "BRK")):
            if draw(st.booleans()):
                options.append(
                    (
                        p,
                        source,
                        supplier,
                        draw(st.integers(1, 3)),
                        draw(st.sampled_from([12.0, 48.0])),
                        90.0,
                        draw(st.sampled_from([None, 0.5, 0.9])),
                    )
                )
    lanes += [
        (s, c, 10.0, 5.0)
        for s in ("SUP", "BRK")
        for c in COUNTRIES
        if any(o[2] == s for o in options)
    ]
    rates = [
        (c, p, draw(st.sampled_from([0.5, 2.0, 5.0])))
        for c in CUSTOMERS
        for p in parts
        if draw(st.booleans())
    ] or [("PM-DE", parts[0], 2.0)]
    world = TinyWorld(
        depots=depots,
        parts=parts,
        substitutes=substitutes,
        stock=stock,
        inbound=inbound,
        lanes=lanes,
        options=options,
        customers=CUSTOMERS,
        rates=rates,
    )
    scenario: dict[str, Any] = {
        "horizon_days": draw(st.sampled_from([4, 8])),
        "drain_days": draw(st.sampled_from([0, 3])),
        "repair_hours": draw(st.sampled_from([0, 8])),
        "replenishment": draw(
            st.sampled_from(
                [
                    {"policy": "none"},
                    {
                        "policy": "base_stock",
                        "lead_time": {"distribution": "fixed", "mean_hours": 30},
                    },
                    {
                        "policy": "base_stock",
                        "lead_time": {"distribution": "gamma", "mean_hours": 40, "cv": 0.8},
                    },
                ]
            )
        ),
        "sources": {
            "capacity_period_hours": draw(st.sampled_from([24.0, 168.0])),
            "broker": {"lead_time_cv": draw(st.sampled_from([0.0, 0.5]))},
        },
        "policy": {
            "mode": draw(st.sampled_from(["event", "periodic"])),
            "period_hours": 12,
            "options": {
                "preemption": draw(st.booleans()),
                "partial_fills": draw(st.booleans()),
                "rank_tiers_within_standard": draw(st.booleans()),
            },
        },
        "disruptions": draw(st.lists(_disruption(list(depots)), max_size=3)),
    }
    if draw(st.booleans()):
        scenario["policy"]["options"]["protection"] = draw(protection(list(depots), parts))
    unmet = draw(UNMET)
    if unmet is not None:
        scenario["unmet_demand"] = unmet
    if scenario["replenishment"]["policy"] == "base_stock" and draw(st.booleans()):
        scenario["replenishment"]["servers"] = draw(st.integers(1, 2))
    return world, scenario, draw(st.sampled_from(["optimal", "fifo", "tier_greedy"]))


#: Lost sales and emergency supply (the scenario's ``unmet_demand``), or neither.
UNMET = st.sampled_from(
    [
        None,
        None,
        {"standard": {"allowance_hours": 0.0}},
        {
            "standard": {"allowance_hours": 24.0},
            "parts_priority": {
                "allowance_hours": 0.0,
                "outcome": "emergency",
                "lead_time": {"distribution": "gamma", "mean_hours": 6.0, "cv": 0.5},
                "unit_cost": 200.0,
            },
        },
    ]
)


def protection(depots: list[str], parts: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A policy's ``protection`` option: a default level and levels for some shelves."""
    row = st.builds(
        lambda d, p, n: {"depot_id": d, "part_number": p, "level": n},
        st.sampled_from(depots),
        st.sampled_from(parts),
        st.integers(0, 3),
    )
    rows = st.lists(row, max_size=4, unique_by=lambda r: (r["depot_id"], r["part_number"]))
    return st.builds(
        lambda default, levels: {"default": default, "levels": levels},
        st.sampled_from([0, 0, 1]),
        rows,
    )


def _disruption(depots: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    start = st.sampled_from([0.0, 0.5, 1.0, 2.0])
    length = st.sampled_from([0.5, 1.0, 3.0])
    return st.one_of(
        st.builds(
            lambda s, n, d: {
                "kind": "depot_offline",
                "start_day": s,
                "end_day": s + n,
                "depots": [d],
            },
            start,
            length,
            st.sampled_from(depots),
        ),
        st.builds(
            lambda s, n, lost, f: {
                "kind": "supply_cut",
                "start_day": s,
                "end_day": s + n,
                "volume_lost": lost,
                "lead_time_factor": f,
            },
            start,
            length,
            st.sampled_from([0.0, 0.5, 1.0]),
            st.sampled_from([1.0, 2.0]),
        ),
        st.builds(
            lambda s, n: {
                "kind": "demand_surge",
                "start_day": s,
                "end_day": s + n,
                "factor": 4.0,
                "countries": ["DE"],
            },
            start,
            length,
        ),
        st.builds(
            lambda s, n, p: {
                "kind": "broker_market",
                "start_day": s,
                "end_day": s + n,
                "failure_probability": p,
                "capacity_factor": 0.5,
            },
            start,
            length,
            st.sampled_from([0.5, 1.0]),
        ),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 3))
def test_every_unit_is_on_a_shelf_on_its_way_or_consumed_and_no_shelf_goes_negative(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int
) -> None:
    world, scenario, strategy = case
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        run = run_world(world.write(Path(folder), **scenario), strategy=strategy, seed=seed)
    records = run.recorder.to_frame()
    shelf = _replay_shelves(records)
    names, depots = run.setup.context.part_numbers, run.setup.depot_ids
    for p, row in enumerate(run.state.on_hand):
        for d, units in enumerate(row):
            assert shelf[(names[p], depots[d])] == units
    moved = records["event"].isin(["allocated", "purchase_failed", "delivered"])
    sign = records["event"].map({"allocated": 1, "purchase_failed": -1, "delivered": -1})
    assert int((sign[moved] * records["quantity"][moved]).sum()) == run.state.in_transit
    delivered = int(records.loc[records["event"] == "delivered", "quantity"].sum())
    assert delivered == run.state.consumed
    _check_orders(records)


def _replay_shelves(records: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Shelves rebuilt from the records alone; fails the moment one would go negative."""
    shelf: dict[tuple[str, str], int] = defaultdict(int)
    for event, part, depot, kind, origin, units in zip(
        records["event"],
        records["part_number"],
        records["depot_id"],
        records["source_kind"],
        records["origin"],
        records["quantity"],
        strict=True,
    ):
        if event == "receipt":
            shelf[(str(part), str(depot))] += int(units)
        elif event == "allocated" and kind in SHELF_KINDS:
            key = (str(part), str(origin))
            shelf[key] -= int(units)
            assert shelf[key] >= 0, f"{key} went to {shelf[key]}"
    return shelf


def _check_orders(records: pd.DataFrame) -> None:
    """Per order: never more committed than asked, never more delivered than committed."""
    created = records[records["event"] == "order_created"].set_index("order_id")["quantity"]
    sign = records["event"].map({"allocated": 1, "purchase_failed": -1}).fillna(0)
    committed = (sign * records["quantity"]).groupby(records["order_id"], observed=True).sum()
    delivered = (
        records[records["event"] == "delivered"]
        .groupby("order_id", observed=True)["quantity"]
        .sum()
    )
    lost = records[records["event"] == "lost"].set_index("order_id")["quantity"]
    for order_id, quantity in created.items():
        assert committed.get(order_id, 0) + lost.get(order_id, 0) <= quantity
        assert delivered.get(order_id, 0) <= committed.get(order_id, 0)
    restored = records.loc[records["event"] == "restored", "order_id"]
    for order_id in restored:
        assert delivered[order_id] == created[order_id]
