"""compare_protection: what protection levels buy each class and what they cost, by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from allocation import ProtectionLevels, compare_protection
from allocation.errors import PolicyError, UnknownIdError
from tests.allocation.engine.builders import PM, STD, World, order, protected_worlds, snapshot


def _by_class(report: object, klass: str) -> dict[str, object]:
    table = report.by_class()  # type: ignore[attr-defined]
    return table.set_index("priority_class").loc[klass].to_dict()  # type: ignore[no-any-return]


def test_against_the_optimizer_a_level_costs_standard_units_and_buys_nothing_now() -> None:
    # 3 on hand, level 2: without the level S1 (2 units) and P1 (1) are all served; with it
    # S1 gets only the one unit above the level, P1 takes a protected one, one sits idle.
    snap = snapshot(
        [order("S1", STD, quantity=2, age=9), order("P1", PM, age=1)], stock=[("A", "D1", 3)]
    )
    report = compare_protection(snap, ProtectionLevels({("D1", "A"): 2}))
    pp, std = _by_class(report, "parts_priority"), _by_class(report, "standard")
    assert (pp["units_without"], pp["units_with"], pp["eta_change"]) == (1, 1, 0.0)
    assert (std["units_without"], std["units_with"], std["units_change"]) == (2, 1, -1)
    assert std["orders_losing"] == 1
    held = report.held().iloc[0].to_dict()
    assert held == {
        "depot_id": "D1",
        "part_number": "A",
        "level": 2,
        "on_hand": 3,
        "protected": 2,
        "taken_by_parts_priority": 1,
        "idle": 1,
        "standard_units_waiting": 1,
    }


def test_against_fifo_a_level_saves_the_last_unit_for_a_later_parts_priority_order() -> None:
    snap = snapshot([order("S1", STD, age=9), order("P1", PM, age=1)], stock=[("A", "D1", 1)])
    report = compare_protection(snap, ProtectionLevels({("D1", "A"): 1}), strategy="fifo")
    assert _by_class(report, "parts_priority")["units_change"] == 1
    assert _by_class(report, "standard")["units_change"] == -1
    assert report.summary()["strategy"] == "fifo"


def test_levels_may_come_as_a_table_and_the_summary_is_plain_json() -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 2)])
    table = pd.DataFrame({"depot_id": ["D1"], "part_number": ["A"], "level": [2]})
    summary = compare_protection(snap, table).summary()
    assert summary["levels"] == 1
    assert summary["held"][0]["idle"] == 2
    json.dumps(summary)


def test_bad_levels_or_strategy_are_refused() -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 2)])
    with pytest.raises(UnknownIdError, match="unknown depot"):
        compare_protection(snap, ProtectionLevels({("D7", "A"): 1}))
    with pytest.raises(PolicyError, match="unknown strategy"):
        compare_protection(snap, ProtectionLevels(), strategy="random")


def test_the_notebook_view_shows_both_tables() -> None:
    snap = snapshot([order("S1", STD)], stock=[("A", "D1", 2)])
    html = compare_protection(snap, ProtectionLevels({("D1", "A"): 1}))._repr_html_()
    assert "by priority class" in html
    assert "protected shelves" in html


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protected_worlds())
def test_against_the_optimizer_levels_never_change_parts_priority_and_never_help_standard(
    case: tuple[World, dict[tuple[str, str], int]],
) -> None:
    world, levels = case
    report = compare_protection(world.snapshot(), ProtectionLevels(levels))
    without, with_levels = report.without.objective(), report.with_levels.objective()
    assert with_levels["parts_priority_units"] == without["parts_priority_units"]
    assert with_levels["parts_priority_eta_hours"] == pytest.approx(
        without["parts_priority_eta_hours"]
    )
    assert with_levels["standard_units"] <= without["standard_units"]
    held = report.held()
    if len(held):
        assert (held["idle"] >= 0).all()
        assert (held["protected"] <= held["level"]).all()
        assert (held["protected"] <= held["on_hand"]).all()
