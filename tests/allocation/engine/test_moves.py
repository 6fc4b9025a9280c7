"""Moving units between orders: the impact preview says who loses what, and the move
holds once applied."""

from __future__ import annotations

import pytest

from allocation.domain.overrides import MoveError
from allocation.engine import Engine
from tests.allocation.engine.builders import STD, order, snapshot


def _two_pm_one_unit() -> Engine:
    # One unit, two PM orders: the older (P1) has it; P2 waits.
    return Engine(snapshot([order("P1", age=5.0), order("P2", age=1.0)], stock=[("A", "D1", 1)]))


def test_a_move_shows_who_loses_the_unit_and_who_gains_it() -> None:
    impact = _two_pm_one_unit().preview_move("P1", "P2")
    assert impact.firm.describe() == "firm 1 unit(s) of P2 from stock at D1"
    rows = impact.orders.set_index("order_id")
    assert rows.loc["P1", "units_before"] == 1
    assert rows.loc["P1", "units_after"] == 0
    assert rows.loc["P2", "units_before"] == 0
    assert rows.loc["P2", "units_after"] == 1
    levels = impact.levels.set_index("level")
    assert levels.loc["parts_priority_units", "change"] == 0
    assert impact.summary()["orders_losing_units"] == ["P1"]


def test_a_move_to_a_lower_class_costs_the_higher_class_its_unit() -> None:
    engine = Engine(snapshot([order("P1"), order("S1", STD)], stock=[("A", "D1", 1)]))
    impact = engine.preview_move("P1", "S1")
    levels = impact.levels.set_index("level")
    assert levels.loc["parts_priority_units", "change"] == -1
    assert levels.loc["standard_units", "change"] == 1


def test_an_applied_move_holds_in_the_next_plan() -> None:
    impact = _two_pm_one_unit().preview_move("P1", "P2")
    lines = Engine(impact.snapshot).plan().lines
    assert lines["order_id"].tolist() == ["P2"]
    assert len(impact.overrides) == 1


def test_part_of_a_line_can_move() -> None:
    engine = Engine(
        snapshot(
            [order("P1", quantity=3, age=5.0), order("P2", quantity=2)], stock=[("A", "D1", 3)]
        )
    )
    impact = engine.preview_move("P1", "P2", units=2, source=("stock", "D1"))
    rows = impact.orders.set_index("order_id")
    assert rows.loc["P1", "units_after"] == 1
    assert rows.loc["P2", "units_after"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("P1", "P1"), "same order"),
        (("P1", "NOPE"), "no order 'NOPE'"),
        (("P2", "P1"), "P2 has no planned units"),
        (("P1", "P2", 2), "only 1 unit"),
        (("P1", "P2", 0), "must be positive"),
        (("P1", "P2", None, ("broker", "S")), "no planned units from broker"),
    ],
)
def test_a_move_that_cannot_be_made_is_refused_naming_the_orders(
    args: tuple[object, ...], message: str
) -> None:
    with pytest.raises(MoveError, match=message):
        _two_pm_one_unit().preview_move(*args)  # type: ignore[arg-type]


def test_a_move_to_an_order_that_cannot_use_the_source_is_refused() -> None:
    engine = Engine(
        snapshot([order("P1"), order("P2", part="B")], stock=[("A", "D1", 1), ("B", "D1", 0)])
    )
    with pytest.raises(MoveError, match="P2 cannot take units of stock from D1: its part B"):
        engine.preview_move("P1", "P2")


def test_a_move_to_a_class_that_may_not_use_the_kind_is_refused() -> None:
    engine = Engine(
        snapshot(
            [order("P1"), order("S1", STD)],
            depots=(("D1", "US"), ("D2", "CA")),
            stock=[("A", "D2", 1)],
            lanes=[("D2", "US", 1.0, 1.0)],
        )
    )
    with pytest.raises(MoveError, match="standard may not use transfer"):
        engine.preview_move("P1", "S1")
