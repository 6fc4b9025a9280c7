"""Invariants of every plan, on random small worlds (hypothesis).

Supply and demand are checked from the plan's own tables (lines and unfilled) against the
snapshot's tables; which sources an order *may* use comes from the independent reference
(:mod:`reference_model`), not from the engine's arcs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from random import Random
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.adapters.synthetic import generate_world
from allocation.allocate import allocate
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy
from allocation.engine import Engine, Plan
from tests.allocation.engine.builders import AS_OF, World, order, random_worlds
from tests.allocation.engine.reference_model import build_reference, source_rows, usable_parts
from tests.budget import examples

PROPERTY = settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
STRATEGIES = ("optimal", "fifo", "tier_greedy")
KINDS = [k.value for k in SourceKind]
EXACT = 1e-6  # levels are sums of exactly representable numbers (see builders)


def _plans(snapshot: Snapshot, policy: AllocationPolicy | None = None) -> dict[str, Plan]:
    """One plan per strategy; entitlement and arcs are built once (what ``allocate`` does)."""
    engine = Engine(snapshot, policy or AllocationPolicy())
    return {s: engine.plan(s) for s in STRATEGIES}


def _assert_within_supply(snapshot: Snapshot, plan: Plan) -> None:
    """Units from each place never exceed what is there (plain dicts: small tables, fast)."""
    on_hand: Counter[tuple[str, str]] = Counter()
    for part, depot, qty in _rows(snapshot.stock, "part_number", "depot_id", "on_hand"):
        on_hand[(part, depot)] += qty
    landing: Counter[tuple[str, str]] = Counter()
    for part, depot, qty in _rows(snapshot.inbound, "part_number", "depot_id", "quantity"):
        landing[(part, depot)] += qty
    capacity: Counter[tuple[str, str, str]] = Counter()
    options = snapshot.supply_options
    for row in _rows(options, "part_number", "source", "supplier_id", "capacity"):
        capacity[row[:3]] += row[3]
    used: Counter[tuple[str, str, str]] = Counter()
    for part, kind, origin, qty in _rows(plan.lines, "part_number", "source", "origin", "quantity"):
        assert qty > 0
        used[(part, kind, origin)] += qty
    for (part, kind, origin), qty in used.items():
        if kind == "stock":
            assert qty <= on_hand[(part, origin)], (part, kind, origin)
        elif kind == "inbound":
            assert qty <= landing[(part, origin)], (part, kind, origin)
        elif kind in ("expedite", "broker"):
            assert qty <= capacity[(part, kind, origin)], (part, kind, origin)
    # Stock, receipts and transfers share what is at (or landing at) a depot.
    for part, depot in on_hand.keys() | landing.keys():
        from_depot = sum(used[(part, k, depot)] for k in ("stock", "inbound", "transfer"))
        assert from_depot <= on_hand[(part, depot)] + landing[(part, depot)], (part, depot)
    for part, kind, origin in used:
        if kind == "transfer":
            assert (part, origin) in on_hand or (part, origin) in landing, (part, origin)


def _assert_orders_conserved(snapshot: Snapshot, plan: Plan) -> None:
    """Every order: allocated ≤ asked, and allocated + unfilled = asked."""
    asked = dict(_rows(snapshot.orders, "order_id", "quantity"))
    got: Counter[str] = Counter()
    for order_id, qty in _rows(plan.lines, "order_id", "quantity"):
        got[order_id] += qty
    short: Counter[str] = Counter()
    for order_id, qty in _rows(plan.unfilled, "order_id", "quantity"):
        assert order_id not in short, order_id  # one unfilled line per order
        short[order_id] += qty
    for order_id, qty in asked.items():
        assert got[order_id] <= qty, order_id
        assert got[order_id] + short[order_id] == qty, order_id


def _cols(frame: pd.DataFrame, *names: str) -> list[list[Any]]:
    return [frame[name].tolist() for name in names]


def _rows(frame: pd.DataFrame, *names: str) -> Iterator[tuple[Any, ...]]:
    """The named columns of ``frame`` row by row, as plain Python values."""
    return zip(*_cols(frame, *names), strict=True)


@pytest.mark.property
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
        assert (used <= plan.problem.sources.quantity).all()


def _source_signature(part: str, kind: str, origin: str, release: float, price: float) -> tuple:
    return (part, kind, origin, round(release, 6), round(price, 6))


@pytest.mark.property
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
    plans = _plans(snapshot)
    for strategy in ("optimal", "tier_greedy"):
        plan = plans[strategy]
        unfilled = plan.unfilled
        waiting = set(unfilled.loc[unfilled["priority_class"] == "parts_priority", "order_id"])
        problem = plan.problem
        src = problem.sources
        for arc in np.flatnonzero(plan.flow > 0):
            o, s = int(problem.arcs.order[arc]), int(problem.arcs.source[arc])
            if problem.orders.priority_class()[o] != "standard":
                continue
            signature = _source_signature(
                src.part_number[s],
                src.base_label()[s],
                src.origin[s],
                float(src.release_hours[s]),
                float(src.unit_price[s]),
            )
            rivals = wanted_by[signature] & waiting
            assert not rivals, (strategy, problem.orders.order_id[o], signature, rivals)


def _reference_sources(snapshot: Snapshot) -> list[tuple]:
    return [
        _source_signature(part, kind, origin, release, price)
        for part, kind, origin, _, release, price in source_rows(snapshot)
    ]


@pytest.mark.property
@PROPERTY
@given(random_worlds())
def test_under_the_default_policy_only_parts_priority_orders_get_transfers_expedites_and_brokers(
    world: World,
) -> None:
    snapshot = world.snapshot()
    for plan in _plans(snapshot).values():
        standard = plan.lines[plan.lines["priority_class"] == "standard"]
        assert set(standard["source"]) <= {"stock", "inbound"}


@pytest.mark.property
@PROPERTY
@given(
    random_worlds(),
    st.sets(st.sampled_from(KINDS)),
    st.sets(st.sampled_from(KINDS)),
)
def test_whatever_policy_allows_lines_use_allowed_kinds_and_parts_within_supply(
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
    usable = usable_parts(snapshot, substitutes=True)
    for strategy, plan in _plans(snapshot, policy).items():
        for klass, kind, part, asked in _rows(
            plan.lines, "priority_class", "source", "part_number", "requested_part_number"
        ):
            assert kind in allowed[klass], (strategy, klass, kind)
            assert part in usable[asked], (strategy, asked, part)
        _assert_within_supply(snapshot, plan)
        _assert_orders_conserved(snapshot, plan)


@pytest.mark.property
@settings(PROPERTY, max_examples=examples(40))
@given(random_worlds())
def test_with_partial_fills_off_every_order_is_filled_whole_or_not_at_all(world: World) -> None:
    snapshot = world.snapshot()
    for plan in _plans(snapshot, AllocationPolicy(partial_fills=False)).values():
        _assert_within_supply(snapshot, plan)
        _assert_orders_conserved(snapshot, plan)
        asked = dict(_rows(snapshot.orders, "order_id", "quantity"))
        for order_id, missing in _rows(plan.unfilled, "order_id", "quantity"):
            assert missing == asked[order_id], (plan.strategy, order_id)


@pytest.mark.property
@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_worlds(), st.randoms(use_true_random=False))
def test_the_same_snapshot_twice_gives_identical_plans(world: World, rng: Random) -> None:
    first = allocate(world.snapshot())
    second = allocate(world.snapshot())
    pd.testing.assert_frame_equal(first.lines, second.lines)
    pd.testing.assert_frame_equal(first.unfilled, second.unfilled)
    # Shuffled rows may pick another of several equally good plans, but never a worse one.
    shuffled = allocate(load_snapshot(_shuffled(world, rng), as_of=AS_OF))
    assert shuffled.objective() == pytest.approx(first.objective(), abs=EXACT)


def _shuffled(world: World, rng: Random) -> dict[str, pd.DataFrame]:
    return {
        name: table.sample(frac=1, random_state=rng.randrange(2**31)).reset_index(drop=True)
        for name, table in world.tables().items()
    }


@pytest.mark.property
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
            assert best["parts_priority_eta_hours"] <= other["parts_priority_eta_hours"] + EXACT, (
                name
            )


def test_of_two_equal_orders_and_one_unit_the_lower_id_gets_it_whatever_the_row_order() -> None:
    first, second = order("O-1", age=3.0), order("O-2", age=3.0)
    for orders in ((first, second), (second, first)):
        world = World(orders=orders, stock=(("A", "D1", 1),))
        assert allocate(world.snapshot()).lines["order_id"].tolist() == ["O-1"]


def test_part_and_depot_rows_in_another_order_give_the_same_plan() -> None:
    world = World(
        orders=(order("O-1", part="A"), order("O-2", part="B")),
        stock=(("A", "D1", 1), ("B", "D2", 1)),
        depots=(("D1", "US"), ("D2", "US")),
        substitutes={"A": "B", "B": "A"},
    )
    tables = world.tables()
    reordered = {name: table.iloc[::-1].reset_index(drop=True) for name, table in tables.items()}
    key = ["order_id", "part_number", "origin"]
    plain = allocate(world.snapshot()).lines[key].sort_values(key).reset_index(drop=True)
    other = allocate(load_snapshot(reordered, as_of=AS_OF)).lines[key]
    pd.testing.assert_frame_equal(plain, other.sort_values(key).reset_index(drop=True))


@pytest.mark.slow
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(random_worlds(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_row_order_of_the_tables(world: World, rng: Random) -> None:
    key = ["order_id", "part_number", "source", "origin", "eta_hours"]
    plain = allocate(world.snapshot()).lines.groupby(key)["quantity"].sum()
    shuffled = allocate(load_snapshot(_shuffled(world, rng), as_of=AS_OF))
    pd.testing.assert_series_equal(plain, shuffled.lines.groupby(key)["quantity"].sum())


@pytest.fixture(scope="module")
def synthetic_snapshot() -> Snapshot:
    # Parts with 1, 2-3 and more sources fall into different batches: several solver tasks.
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
