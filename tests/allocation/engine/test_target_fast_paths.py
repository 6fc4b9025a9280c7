"""The no-solve paths agree with a full solve when orders have a ``need_by``.

The lone-order rule (``fill_alone``, ``fill_alone_lazy``) ranks one order's sources by
``lone_ticks`` — units late, hours late, then ETA ticks — and the incremental planner's
shortcuts (served from free units, waiting behind an order of its node) use it or keep to
orders of the same target; everything else is solved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import Engine, Planner, allocate, load_snapshot
from allocation.engine.objective import (
    eta_ticks,
    fill_alone,
    fill_alone_lazy,
    late_levels,
    lone_ticks,
    money_cents,
    tie_break,
    tie_node,
    waits_behind,
)
from tests.allocation.engine.builders import AS_OF, STD, World, order, snapshot, target_worlds
from tests.budget import examples


def _filled(plan: Any) -> dict[str, int]:
    return plan.lines.groupby("order_id")["quantity"].sum().astype(int).to_dict()


def _row(order_id: str, customer: str, hours_old: float, due: float | None) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": "A",
        "quantity": 1,
        "created_at": AS_OF - timedelta(hours=hours_old),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": "US",
        "need_by": None if due is None else AS_OF + timedelta(hours=due),
    }


@pytest.mark.property
@settings(max_examples=examples(60), deadline=None)
@given(target_worlds())
def test_the_lone_order_rule_with_a_target_takes_what_the_solver_gives(w: World) -> None:
    lone = replace(w, orders=w.orders[:1])
    if lone.orders[0].due is None:
        lone = replace(lone, orders=(replace(lone.orders[0], due=0.5),))
    engine = Engine(lone.snapshot())
    plan = engine.plan()
    problem = plan.problem
    arcs, sources = problem.arcs, problem.sources
    resolution = problem.policy.eta_resolution_hours
    ticks = eta_ticks(arcs.eta_hours, resolution)
    late, late_ticks = late_levels(
        arcs.eta_hours, problem.orders.due_hours(problem.as_of)[arcs.order], resolution
    )
    keys = lone_ticks(ticks, late, late_ticks)
    cents = money_cents(arcs.money)
    orders = problem.orders
    tie = tie_break(
        tie_node(orders.node, orders.need_by)[arcs.order], sources.tie_hash[arcs.source]
    )
    units = sources.quantity[arcs.source]
    need = int(problem.orders.quantity[0])
    take = fill_alone(keys, cents, tie, units, need)
    lazy = fill_alone_lazy(keys, cents.tolist(), tie.tolist().__getitem__, units.tolist(), need)
    if take is None:
        assert lazy is None
        return
    assert lazy == take.tolist()
    assert take.tolist() == plan.flow.tolist()


@pytest.mark.fast
def test_the_lone_order_rule_puts_an_on_time_unit_before_a_cheaper_late_one_in_the_same_tick() -> (
    None
):
    # Both ETAs round to tick 0; the cheaper one is 72 s late. Units late come first.
    ticks = [0, 0]
    late, late_ticks = late_levels(np.array([0.04, 0.0]), np.array([0.02, 0.02]), 0.1)
    keys = lone_ticks(ticks, late, late_ticks)
    assert fill_alone(ticks, [0, 500], [1, 2], [1, 1], 1).tolist() == [1, 0]
    assert fill_alone(keys, [0, 500], [1, 2], [1, 1], 1).tolist() == [0, 1]
    assert fill_alone_lazy(keys, [0, 500], [1, 2].__getitem__, [1, 1], 1) == [0, 1]


def test_an_arrival_with_a_target_served_from_free_units_takes_the_on_time_one() -> None:
    # A receipt lands at home in 0.04 h for nothing; a shelf across the border is there now
    # (0 h) at 5 a unit. Both are tick 0. Due in 0.02 h, the arrival takes the shelf.
    tables = {
        "orders": [order("O1", part="B")],
        "stock": [("A", "D2", 1), ("B", "D1", 1)],
        "inbound": [("A", "D1", 1, 0.04)],
        "depots": [("D1", "US"), ("D2", "CA")],
        "lanes": [("D2", "US", 0.0, 5.0)],
    }
    planner = Planner(snapshot(**tables))  # type: ignore[arg-type]
    planner.add_order(_row("N1", "PM", hours_old=0.1, due=0.02))
    got = planner.plan()
    assert got.lines.set_index("order_id").loc["N1", "origin"] == "D2"
    full = allocate(snapshot([*tables.pop("orders"), order("N1", age=0.1, due=0.02)], **tables))
    assert got.objective() == pytest.approx(full.objective())
    assert _filled(got) == _filled(full)


def test_an_arrival_with_another_target_than_a_waiting_order_of_its_node_is_solved_for() -> None:
    # One unit landing in 2 h. H (due in 1 h) holds it over W (due in 0.5 h): both late,
    # H by less. The arrival A is due in 3 h: on time, it takes the unit from H, though W,
    # older and of its node, waits — W's target is another, so A does not queue behind it.
    rows = {"inbound": [("A", "D1", 1, 2.0)]}
    held = [order("H", STD, age=6, due=1.0), order("W", STD, age=5, due=0.5)]
    planner = Planner(snapshot(held, **rows))
    assert _filled(planner.plan()) == {"H": 1}
    orders = planner.plan().problem.orders
    minutes = np.r_[orders.created_minutes(), orders.created_minutes().max() + 240]
    ids = np.array([*orders.order_id, "A"], dtype=object)
    # Ignoring targets, the node rule would say A waits behind W.
    assert waits_behind(minutes, ids, np.array([False, True, True]))
    planner.add_order(_row("A", STD, hours_old=1, due=3.0))
    full = allocate(snapshot([*held, order("A", STD, age=1, due=3.0)], **rows))
    assert _filled(planner.plan()) == _filled(full) == {"A": 1}
    assert planner.plan().objective() == pytest.approx(full.objective())


arrivals = st.lists(
    st.tuples(
        st.integers(0, 50),  # which order the arrival copies
        st.integers(-3, 3),  # minutes later than it
        st.one_of(st.none(), st.integers(-2, 40).map(lambda k: k / 2)),  # its target
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.property
@settings(max_examples=examples(40), deadline=None)
@given(target_worlds(), arrivals)
def test_arrivals_with_targets_leave_the_plan_a_full_replan_would_make(
    w: World, new: list[tuple[int, int, float | None, int]]
) -> None:
    tables = w.tables()
    planner = Planner(load_snapshot(tables, as_of=AS_OF))
    for n, (pick, minutes, due, qty) in enumerate(new):
        model = tables["orders"].iloc[pick % len(tables["orders"])].to_dict()
        row = {
            **model,
            "order_id": f"Z{n:02d}",
            "created_at": pd.Timestamp(model["created_at"]).floor("min")
            + timedelta(minutes=minutes, seconds=n),
            "quantity": qty,
            "need_by": None if due is None else AS_OF + timedelta(hours=due),
        }
        planner.add_order(row)
        tables["orders"] = pd.concat([tables["orders"], pd.DataFrame([row])], ignore_index=True)
        full = allocate(load_snapshot(tables, as_of=AS_OF))
        mine = planner.plan()
        assert mine.objective() == pytest.approx(full.objective())
        assert _filled(mine) == _filled(full)
