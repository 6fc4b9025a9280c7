"""An arrival's columns and arcs are exactly those a build of the same orders gives."""

from __future__ import annotations

import pickle
from dataclasses import fields
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation import Engine, Planner
from allocation.engine import OrderColumns
from allocation.engine.model import build_arcs, unique_inverse
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
    planner = Engine(snap).planner()
    raws = [_raw(i, c, q, hours_old=1.0 / (n + 1)) for n, (i, c, q) in enumerate(ARRIVALS)]
    for raw in raws:
        planner.add_order(raw)
    return planner, pd.concat([snap.orders, pd.DataFrame(raws)], ignore_index=True)


def _same(a: OrderColumns, b: OrderColumns) -> None:
    for field in fields(OrderColumns):
        left, right = getattr(a, field.name), getattr(b, field.name)
        assert left.dtype == right.dtype, field.name
        assert left.tolist() == right.tolist(), field.name


def test_arrivals_leave_the_order_columns_a_build_of_the_same_orders_gives() -> None:
    planner, raw = _planner_after_arrivals()
    mine = planner.group_plan("A").problem.orders
    built = Engine(planner._snapshot).orders_of(raw.astype({"created_at": "datetime64[ns]"}))
    by_id = {order_id: row for row, order_id in enumerate(built.order_id.tolist())}
    _same(mine, built.take(np.array([by_id[i] for i in mine.order_id.tolist()])))


def test_order_columns_pickle_and_slice_as_arrays() -> None:
    planner, _ = _planner_after_arrivals()
    orders = planner.group_plan("A").problem.orders
    _same(pickle.loads(pickle.dumps(orders)), orders)
    head = orders.take(np.arange(2))
    _same(OrderColumns.concat([head, orders.take(np.arange(2, len(orders)))]), orders)
    assert orders.to_pandas(planner.context)["order_id"].tolist() == orders.order_id.tolist()


def test_one_orders_arcs_among_many_equal_those_it_gets_alone() -> None:
    planner, _ = _planner_after_arrivals()
    problem = planner.group_plan("A").problem
    last = len(problem.orders) - 1
    grown = build_arcs(
        problem.orders, problem.sources, problem.context, np.array([last]), only_allowed=False
    )
    alone = problem.orders.take(np.array([last]))
    probe = build_arcs(alone, problem.sources, problem.context, np.array([0]), only_allowed=False)
    for field in ("source", "kind", "eta_hours", "money", "allowed"):
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
