"""The incremental planner gives what a full re-plan of the changed world gives."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import AllocationPolicy, Planner, allocate, load_snapshot, marginal_values
from allocation.errors import InputError, UnknownIdError
from tests.allocation.engine.builders import (
    AS_OF,
    PM,
    STD,
    World,
    order,
    random_worlds,
    ship_in_tables,
    snapshot,
)
from tests.budget import examples


def _filled(plan: object) -> dict[str, int]:
    lines = plan.lines  # type: ignore[attr-defined]
    return lines.groupby("order_id")["quantity"].sum().astype(int).to_dict()


def _same(planner: Planner, tables: dict[str, pd.DataFrame]) -> None:
    full = allocate(load_snapshot(tables, as_of=AS_OF))
    mine = planner.plan()
    assert mine.objective() == pytest.approx(full.objective())
    assert _filled(mine) == _filled(full)


def _order_row(order_id: str, customer: str, part: str, hours_old: float, qty: int = 1) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": part,
        "quantity": qty,
        "created_at": AS_OF - timedelta(hours=hours_old),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": "US",
    }


events = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from([PM, STD, "PA"]), st.integers(1, 3)),
        st.tuples(st.just("stock"), st.integers(0, 3), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("ship"), st.integers(0, 20), st.just(0)),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.property
@settings(max_examples=examples(25), deadline=None)
@given(random_worlds(), events)
def test_every_change_leaves_the_plan_a_full_replan_would_make(world: World, changes: list) -> None:
    _every_change_leaves_a_full_replan(world, changes)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(random_worlds(), events)
def test_every_change_leaves_the_plan_a_full_replan_would_make_in_many_worlds(
    world: World, changes: list
) -> None:
    _every_change_leaves_a_full_replan(world, changes)


def _every_change_leaves_a_full_replan(world: World, changes: list) -> None:
    tables = world.tables()
    planner = Planner(load_snapshot(tables, as_of=AS_OF))
    _same(planner, tables)
    parts = sorted(tables["parts"]["part_number"])
    depots = sorted(tables["depots"]["depot_id"])
    for n, (kind, a, b) in enumerate(changes):
        if kind == "add":
            row = _order_row(f"N{n}", a, parts[n % len(parts)], hours_old=0.5 * n, qty=b)
            planner.add_order(row)
            tables["orders"] = pd.concat([tables["orders"], pd.DataFrame([row])], ignore_index=True)
        elif kind == "stock":
            part, depot = parts[a % len(parts)], depots[a % len(depots)]
            planner.add_stock(part, depot, b)
            stock = tables["stock"]
            match = (stock["part_number"] == part) & (stock["depot_id"] == depot)
            if match.any():
                stock.loc[match, "on_hand"] += b
            else:
                tables["stock"] = pd.concat(
                    [stock, pd.DataFrame([{"part_number": part, "depot_id": depot, "on_hand": b}])],
                    ignore_index=True,
                )
        else:
            open_ids = sorted(planner.order_ids())
            if len(open_ids) <= 1:
                continue
            victim = open_ids[a % len(open_ids)]
            if kind == "ship":
                ship_in_tables(tables, planner.plan(), victim)
            planner.remove_order(victim, shipped=kind == "ship")
            tables["orders"] = tables["orders"][tables["orders"]["order_id"] != victim]
        _same(planner, tables)


def test_an_arrival_served_from_free_stock_needs_no_solve_and_matches_a_full_replan() -> None:
    snap = snapshot([order("O1", PM)], stock=[("A", "D1", 5)])
    planner = Planner(snap)
    planner.add_order(_order_row("O2", STD, "A", hours_old=0.2))
    plan = planner.plan()
    assert _filled(plan) == {"O1": 1, "O2": 1}


def test_an_arrival_no_source_with_units_can_serve_needs_no_solve_and_changes_nobody(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snap = snapshot(
        [order("O1", PM, part="A"), order("O2", STD, part="A"), order("O3", STD, part="B")],
        stock=[("A", "D1", 1), ("B", "D1", 0)],
    )
    planner = Planner(snap)
    before = _filled(planner.plan())

    def no_solve(*args: object) -> None:
        raise AssertionError("solved")

    monkeypatch.setattr(planner, "_solve", no_solve)
    planner.add_order(_order_row("N1", PM, "B", hours_old=0.1))
    planner.add_order(_order_row("N2", STD, "B", hours_old=0.1))
    plan = planner.plan()
    assert _filled(plan) == before == {"O1": 1}
    assert set(plan.short_reasons(["N1", "N2"])) == {"N1", "N2"}


def test_a_parts_priority_arrival_takes_the_unit_a_standard_order_held() -> None:
    snap = snapshot([order("S1", STD, age=5)], stock=[("A", "D1", 1)])
    planner = Planner(snap)
    assert _filled(planner.plan()) == {"S1": 1}
    planner.add_order(_order_row("P1", PM, "A", hours_old=0.1))
    assert _filled(planner.plan()) == {"P1": 1}


def test_without_preemption_a_standard_order_keeps_its_unit() -> None:
    snap = snapshot([order("S1", STD, age=5)], stock=[("A", "D1", 1)])
    planner = Planner(snap, policy=AllocationPolicy(preemption=False))
    planner.add_order(_order_row("P1", PM, "A", hours_old=0.1))
    assert _filled(planner.plan()) == {"S1": 1}


def test_without_preemption_a_held_unit_is_pinned_once_among_sources_alike() -> None:
    # Two receipts of one depot landing together are alike in every respect; the standard
    # order holds one unit of them, and keeps one, not one of each.
    snap = snapshot(
        [order("S1", STD, age=5, quantity=2), order("P1", PM, age=4)],
        inbound=[("A", "D1", 1, 0.0), ("A", "D1", 1, 0.0)],
    )
    planner = Planner(snap, policy=AllocationPolicy(preemption=False))
    assert _filled(planner.plan()) == {"S1": 1, "P1": 1}
    planner.add_order(_order_row("P2", PM, "A", hours_old=0.1))  # solved, with pins
    assert _filled(planner.plan()) == {"S1": 1, "P1": 1}


def test_a_receipt_goes_to_the_waiting_parts_priority_order_first() -> None:
    snap = snapshot([order("S1", STD, age=9), order("P1", PM, age=1)], stock=[("A", "D1", 0)])
    planner = Planner(snap)
    assert _filled(planner.plan()) == {}
    planner.add_stock("A", "D1", 1)
    assert _filled(planner.plan()) == {"P1": 1}


def test_shipping_consumes_the_units_and_cancelling_frees_them() -> None:
    snap = snapshot([order("P1", PM, age=3), order("P2", PM, age=2)], stock=[("A", "D1", 1)])
    planner = Planner(snap)
    assert _filled(planner.plan()) == {"P1": 1}
    planner.remove_order("P1", shipped=True)
    assert _filled(planner.plan()) == {}
    snap = snapshot([order("P1", PM, age=3), order("P2", PM, age=2)], stock=[("A", "D1", 1)])
    planner = Planner(snap)
    planner.remove_order("P1")
    assert _filled(planner.plan()) == {"P2": 1}


def test_a_replaced_group_is_planned_as_a_full_replan_of_its_tables_would() -> None:
    snap = snapshot([order("S1", STD, age=5)], stock=[("A", "D1", 1)])
    planner = Planner(snap)
    world = snapshot([order("S1", STD, age=5), order("P1", PM, age=1)], stock=[("A", "D1", 2)])
    decisions = pd.DataFrame(
        {"order_id": ["S1", "P1"], "priority_class": ["standard", "parts_priority"]}
    ).assign(tier=["standard", "PM"])
    planner.replace_group(
        "A", world.orders, decisions, world.stock, world.inbound, world.supply_options
    )
    assert _filled(planner.plan()) == _filled(allocate(world)) == {"S1": 1, "P1": 1}
    assert sorted(planner.order_ids()) == ["P1", "S1"]
    planner.remove_order("P1")
    assert _filled(planner.plan()) == {"S1": 1}


def test_bad_changes_are_refused_by_name() -> None:
    planner = Planner(snapshot([order("O1", PM)], stock=[("A", "D1", 1)]))
    with pytest.raises(InputError, match="O1"):
        planner.add_order(_order_row("O1", PM, "A", hours_old=1))
    with pytest.raises(UnknownIdError, match="ZZZ"):
        planner.add_order(_order_row("O9", PM, "ZZZ", hours_old=1))
    with pytest.raises(UnknownIdError, match="nobody"):
        planner.add_order(_order_row("O9", "nobody", "A", hours_old=1))
    with pytest.raises(UnknownIdError, match="O404"):
        planner.remove_order("O404")
    with pytest.raises(InputError, match="negative"):
        planner.add_stock("A", "D1", -5)


def test_one_more_unit_where_a_parts_priority_order_waits_is_worth_a_unit() -> None:
    snap = snapshot([order("P1", PM), order("S1", STD)], stock=[("A", "D1", 0)])
    values = marginal_values(Planner(snap))
    best = values.iloc[0]
    assert best["part_number"] == "A"
    assert best["depot_id"] == "D1"
    assert best["parts_priority_units"] == 1.0
    assert best["standard_units"] == 0.0


def test_the_reasons_of_a_few_orders_are_those_of_the_whole_unfilled_table() -> None:
    world = snapshot(
        [order("S1", STD, age=9), order("S2", STD, age=8), order("P1", PM, age=1)],
        stock=[("A", "D1", 1)],
    )
    plan = allocate(world)
    everyone = dict(zip(plan.unfilled["order_id"], plan.unfilled["reason"], strict=True))
    assert set(everyone) == {"S1", "S2"}
    assert plan.short_reasons(["S2", "P1"]) == {"S2": everyone["S2"]}
    assert "parts_priority orders, which rank first" in everyone["S2"]


arrivals_like_orders = st.lists(
    st.tuples(
        st.integers(0, 50),  # which order the arrival copies
        st.integers(-3, 3),  # minutes later than it (the age level counts whole minutes)
        st.booleans(),  # its id sorts before every other id, or after
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.property
@settings(max_examples=examples(30), deadline=None)
@given(random_worlds(), arrivals_like_orders)
def test_an_arrival_like_an_order_already_waiting_leaves_the_plan_a_full_replan_would_make(
    world: World, arrivals: list
) -> None:
    _arrivals_like_orders_leave_a_full_replan(world, arrivals)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(random_worlds(), arrivals_like_orders)
def test_an_arrival_like_an_order_already_waiting_leaves_a_full_replan_in_many_worlds(
    world: World, arrivals: list
) -> None:
    _arrivals_like_orders_leave_a_full_replan(world, arrivals)


def _arrivals_like_orders_leave_a_full_replan(world: World, arrivals: list) -> None:
    # Copies of orders of the world (same customer, part and country: one node of the
    # solver), a few minutes older or younger, their ids sorting first or last: the arrivals
    # that may join a node whose older orders wait, and those that may not.
    tables = world.tables()
    planner = Planner(load_snapshot(tables, as_of=AS_OF))
    for n, (pick, minutes, first, qty) in enumerate(arrivals):
        model = tables["orders"].iloc[pick % len(tables["orders"])].to_dict()
        row = {
            **model,
            "order_id": f"{'A' if first else 'Z'}{n:02d}",
            "created_at": pd.Timestamp(model["created_at"]).floor("min")
            + timedelta(minutes=minutes, seconds=n),
            "quantity": qty,
        }
        planner.add_order(row)
        tables["orders"] = pd.concat([tables["orders"], pd.DataFrame([row])], ignore_index=True)
        _same(planner, tables)


def test_an_arrival_behind_a_waiting_order_of_its_node_needs_no_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snap = snapshot(
        [order("O1", STD, part="A", age=5), order("O2", STD, part="A", age=4)],
        stock=[("A", "D1", 1)],
    )
    planner = Planner(snap)
    assert _filled(planner.plan()) == {"O1": 1}

    def no_solve(*args: object) -> None:
        raise AssertionError("solved")

    monkeypatch.setattr(planner, "_solve", no_solve)
    planner.add_order(_order_row("N1", STD, "A", hours_old=1))
    assert _filled(planner.plan()) == {"O1": 1}
    # Older than the waiting order, it ranks first among the waiting ones: solved for.
    monkeypatch.undo()
    solves: list[object] = []
    solve = planner._solve
    monkeypatch.setattr(planner, "_solve", lambda *a: solves.append(a) or solve(*a))
    planner.add_order(_order_row("N0", STD, "A", hours_old=4.5))
    assert len(solves) == 1
    assert _filled(planner.plan()) == {"O1": 1}
