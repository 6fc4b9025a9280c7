"""A grown orders table is made only when read, and then equals the one concatenation makes."""

from __future__ import annotations

import pickle
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from allocation import Planner
from allocation.engine.grown_orders import GrownOrders
from allocation.engine.problem import AllocationProblem
from tests.allocation.engine.builders import AS_OF, PM, STD, order, snapshot


def _raw(order_id: str, customer: str, qty: int = 1) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": "A",
        "quantity": qty,
        "created_at": AS_OF - timedelta(minutes=int(order_id[1:])),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": "US",
    }


def _planner() -> Planner:
    return Planner(
        snapshot([order("O1", PM, age=5), order("O2", STD, age=4)], stock=[("A", "D1", 3)])
    )


def _made(problem: AllocationProblem) -> bool:
    return "orders" in problem.__dict__


def test_arrivals_answered_with_holdings_and_reasons_never_make_the_table() -> None:
    planner = _planner()
    for n in range(3, 12):
        planner.add_order(_raw(f"N{n}", PM if n % 3 == 0 else STD, qty=1 + n % 2))
        plan = planner.group_plan("A")
        short = [
            str(i)
            for i, got, want in zip(
                plan.problem.orders_column("order_id", object),
                plan.filled,
                plan.problem.orders_column("quantity", np.int64),
                strict=True,
            )
            if got < want
        ]
        plan.short_reasons(short)
        assert not _made(plan.problem), f"after N{n}"
    assert plan.problem.order_count == 11


def test_the_table_made_on_first_read_equals_a_concatenation_of_the_rows() -> None:
    planner = _planner()
    base = planner.group_plan("A").problem.orders
    for n in range(3, 8):
        planner.add_order(_raw(f"N{n}", STD))
    grown = planner.group_plan("A").problem
    made = grown.orders
    assert made["order_id"].tolist() == ["O1", "O2", "N3", "N4", "N5", "N6", "N7"]
    pd.testing.assert_frame_equal(made.iloc[: len(base)], base, check_exact=True)
    pd.testing.assert_series_equal(made.dtypes, base.dtypes)
    assert isinstance(made.index, pd.RangeIndex)
    # Growing on from a table that was read starts from the table made.
    planner.add_order(_raw("N8", PM))
    assert planner.group_plan("A").problem.orders["order_id"].tolist()[-2:] == ["N7", "N8"]


def test_two_tables_grown_from_one_do_not_see_each_others_rows() -> None:
    base = _planner().group_plan("A").problem.orders
    start = GrownOrders.starting_from(base)
    one = start.plus(base.iloc[0].to_dict() | {"order_id": "X"})
    other = start.plus(base.iloc[0].to_dict() | {"order_id": "Y"})
    longer = one.plus(base.iloc[1].to_dict() | {"order_id": "Z"})
    assert one.frame()["order_id"].tolist() == ["O1", "O2", "X"]
    assert other.frame()["order_id"].tolist() == ["O1", "O2", "Y"]
    assert longer.frame()["order_id"].tolist() == ["O1", "O2", "X", "Z"]
    assert (len(one), len(other), len(longer)) == (3, 3, 4)


def test_a_grown_problem_survives_pickling_for_worker_processes() -> None:
    planner = _planner()
    planner.add_order(_raw("N3", STD))
    problem = planner.group_plan("A").problem
    copy = pickle.loads(pickle.dumps(problem))
    pd.testing.assert_frame_equal(copy.orders, problem.orders, check_exact=True)


def test_a_column_read_without_making_the_table_is_the_tables_own() -> None:
    planner = _planner()
    for n in range(3, 6):
        planner.add_order(_raw(f"N{n}", PM if n % 2 else STD, qty=n))
    grown = planner.group_plan("A").problem.grown_orders()
    made = grown.frame()
    for name in made.columns:
        for dtype in (None, object):
            mine = grown.column(str(name), None if dtype is None else np.dtype(dtype))
            theirs = made[name].to_numpy(dtype)
            assert mine.dtype == theirs.dtype, name
            assert mine.tolist() == theirs.tolist(), name
