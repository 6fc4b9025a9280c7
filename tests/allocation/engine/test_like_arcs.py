"""An arrival's arcs copied from an order alike are the arcs a build would give it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import Planner, load_snapshot
from allocation.engine import Problem
from allocation.engine.model import ARC_KEYS, Arcs, arcs_like, build_arcs
from tests.allocation.engine.builders import AS_OF, PM, STD, World, order, random_worlds, snapshot
from tests.budget import examples

_FIELDS = ("source", "order", "kind", "eta_hours", "money", "allowed")


def _assert_same(actual: Arcs, expected: Arcs) -> None:
    for name in _FIELDS:
        np.testing.assert_array_equal(getattr(actual, name), getattr(expected, name), name)


def _arcs_of(problem: Problem, row: int) -> Arcs:
    return problem.arcs.take(np.flatnonzero(problem.arcs.order == row))


changes = st.lists(
    st.one_of(
        # an arrival copying an order of the world (customer, part, country), any age
        st.tuples(st.just("copy"), st.integers(0, 50), st.integers(1, 3)),
        # an arrival of another customer for a part: alike to none, or to some
        st.tuples(st.just("add"), st.sampled_from([PM, STD, "PA"]), st.integers(0, 5)),
        st.tuples(st.just("stock"), st.integers(0, 5), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("ship"), st.integers(0, 30), st.just(0)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.mark.property
@settings(max_examples=examples(60), deadline=None)
@given(random_worlds(), changes)
def test_every_arrival_has_the_arcs_a_build_gives_it(world: World, steps: list) -> None:
    tables = world.tables()
    planner = Planner(load_snapshot(tables, as_of=AS_OF))
    parts = sorted(tables["parts"]["part_number"])
    depots = sorted(tables["depots"]["depot_id"])
    for n, (kind, a, b) in enumerate(steps):
        if kind in ("copy", "add"):
            if kind == "copy":
                model = tables["orders"].iloc[a % len(tables["orders"])].to_dict()
            else:
                model = {
                    **tables["orders"].iloc[0].to_dict(),
                    "customer_id": a,
                    "part_number": parts[b % len(parts)],
                }
            row = {
                **model,
                "order_id": f"N{n:02d}",
                "created_at": AS_OF - timedelta(minutes=7 * n),
                "quantity": 1 + n % 3,
            }
            planner.add_order(row)
            tables["orders"] = pd.concat([tables["orders"], pd.DataFrame([row])], ignore_index=True)
            problem = planner.group_plan(str(row["part_number"])).problem
            mine = int(np.flatnonzero(problem.orders.order_id == row["order_id"])[0])
            built = build_arcs(
                problem.orders, problem.sources, problem.context, np.array([mine]), True
            )
            _assert_same(_arcs_of(problem, mine), built)
        elif kind == "stock":
            planner.add_stock(parts[a % len(parts)], depots[a % len(depots)], b)
        else:
            open_ids = sorted(planner.order_ids())
            if len(open_ids) > 1:
                planner.remove_order(open_ids[a % len(open_ids)], shipped=kind == "ship")


@pytest.mark.property
@settings(max_examples=examples(40), deadline=None)
@given(random_worlds())
def test_orders_alike_in_a_full_build_have_the_same_arcs(world: World) -> None:
    """What the copy relies on: in a problem built whole, any two orders alike in the arc
    keys have the same arcs in the same sequence."""
    snap = load_snapshot(world.tables(), as_of=AS_OF)
    planner = Planner(snap)
    for part in sorted(world.tables()["parts"]["part_number"]):
        problem = planner.group_plan(part).problem
        if len(problem.orders) == 0:
            continue
        keys = np.stack([getattr(problem.orders, k) for k in ARC_KEYS], axis=1)
        for row in range(len(problem.orders)):
            earlier = np.flatnonzero((keys[:row] == keys[row]).all(axis=1))
            if len(earlier) == 0:
                continue
            theirs = _arcs_of(problem, int(earlier[-1]))
            mine = _arcs_of(problem, row)
            for name in _FIELDS:
                if name != "order":
                    np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))


def test_an_arrival_alike_to_no_order_gets_none_and_an_alike_one_a_renumbered_copy() -> None:
    snap = snapshot(
        [order("O1", STD, part="A", age=5), order("O2", PM, part="A", age=4)],
        stock=[("A", "D1", 1)],
    )
    problem = Planner(snap).group_plan("A").problem
    std_row = int(np.flatnonzero(problem.orders.order_id == "O1")[0])
    alike = problem.orders.take(np.array([std_row]))
    copied = arcs_like(problem.orders, problem.arcs, alike)
    assert copied is not None
    assert len(copied) > 0
    assert set(copied.order.tolist()) == {len(problem.orders)}
    np.testing.assert_array_equal(copied.source, _arcs_of(problem, std_row).source)
    other = replace(alike, part_code=np.array([99], dtype=np.int64))
    assert arcs_like(problem.orders, problem.arcs, other) is None
