"""An arrival's fast paths give exactly the tables and arrays the plain pandas way gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import Planner
from allocation.engine.columns import known_orders_columns
from allocation.engine.frames import orders_table
from allocation.engine.problem import AllocationProblem, build_arcs
from allocation.engine.unique import unique_inverse
from tests.allocation.engine.builders import AS_OF, PM, STD, order, snapshot

ARRIVALS = [("N1", STD, 2), ("N2", STD, 1), ("N3", PM, 3), ("N4", STD, 1), ("N5", PM, 1)]


def _raw(order_id: str, customer: str, qty: int, hours_old: float) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": "A",
        "quantity": qty,
        "created_at": AS_OF - timedelta(hours=hours_old),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": "US",
    }


def _planner_after_arrivals() -> tuple[Planner, pd.DataFrame]:
    snap = snapshot([order("O1", PM, age=5), order("O2", STD, age=4)], stock=[("A", "D1", 2)])
    planner = Planner(snap)
    raws = [_raw(i, c, q, hours_old=1.0 / (n + 1)) for n, (i, c, q) in enumerate(ARRIVALS)]
    for raw in raws:
        planner.add_order(raw)
    return planner, pd.concat([snap.orders, pd.DataFrame(raws)], ignore_index=True)


def test_arrivals_leave_the_orders_table_orders_table_would_build() -> None:
    planner, raw = _planner_after_arrivals()
    mine = planner.group_plan("A").problem.orders
    decisions = mine[["order_id", "priority_class", "tier"]]
    expected = orders_table(raw, planner._snapshot.customers, decisions, planner.context)
    pd.testing.assert_frame_equal(mine, expected, check_exact=True)
    assert mine.columns.dtype == expected.columns.dtype


def _assert_known_columns_are_the_tables_own(problem: AllocationProblem) -> None:
    known = {k: v for k, v in known_orders_columns(problem).items() if not k[0].startswith("_")}
    assert {"quantity", "agg_key", "part_code"} <= {name for name, _ in known}
    for (name, dtype), values in known.items():
        direct = problem.orders[name].to_numpy(dtype=dtype)
        assert values.dtype == direct.dtype
        assert values.tolist() == direct.tolist()


def test_columns_sliced_from_the_full_solve_equal_each_groups_own() -> None:
    snap = snapshot([order("O1", PM, age=5), order("O2", STD, age=4)], stock=[("A", "D1", 2)])
    _assert_known_columns_are_the_tables_own(Planner(snap).group_plan("A").problem)


def test_columns_carried_from_one_arrival_to_the_next_equal_the_tables_own() -> None:
    planner, _ = _planner_after_arrivals()
    _assert_known_columns_are_the_tables_own(planner.group_plan("A").problem)


def test_one_orders_arcs_on_the_grown_table_equal_those_of_a_one_row_table() -> None:
    planner, _ = _planner_after_arrivals()
    problem = planner.group_plan("A").problem
    last = len(problem.orders) - 1
    grown = build_arcs(problem, np.array([last]), only_allowed=False)
    alone = AllocationProblem(
        orders=problem.orders.iloc[[last]].reset_index(drop=True),
        sources=problem.sources,
        arcs=problem.arcs,
        context=problem.context,
    )
    probe = build_arcs(alone, np.array([0]), only_allowed=False)
    for field in ("source", "part", "kind", "eta_hours", "money", "allowed"):
        assert np.array_equal(getattr(grown, field), getattr(probe, field))
    assert np.array_equal(grown.order, probe.order + last)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-3, 40), max_size=30) | st.lists(st.integers(0, 10**9), max_size=8),
    st.sampled_from([np.int64, np.int32]),
)
def test_unique_inverse_is_numpys_unique_with_its_inverse(values: list[int], dtype: type) -> None:
    array = np.array(values, dtype=dtype)
    unique, inverse = unique_inverse(array)
    want_unique, want_inverse = np.unique(array, return_inverse=True)
    assert unique.dtype == want_unique.dtype
    assert inverse.dtype == want_inverse.dtype
    assert unique.tolist() == want_unique.tolist()
    assert inverse.tolist() == want_inverse.tolist()
