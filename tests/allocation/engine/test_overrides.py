"""Planner overrides: firmed lines never move, forbidden sources are never used, and both
survive a re-plan; churn counts the units a plan moves (hypothesis and small examples)."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocation.adapters.overrides_file import read_overrides
from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.allocate import allocate
from allocation.engine import Engine, Plan
from allocation.engine.model import FirmError
from allocation.errors import TableError
from tests.allocation.engine.builders import AS_OF, World, random_worlds
from tests.allocation.engine.test_allocation_properties import (
    _assert_orders_conserved,
    _assert_within_supply,
)
from tests.budget import examples

PROPERTY = settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
STRATEGIES = ("optimal", "fifo", "tier_greedy")
COLUMNS = ["kind", "order_id", "source_kind", "origin", "quantity"]


def _overrides_from(plan: Plan, rng: Random) -> pd.DataFrame:
    """At most one firm (a line of the plan, own part) and a few forbids of other orders'
    sources, drawn from a plan so that the firm can be held."""
    lines = plan.lines
    rows: list[tuple[object, ...]] = []
    own = lines[lines["part_number"] == lines["requested_part_number"]]
    firmed: set[str] = set()
    if len(own) and rng.random() < 0.7:
        line = own.iloc[rng.randrange(len(own))]
        qty = rng.randint(1, int(line["quantity"]))
        rows.append(("firm", line["order_id"], line["source"], line["origin"], qty))
        firmed.add(str(line["order_id"]))
    others = lines[~lines["order_id"].isin(firmed)]
    for i in rng.sample(range(len(others)), min(len(others), rng.randint(0, 3))):
        line = others.iloc[i]
        origin = None if rng.random() < 0.3 else line["origin"]
        rows.append(("forbid", line["order_id"], line["source"], origin, None))
    return pd.DataFrame(rows, columns=COLUMNS)


def _assert_honoured(snapshot: Snapshot, overrides: pd.DataFrame, plan: Plan) -> None:
    lines = plan.lines
    for kind, order_id, source, origin, qty in overrides.itertuples(index=False):
        mine = lines[(lines["order_id"] == order_id) & (lines["source"] == source)]
        if kind == "forbid":
            if origin is not None and not pd.isna(origin):
                mine = mine[mine["origin"] == origin]
            assert mine.empty, (order_id, source, origin)
        else:
            held = mine[(mine["origin"] == origin) & mine["firm"]]
            assert int(held["quantity"].sum()) == qty, (order_id, source, origin)
    _assert_within_supply(snapshot, plan)
    _assert_orders_conserved(snapshot, plan)


@pytest.mark.property
@PROPERTY
@given(random_worlds(), st.randoms(use_true_random=False))
def test_every_strategy_keeps_firm_lines_and_never_uses_a_forbidden_source(
    drawn: World, rng: Random
) -> None:
    world = drawn.snapshot()
    overrides = _overrides_from(allocate(world), rng)
    snapshot = read_overrides(overrides, world)
    engine = Engine(snapshot)
    for strategy in STRATEGIES:
        _assert_honoured(snapshot, overrides, engine.plan(strategy))


@pytest.mark.property
@PROPERTY
@given(random_worlds(), st.randoms(use_true_random=False))
def test_overrides_survive_incremental_re_plans(drawn: World, rng: Random) -> None:
    world = drawn.snapshot()
    overrides = _overrides_from(allocate(world), rng)
    snapshot = read_overrides(overrides, world)
    planner = Engine(snapshot).planner()
    part = str(snapshot.parts["part_number"].iloc[0])
    depot = str(snapshot.depots["depot_id"].iloc[0])
    planner.add_stock(part, depot, 2)
    planner.add_receipt(part, depot, 1, AS_OF + timedelta(hours=5))
    order = snapshot.orders.iloc[0].to_dict() | {"order_id": "O-NEW", "quantity": 2}
    planner.add_order(order)
    plan = planner.plan()
    lines = plan.lines
    for kind, order_id, source, origin, qty in overrides.itertuples(index=False):
        mine = lines[(lines["order_id"] == order_id) & (lines["source"] == source)]
        if kind == "forbid":
            if origin is not None and not pd.isna(origin):
                mine = mine[mine["origin"] == origin]
            assert mine.empty, (order_id, source, origin)
        else:
            held = mine[(mine["origin"] == origin) & mine["firm"]]
            assert int(held["quantity"].sum()) == qty


@pytest.mark.property
@PROPERTY
@given(random_worlds())
def test_without_overrides_a_plan_moves_nothing_against_itself(drawn: World) -> None:
    world = drawn.snapshot()
    plan = allocate(world)
    again = allocate(world, previous=plan.lines)
    assert again.summary()["churn"]["units_moved"] == 0
    assert "firm" not in again.lines.columns


def test_a_forbidden_source_is_not_used_and_its_units_go_elsewhere() -> None:
    snapshot = load_snapshot("scenarios/example")
    before = allocate(snapshot)
    table = pd.DataFrame([("forbid", "O-1001", "stock", "D-US", None)], columns=COLUMNS)
    plan = allocate(read_overrides(table, snapshot), previous=before.lines)
    mine = plan.lines[plan.lines["order_id"] == "O-1001"]
    assert mine["source"].tolist() == ["broker"]
    assert plan.summary()["churn"]["units_moved"] >= 1
    assert set(plan.churn.table.columns) >= {"order_id", "previous", "quantity", "moved"}


def test_a_firm_beyond_what_the_source_holds_is_a_clear_error() -> None:
    snapshot = load_snapshot("scenarios/example")
    table = pd.DataFrame([("firm", "O-1007", "stock", "D-DE", 3)], columns=COLUMNS)
    table2 = pd.DataFrame([("firm", "O-1001", "broker", "BRK-OPEN", 1)], columns=COLUMNS)
    allocate(read_overrides(table2, snapshot))  # a source it may use: fine
    with pytest.raises(FirmError, match="O-1007"):
        allocate(read_overrides(table.assign(quantity=30), snapshot))


def test_overrides_naming_unknown_orders_or_origins_are_refused_by_row_and_column() -> None:
    snapshot = load_snapshot("scenarios/example")
    table = pd.DataFrame(
        [
            ("forbid", "O-NOPE", "stock", "D-US", None),
            ("firm", "O-1001", "stock", "D-XX", 1),
            ("firm", "O-1001", "broker", None, None),
        ],
        columns=COLUMNS,
    )
    with pytest.raises(TableError) as caught:
        read_overrides(table, snapshot)
    text = str(caught.value)
    assert "row 1, column 'order_id', value 'O-NOPE': unknown order" in text
    assert "row 2, column 'origin', value 'D-XX': unknown depot" in text
    assert "row 3, column 'quantity': a firm line needs its quantity" in text
