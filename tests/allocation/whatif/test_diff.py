"""diff(plan_a, plan_b): who gains and who loses, on tiny worlds whose answer is known by hand.

Depot D1 in the US unless said otherwise; ``PM`` orders are ``parts_priority``, ``STD`` and
``PA`` orders ``standard``; every order is one unit shipped to the US unless it says so.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from allocation import allocate, diff, plan_outcomes, scale_demand
from allocation.errors import InputError
from allocation.whatif import outcomes_from_tables
from tests.allocation.engine.builders import PM, STD, order, snapshot

# D2 in Germany reaches the US in 24 h.
TWO_DEPOTS = {"depots": [("D1", "US"), ("D2", "DE")], "lanes": [("D2", "US", 24, 5)]}
ORDERS = [order("P1", PM, age=2), order("S1", STD, age=9), order("S2", "PA", age=5, country="DE")]


def _row(table: pd.DataFrame, key: str, value: str) -> dict[str, object]:
    rows = table[table[key] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def test_one_more_unit_at_home_lets_the_oldest_standard_order_gain_and_nobody_lose() -> None:
    # A: one unit in D1 → P1. B: two → P1 and the older standard order S1 (S2 is in DE,
    # its home D2 has nothing).
    a = allocate(snapshot(ORDERS, stock=[("A", "D1", 1)], **TWO_DEPOTS))
    b = allocate(snapshot(ORDERS, stock=[("A", "D1", 2)], **TWO_DEPOTS))
    change = diff(a, b)
    orders = change.to_pandas()
    assert dict(zip(orders["order_id"], orders["change"], strict=True)) == {
        "P1": "same",
        "S1": "gains",
        "S2": "same",
    }
    s1 = _row(orders, "order_id", "S1")
    assert (s1["units_a"], s1["units_b"], s1["units_change"]) == (0, 1, 1)
    assert pd.isna(s1["eta_hours_a"])
    assert s1["eta_hours_b"] == 0.0
    by_class = change.by("priority_class")
    standard = _row(by_class, "priority_class", "standard")
    assert (standard["orders"], standard["gaining"], standard["losing"]) == (2, 1, 0)
    assert (standard["units_a"], standard["units_b"], standard["units_change"]) == (0, 1, 1)
    pp = _row(by_class, "priority_class", "parts_priority")
    assert (pp["units_a"], pp["units_b"], pp["eta_change"]) == (1, 1, 0.0)


def test_an_order_served_sooner_gains_by_its_eta_and_one_served_later_loses() -> None:
    # A: P1's only unit is in D2 (24 h away). B: it is at home (0 h). Reversed, it loses.
    far = allocate(snapshot(ORDERS, stock=[("A", "D2", 1)], **TWO_DEPOTS))
    near = allocate(snapshot(ORDERS, stock=[("A", "D1", 1)], **TWO_DEPOTS))
    sooner = _row(diff(far, near).to_pandas(), "order_id", "P1")
    assert (sooner["change"], sooner["units_change"]) == ("gains", 0)
    assert (sooner["eta_hours_a"], sooner["eta_hours_b"], sooner["eta_change"]) == (
        24.0,
        0.0,
        -24.0,
    )
    later = _row(diff(near, far).to_pandas(), "order_id", "P1")
    assert (later["change"], later["eta_change"]) == ("loses", 24.0)
    by_customer = diff(far, near).by("customer")
    assert _row(by_customer, "customer", PM)["unit_hours_a"] == 24.0
    assert _row(by_customer, "customer", PM)["unit_hours_b"] == 0.0


def test_orders_in_only_one_plan_are_marked_and_their_units_count_in_the_totals() -> None:
    # Demand doubled: P1~2 and S1~2 exist only in B. One unit: P1 keeps it, so the copies
    # get nothing; with two, the copy P1~2 (a parts-priority order) takes the second unit
    # ahead of the standard orders.
    before = snapshot([order("P1", PM, age=2), order("S1", STD, age=9)], stock=[("A", "D1", 2)])
    a = allocate(before)
    b = allocate(scale_demand(before, 2))
    orders = diff(a, b).to_pandas().set_index("order_id")
    assert orders.loc["P1~2", "change"] == "only_in_b"
    assert orders.loc["S1~2", "change"] == "only_in_b"
    assert orders.loc["S1", "change"] == "loses"
    assert orders.loc["P1~2", "units_b"] == 1
    assert orders.loc["P1~2", "units_a"] == 0
    customers = diff(a, b).by("customer").set_index("customer")
    assert customers.loc[PM, ["only_in_b", "units_a", "units_b"]].tolist() == [1, 1, 2]
    assert customers.loc[STD, ["losing", "only_in_b", "units_a", "units_b"]].tolist() == [
        1,
        1,
        1,
        0,
    ]
    summary = diff(b, a).summary()
    assert (summary["only_in_a"], summary["only_in_b"], summary["orders"]) == (2, 0, 4)


def test_a_plan_compared_with_itself_changes_nothing() -> None:
    plan = allocate(snapshot(ORDERS, stock=[("A", "D1", 1), ("A", "D2", 1)], **TWO_DEPOTS))
    summary = diff(plan, plan).summary()
    assert (summary["gaining"], summary["losing"], summary["unchanged"]) == (0, 0, 3)
    json.dumps(summary)  # plain values only


def test_diff_reads_no_state_and_changes_neither_plan() -> None:
    a = allocate(snapshot(ORDERS, stock=[("A", "D1", 1)], **TWO_DEPOTS))
    b = allocate(snapshot(ORDERS, stock=[("A", "D1", 2)], **TWO_DEPOTS))
    lines_a, lines_b = a.lines.copy(), b.lines.copy()
    first = diff(a, b).to_pandas()
    second = diff(a, b).to_pandas()
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(a.lines, lines_a)
    pd.testing.assert_frame_equal(b.lines, lines_b)


def test_plans_read_back_from_their_tables_diff_like_the_plans_themselves() -> None:
    a = allocate(snapshot(ORDERS, stock=[("A", "D2", 1)], **TWO_DEPOTS))
    b = allocate(snapshot(ORDERS, stock=[("A", "D1", 2)], **TWO_DEPOTS))
    sites = plan_outcomes(a)[["order_id", "customer_id", "country"]]
    from_tables = diff(
        outcomes_from_tables(a.lines, a.unfilled, sites),
        outcomes_from_tables(b.lines, b.unfilled, sites),
    )
    pd.testing.assert_frame_equal(from_tables.to_pandas(), diff(a, b).to_pandas())


def test_summaries_by_customer_need_outcomes_that_name_customers() -> None:
    a = allocate(snapshot(ORDERS, stock=[("A", "D1", 1)], **TWO_DEPOTS))
    bare = outcomes_from_tables(a.lines, a.unfilled)
    change = diff(bare, bare)
    assert len(change.by("priority_class")) == 2
    with pytest.raises(InputError, match="which customer each order belongs to"):
        change.by("customer")
    with pytest.raises(InputError, match="unknown level 'planet'"):
        change.by("planet")


def test_outcome_tables_with_repeated_orders_or_missing_columns_are_refused() -> None:
    a = plan_outcomes(allocate(snapshot(ORDERS, stock=[("A", "D1", 1)], **TWO_DEPOTS)))
    with pytest.raises(InputError, match="order ids repeat"):
        diff(pd.concat([a, a]), a)
    with pytest.raises(InputError, match="lacks column"):
        diff(a.drop(columns=["units"]), a)
    with pytest.raises(InputError, match="got str"):
        diff("plan.csv", a)  # type: ignore[arg-type]


def test_the_notebook_view_escapes_ids_and_shows_the_classes() -> None:
    evil = [order("<script>alert(1)</script>", PM), order("S1", STD, age=9)]
    a = allocate(snapshot(evil, stock=[("A", "D1", 0)]))
    b = allocate(snapshot(evil, stock=[("A", "D1", 1)]))
    html = diff(a, b)._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "parts_priority" in html
    assert "1 gain" in html
    assert "PlanDiff(2 orders: 1 gain" in repr(diff(a, b))
