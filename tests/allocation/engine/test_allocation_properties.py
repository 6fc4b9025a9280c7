"""Invariants of every plan, on random small worlds (hypothesis).

Supply and demand are checked from the plan's own tables (lines and unfilled) against the
snapshot's tables; which sources an order *may* use comes from the independent reference
(:mod:`reference_model`), not from the engine's arcs.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.snapshot import Snapshot
from allocation.adapters.synthetic import generate_world
from allocation.allocate import allocate
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine.plan import Plan
from tests.allocation.engine.builders import AS_OF, World, order, random_worlds, world
from tests.allocation.engine.reference_model import build_reference

PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = [k.value for k in SourceKind]
EXACT = 1e-6  # levels are sums of exactly representable numbers (see builders)


def _plans(snapshot: Snapshot) -> dict[str, Plan]:
    return {s: allocate(snapshot, strategy=s) for s in ("optimal", "fifo", "tier_greedy")}


def _supply_by_depot(snapshot: Snapshot) -> dict[tuple[str, str], int]:
    """Units at or landing at each (part, depot): what stock, inbound and transfers share."""
    units: dict[tuple[str, str], int] = defaultdict(int)
    for part, depot, qty in snapshot.stock[["part_number", "depot_id", "on_hand"]].itertuples(
        index=False
    ):
        units[(part, depot)] += int(qty)
    for part, depot, qty in snapshot.inbound[["part_number", "depot_id", "quantity"]].itertuples(
        index=False
    ):
        units[(part, depot)] += int(qty)
    return units


def _assert_within_supply(snapshot: Snapshot, plan: Plan) -> None:
    lines = plan.lines
    assert (lines["quantity"] > 0).all()
    at_depot = _supply_by_depot(snapshot)
    from_depots = lines[lines["source"].isin(["stock", "transfer", "inbound"])]
    for (part, depot), used in from_depots.groupby(["part_number", "origin"])["quantity"].sum().items():
        assert used <= at_depot[(part, depot)], (part, depot, used)
    on_hand = snapshot.stock.set_index(["part_number", "depot_id"])["on_hand"]
    stock = lines[lines["source"] == "stock"]
    for key, used in stock.groupby(["part_number", "origin"])["quantity"].sum().items():
        assert used <= on_hand.get(key, 0), (key, used)
    receipts = snapshot.inbound.groupby(["part_number", "depot_id"])["quantity"].sum()
    inbound = lines[lines["source"] == "inbound"]
    for key, used in inbound.groupby(["part_number", "origin"])["quantity"].sum().items():
        assert used <= receipts.get(key, 0), (key, used)
    capacity = snapshot.supply_options.set_index(["part_number", "source", "supplier_id"])[
        "capacity"
    ]
    options = lines[lines["source"].isin(["expedite", "broker"])]
    for key, used in options.groupby(["part_number", "source", "origin"])["quantity"].sum().items():
        assert used <= capacity.get(key, 0), (key, used)


def _assert_orders_conserved(snapshot: Snapshot, plan: Plan) -> None:
    asked = snapshot.orders.set_index("order_id")["quantity"]
    got = plan.lines.groupby("order_id")["quantity"].sum().reindex(asked.index, fill_value=0)
    short = plan.unfilled.set_index("order_id")["quantity"].reindex(asked.index, fill_value=0)
    assert (got <= asked).all(), got[got > asked]
    assert (got + short == asked).all()
    assert not plan.unfilled["order_id"].duplicated().any()


@PROPERTY
@given(random_worlds())
def test_no_source_gives_more_units_than_it_has_and_no_order_gets_more_than_it_asked(
    world: World,
) -> None:
    snapshot = world.snapshot()
    for plan in _plans(snapshot).values():
        _assert_within_supply(snapshot, plan)
        _assert_orders_conserved(snapshot, plan)
        # The same from the engine's own arrays: units per source never exceed its quantity.
        used = np.bincount(
            plan.problem.arcs.source, weights=plan.flow, minlength=len(plan.problem.sources)
        )
        assert (used <= plan.problem.sources["quantity"].to_numpy()).all()


def _source_signature(part: str, kind: str, origin: str, release: float, price: float) -> tuple:
    return (part, kind, origin, round(release, 6), round(price, 6))


@PROPERTY
@given(random_worlds())
def test_no_standard_order_holds_a_unit_a_waiting_parts_priority_order_was_allowed_to_use(
    world: World,
) -> None:
    snapshot = world.snapshot()
    reference = build_reference(snapshot)
    sources = _reference_sources(snapshot)
    wanted_by: dict[tuple, set[str]] = defaultdict(set)
    for pair in reference.pairs:
        if pair.allowed and reference.order_class[pair.order] == "parts_priority":
            wanted_by[sources[pair.source]].add(reference.order_ids[pair.order])
    for strategy in ("optimal", "tier_greedy"):
        plan = allocate(snapshot, strategy=strategy)
        unfilled = plan.unfilled
        waiting = set(unfilled.loc[unfilled["priority_class"] == "parts_priority", "order_id"])
        problem = plan.problem
        src = problem.sources
        for arc in np.flatnonzero(plan.flow > 0):
            o, s = int(problem.arcs.order[arc]), int(problem.arcs.source[arc])
            if problem.orders["priority_class"].iloc[o] != "standard":
                continue
            signature = _source_signature(
                src["part_number"].iloc[s],
                src["kind_name"].iloc[s],
                src["origin"].iloc[s],
                float(src["release_hours"].iloc[s]),
                float(src["unit_price"].iloc[s]),
            )
            rivals = wanted_by[signature] & waiting
            assert not rivals, (strategy, problem.orders["order_id"].iloc[o], signature, rivals)


def _reference_sources(snapshot: Snapshot) -> list[tuple]:
    from tests.allocation.engine.reference_model import _sources

    return [
        _source_signature(part, kind, origin, release, price)
        for part, kind, origin, _, release, price in _sources(snapshot)
    ]


@PROPERTY
@given(random_worlds())
def test_under_the_default_policy_only_parts_priority_orders_get_transfers_expedites_and_brokers(
    world: World,
) -> None:
    snapshot = world.snapshot()
    for plan in _plans(snapshot).values():
        standard = plan.lines[plan.lines["priority_class"] == "standard"]
        assert set(standard["source"]) <= {"stock", "inbound"}


@PROPERTY
@given(
    random_worlds(),
    st.sets(st.sampled_from(KINDS)),
    st.sets(st.sampled_from(KINDS)),
)
def test_every_line_uses_a_source_kind_its_class_is_allowed(
    world: World, for_priority: set[str], for_standard: set[str]
) -> None:
    policy = AllocationPolicy(
        allowed_sources={
            PriorityClass.PARTS_PRIORITY: frozenset(SourceKind(k) for k in for_priority),
            PriorityClass.STANDARD: frozenset(SourceKind(k) for k in for_standard),
        }
    )
    snapshot = world.snapshot()
    allowed = {"parts_priority": for_priority, "standard": for_standard}
    for strategy in ("optimal", "fifo", "tier_greedy"):
        lines = allocate(snapshot, policy, strategy=strategy).lines
        for klass, kind in zip(lines["priority_class"], lines["source"], strict=True):
            assert kind in allowed[klass], (strategy, klass, kind)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds())
def test_the_same_snapshot_twice_gives_identical_plans(world: World) -> None:
    first = allocate(world.snapshot())
    second = allocate(world.snapshot())
    pd.testing.assert_frame_equal(first.lines, second.lines)
    pd.testing.assert_frame_equal(first.unfilled, second.unfilled)


@PROPERTY
@given(random_worlds())
def test_fifo_and_tier_greedy_never_beat_the_optimizer_on_parts_priority_units_then_eta(
    world: World,
) -> None:
    plans = _plans(world.snapshot())
    best = plans["optimal"].objective()
    for name in ("fifo", "tier_greedy"):
        other = plans[name].objective()
        assert best["parts_priority_units"] >= other["parts_priority_units"], name
        if best["parts_priority_units"] == other["parts_priority_units"]:
            assert (
                best["parts_priority_eta_hours"] <= other["parts_priority_eta_hours"] + EXACT
            ), name


@pytest.mark.xfail(
    reason="the optimizer's hash tie-break is additively separable (order hash + source "
    "hash), so it breaks no tie between plans with the same units per order and per source; "
    "which of two such plans comes out depends on the tables' row order",
    strict=False,
)
def test_the_plan_does_not_depend_on_the_row_order_of_the_tables() -> None:
    # Two equally old-enough parts_priority orders of 2 units; 3 on hand and 1 landing in
    # 4.5 h. Both plans fill both orders with the same ETA sum; only who waits differs.
    built = world(
        [order("O06", quantity=2, age=40.5, country="CA"),
         order("O07", quantity=2, age=55.0, country="CA")],
        depots=[("D0", "CA")],
        stock=[("A", "D0", 3)],
        inbound=[("A", "D0", 1, 4.5)],
    )
    tables = built.tables()
    backwards = {name: t.iloc[::-1].reset_index(drop=True) for name, t in tables.items()}
    from allocation.adapters.snapshot import load_snapshot

    forward_plan = allocate(load_snapshot(tables, as_of=AS_OF))
    backward_plan = allocate(load_snapshot(backwards, as_of=AS_OF))
    pd.testing.assert_frame_equal(forward_plan.lines, backward_plan.lines)


@pytest.fixture(scope="module")
def synthetic_snapshot() -> Snapshot:
    # Parts with 1, 2-3 and more sources fall into different batches: several solver tasks.
    from allocation.adapters.snapshot import load_snapshot

    return load_snapshot(generate_world(300, 30, 3, seed=3))


def test_two_worker_processes_give_the_same_plan_as_one(synthetic_snapshot: Snapshot) -> None:
    one = allocate(synthetic_snapshot, workers=1)
    two = allocate(synthetic_snapshot, workers=2)
    assert len(one.lines) > 0
    pd.testing.assert_frame_equal(one.lines, two.lines)
    pd.testing.assert_frame_equal(one.unfilled, two.unfilled)


def test_a_local_dask_cluster_gives_the_same_plan_as_this_process(
    synthetic_snapshot: Snapshot,
) -> None:
    pytest.importorskip("dask.distributed")
    here = allocate(synthetic_snapshot)
    on_dask = allocate(synthetic_snapshot, dask="local")
    pd.testing.assert_frame_equal(here.lines, on_dask.lines)
    pd.testing.assert_frame_equal(here.unfilled, on_dask.unfilled)
