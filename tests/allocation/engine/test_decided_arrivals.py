"""An arrival whose entitlement the caller decided (the service, at intake) is planned as
one the planner decides itself: same problem arrays, same plan."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import numpy as np
from hypothesis import given, settings

from allocation import Planner, load_snapshot
from allocation.domain.entitlement import decide_entitlement
from allocation.domain.model import OrderLine, Tier
from allocation.engine.incremental import Decided
from allocation.engine.incremental._arrival import append_arcs, append_order
from allocation.engine.model import Arcs, OrderColumns
from tests.allocation.engine.builders import (
    AS_OF,
    PM,
    STD,
    World,
    order,
    random_worlds,
    snapshot,
)
from tests.budget import examples


def _row(order_id: str, customer: str, part: str, hours_old: float, qty: int) -> dict:
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


def _decided(planner: Planner, row: dict) -> Decided:
    line = OrderLine(
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        part_number=row["part_number"],
        quantity=row["quantity"],
        created_at=row["created_at"],
        product_type=row["product_type"],
        warranty_valid=row["warranty_valid"],
        ship_to_country=row["ship_to_country"],
    )
    customer = planner._customers[row["customer_id"]]
    decision = decide_entitlement(
        line,
        customer,
        planner._contracts.get(customer.customer_id, []),
        policy=planner.entitlement_policy,
    )
    return Decided(decision.priority_class, Tier(decision.tier), decision.country)


def _equal(x: np.ndarray, y: np.ndarray) -> bool:
    """Same dtype and entries (moments compared as integers: NaT equals NaT)."""
    if x.dtype != y.dtype:
        return False
    if x.dtype.kind == "M":
        return bool(np.array_equal(x.view(np.int64), y.view(np.int64)))
    return bool(np.array_equal(x, y))


def _same_plans(a: Planner, b: Planner) -> None:
    left, right = a.plan(), b.plan()
    for name in (f.name for f in fields(OrderColumns)):
        assert _equal(getattr(left.problem.orders, name), getattr(right.problem.orders, name))
    for name in (f.name for f in fields(Arcs)):
        assert _equal(getattr(left.problem.arcs, name), getattr(right.problem.arcs, name))
    assert np.array_equal(left.flow, right.flow)


@settings(max_examples=examples(10), deadline=None)
@given(random_worlds())
def test_a_decided_arrival_is_planned_as_one_the_planner_decides(world: World) -> None:
    tables = world.tables()
    mine = Planner(load_snapshot(tables, as_of=AS_OF))
    theirs = Planner(load_snapshot(tables, as_of=AS_OF))
    parts = sorted(tables["parts"]["part_number"])
    for n, customer in enumerate([PM, STD, "PA", PM]):
        row = _row(f"N{n}", customer, parts[n % len(parts)], 0.5 * n, 1 + n % 3)
        mine.add_order(row, _decided(mine, row))
        theirs.add_order(row)
        _same_plans(mine, theirs)


def test_appending_one_order_and_its_arcs_is_concatenating_them() -> None:
    planner = Planner(
        snapshot([order("O1", PM), order("O2", STD)], stock=[("A", "D1", 1), ("B", "D1", 2)])
    )
    problem = planner.plan().problem
    orders, arcs = problem.orders, problem.arcs
    one = orders.take(np.array([0])) if len(orders) else OrderColumns.empty()
    for whole, made in (
        (OrderColumns.concat([orders, one]), append_order(orders, one)),
        (Arcs.concat([arcs, arcs]), append_arcs(arcs, arcs)),
    ):
        for name in (f.name for f in fields(whole)):
            assert _equal(getattr(whole, name), getattr(made, name))
