"""Explanations of orders with a target say whether they are late, by how much, and why."""

from __future__ import annotations

from allocation import allocate
from tests.allocation.engine.builders import order, snapshot


def test_a_late_order_is_told_how_late_and_where_the_nearest_unit_is() -> None:
    plan = allocate(
        snapshot(
            [order("O1", due=2.0)],
            stock=[("A", "Prague", 1)],
            depots=[("D1", "US"), ("Prague", "CZ")],
            lanes=[("Prague", "US", 5.5, 3.0)],
        )
    )
    words = plan.explain("O1")
    assert "late by 3.5 h: the nearest unit is in Prague (ETA 5.5 h)" in words
    assert plan.lines.loc[0, "late_hours"] == 3.5


def test_an_order_on_time_is_told_so() -> None:
    plan = allocate(snapshot([order("O1", due=2.0)], stock=[("A", "D1", 1)]))
    assert "need by 2025-06-10 14:00: on time" in plan.explain("O1")


def test_a_late_order_whose_on_time_unit_went_elsewhere_is_told_who_holds_it() -> None:
    # Both due in 1 h; the shelf unit goes to the older, the other waits 5 h for a transfer.
    plan = allocate(
        snapshot(
            [order("OLD", age=5, due=1.0), order("NEW", age=1, due=1.0)],
            stock=[("A", "D1", 1), ("A", "D2", 1)],
            depots=[("D1", "US"), ("D2", "CA")],
            lanes=[("D2", "US", 5.0, 0.0)],
        )
    )
    words = plan.explain("NEW")
    assert "late by 4.0 h: units that would be on time went to others (see below)" in words
    assert "held by OLD" in words


def test_a_rival_due_sooner_is_named_as_the_reason() -> None:
    # The shelf (0 h) is on time for both, the transfer (3 h) only for OLD (due in 4 h):
    # NEW (due in 1 h) gets the shelf, and OLD's explanation names NEW's earlier target.
    plan = allocate(
        snapshot(
            [order("OLD", age=5, due=4.0), order("NEW", age=1, due=1.0)],
            stock=[("A", "D1", 1), ("A", "D2", 1)],
            depots=[("D1", "US"), ("D2", "CA")],
            lanes=[("D2", "US", 3.0, 0.0)],
        )
    )
    assert plan.lines.set_index("order_id").loc["NEW", "origin"] == "D1"
    words = plan.explain("OLD")
    assert "same class, due sooner (need by 2025-06-10 13:00)" in words
    assert "- need by 2025-06-10 16:00: on time" in words


def test_an_unfilled_order_with_a_target_misses_it() -> None:
    plan = allocate(snapshot([order("O1", quantity=2, due=1.0)], stock=[("A", "D1", 1)]))
    assert "1 unit(s) miss it" in plan.explain("O1")
    summary = plan.summary()["by_class"]["parts_priority"]
    assert (summary["orders_with_target"], summary["orders_breached"]) == (1, 1)
    assert summary["units_late"] == 0
