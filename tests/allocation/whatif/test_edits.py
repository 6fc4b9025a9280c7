"""What-if edits of a snapshot: a new snapshot each time, the old one untouched, bad input named.

Worlds are built with the engine tests' builders: depot D1 in the US unless said otherwise,
``PM`` orders ``parts_priority``, ``STD`` orders ``standard``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pandas as pd
import pytest

from allocation import (
    Snapshot,
    add_broker_capacity,
    allocate,
    move_customer,
    scale_demand,
    set_tier,
    take_depot_offline,
)
from allocation.adapters.snapshot import TABLES
from allocation.errors import InputError, UnknownCountryError, UnknownIdError
from tests.allocation.engine.builders import PM, STD, order, snapshot
from tests.allocation.rules_md import SKUS

TWO_DEPOTS = {
    "depots": [("D1", "US"), ("D2", "DE")],
    "lanes": [("D1", "DE", 24, 7), ("D2", "US", 30, 9), ("D2", "D1", 20, 5)],
}


def _got(snap: Snapshot) -> dict[str, int]:
    lines = allocate(snap).lines
    return {str(k): int(v) for k, v in lines.groupby("order_id")["quantity"].sum().items()}


def _tables(snap: Snapshot) -> dict[str, pd.DataFrame]:
    return {name: getattr(snap, name).copy(deep=True) for name in TABLES}


EDITS: dict[str, Callable[[Snapshot], Snapshot]] = {
    "depot offline": lambda s: take_depot_offline(s, "D2"),
    "demand": lambda s: scale_demand(s, 1.5),
    "broker": lambda s: add_broker_capacity(
        s, "A", 3, lead_time_hours=12, unit_cost=50, supplier_id="BRK", delivers_to="D1"
    ),
    "tier": lambda s: set_tier(s, STD, "PM"),
    "country": lambda s: move_customer(s, PM, "UY"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edit_returns_a_new_snapshot_and_leaves_the_old_one_as_it_was(name: str) -> None:
    before = snapshot(
        [order("P1", PM, age=2), order("S1", STD, age=3), order("S2", STD, country="DE")],
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        inbound=[("A", "D2", 1, 10.0)],
        **TWO_DEPOTS,
    )
    kept = _tables(before)
    after = EDITS[name](before)
    assert after is not before
    assert after.as_of == before.as_of
    assert after.source == before.source
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(before, table), kept[table], obj=table)
    assert any(not getattr(after, t).equals(kept[t]) for t in TABLES)
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.stock = kept["stock"]  # type: ignore[misc]


# -- a depot offline ---------------------------------------------------------------------------
def test_a_depot_offline_takes_its_stock_receipts_and_lanes_with_it() -> None:
    before = snapshot(
        [order("P1", PM)],
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        inbound=[("A", "D1", 1, 5.0), ("A", "D2", 1, 5.0)],
        **TWO_DEPOTS,
    )
    after = take_depot_offline(before, "D1")
    assert list(after.depots["depot_id"]) == ["D2"]
    assert set(after.stock["depot_id"]) == {"D2"}
    assert set(after.inbound["depot_id"]) == {"D2"}
    assert not ({"D1"} & (set(after.lanes["origin"]) | set(after.lanes["destination"])))


def test_orders_of_an_offline_depot_are_served_by_the_next_fastest_depot_as_their_home() -> None:
    # Without D1, D2 (30 h to the US) is the US orders' home: a standard order may use its
    # stock, which it could not take as a transfer before.
    before = snapshot([order("S1", STD)], stock=[("A", "D1", 0), ("A", "D2", 1)], **TWO_DEPOTS)
    assert _got(before) == {}
    after = take_depot_offline(before, "D1")
    line = allocate(after).lines.iloc[0]
    assert (line["order_id"], line["source"], line["origin"], line["eta_hours"]) == (
        "S1",
        "stock",
        "D2",
        30.0,
    )


def test_an_unknown_depot_or_the_last_one_cannot_go_offline() -> None:
    snap = snapshot([order("P1", PM)], stock=[("A", "D1", 1)])
    with pytest.raises(UnknownIdError, match="unknown depot 'D9'"):
        take_depot_offline(snap, "D9")
    with pytest.raises(InputError, match="only depot"):
        take_depot_offline(snap, "D1")


# -- demand ------------------------------------------------------------------------------------
def _ids(snap: Snapshot) -> list[str]:
    return sorted(snap.orders["order_id"])


FOUR = [order(f"O{i}", STD, age=10 - i, quantity=2) for i in range(4)]  # O0 oldest


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (1, ["O0", "O1", "O2", "O3"]),
        (2, ["O0", "O0~2", "O1", "O1~2", "O2", "O2~2", "O3", "O3~2"]),
        (1.5, ["O0", "O1", "O1~2", "O2", "O3", "O3~2"]),
        (0.5, ["O1", "O3"]),
        (0, []),
        (2.25, ["O0", "O0~2", "O1", "O1~2", "O2", "O2~2", "O3", "O3~2", "O3~3"]),
    ],
)
def test_demand_scales_by_whole_copies_of_order_lines_oldest_first(
    factor: float, expected: list[str]
) -> None:
    after = scale_demand(snapshot(FOUR, stock=[("A", "D1", 1)]), factor)
    assert _ids(after) == expected
    assert len(after.orders) == math.floor(4 * factor)
    assert set(after.orders["quantity"]) <= {2}
    copies = after.orders.set_index("order_id")
    for copy in (i for i in expected if "~" in i):
        original = copy.split("~")[0]
        assert copies.loc[copy, "created_at"] == copies.loc[original, "created_at"]
        assert copies.loc[copy, "customer_id"] == copies.loc[original, "customer_id"]


def test_demand_can_be_scaled_for_some_parts_customers_or_countries_only() -> None:
    before = snapshot(
        [
            order("A-PM", PM, part="A"),
            order("B-PM", PM, part="B"),
            order("A-STD", STD, part="A"),
            order("A-DE", STD, part="A", country="DE"),
        ],
        stock=[("A", "D1", 1), ("B", "D1", 1)],
        **TWO_DEPOTS,
    )
    assert _ids(scale_demand(before, 2, parts=["B"])) == ["A-DE", "A-PM", "A-STD", "B-PM", "B-PM~2"]
    assert _ids(scale_demand(before, 2, customers=[STD], parts=["A"])) == [
        "A-DE",
        "A-DE~2",
        "A-PM",
        "A-STD",
        "A-STD~2",
        "B-PM",
    ]
    assert _ids(scale_demand(before, 0, countries=["Germany"])) == ["A-PM", "A-STD", "B-PM"]


def test_more_demand_for_a_short_part_leaves_the_copies_waiting_behind_the_originals() -> None:
    after = scale_demand(snapshot([order("P1", PM, age=3)], stock=[("A", "D1", 1)]), 2)
    plan = allocate(after)
    assert dict(zip(plan.lines["order_id"], plan.lines["quantity"], strict=True)) == {"P1": 1}
    assert list(plan.unfilled["order_id"]) == ["P1~2"]


@pytest.mark.parametrize("bad", [-1, 1001, float("nan"), float("inf"), True, "2", None])
def test_a_bad_factor_is_refused_by_name(bad: object) -> None:
    with pytest.raises(InputError, match="factor"):
        scale_demand(snapshot(FOUR), bad)  # type: ignore[arg-type]


def test_an_unknown_part_customer_or_country_in_the_selection_is_refused() -> None:
    snap = snapshot(FOUR)
    with pytest.raises(UnknownIdError, match="unknown part 'ZZ'"):
        scale_demand(snap, 2, parts=["ZZ"])
    with pytest.raises(UnknownIdError, match="unknown customer 'nobody'"):
        scale_demand(snap, 2, customers=["nobody"])
    with pytest.raises(UnknownCountryError):
        scale_demand(snap, 2, countries=["Atlantis"])


def test_a_copy_id_that_is_already_an_order_id_is_refused() -> None:
    snap = snapshot([order("O1", STD, age=2), order("O1~2", STD, age=1)])
    with pytest.raises(InputError, match="'O1~2' is already an order id"):
        scale_demand(snap, 2)


# -- broker capacity ---------------------------------------------------------------------------
def test_broker_capacity_delivered_to_a_depot_serves_a_waiting_parts_priority_order() -> None:
    before = snapshot([order("P1", PM, quantity=2)], stock=[("A", "D1", 1)])
    after = add_broker_capacity(
        before, "A", 5, lead_time_hours=48, unit_cost=300.0, supplier_id="BRK", delivers_to="D1"
    )
    lines = allocate(after).lines.set_index("source")
    assert lines.loc["stock", "quantity"] == 1
    # 48 h lead time + 0 h to D1 + 0 h from D1 to the US; 300 each, no lane cost.
    assert (lines.loc["broker", "quantity"], lines.loc["broker", "eta_hours"]) == (1, 48.0)
    assert lines.loc["broker", "cost"] == 300.0


def test_more_capacity_from_a_broker_on_the_same_terms_adds_up_and_other_terms_are_refused() -> (
    None
):
    before = snapshot(
        [order("P1", PM)],
        options=[("A", "broker", "BRK", 2, 24.0, 100.0)],
        lanes=[("BRK", "US", 6, 0)],
    )
    after = add_broker_capacity(
        before, "A", 3, lead_time_hours=24, unit_cost=100, supplier_id="BRK"
    )
    assert after.supply_options["capacity"].tolist() == [5]
    with pytest.raises(InputError, match=r"BRK already offers A at 24 h and 100\.00"):
        add_broker_capacity(before, "A", 3, lead_time_hours=12, unit_cost=100, supplier_id="BRK")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"part_number": "ZZ"}, "unknown part 'ZZ'"),
        ({"capacity": 0}, "capacity must be a whole number"),
        ({"capacity": 2.5}, "capacity must be a whole number"),
        ({"capacity": True}, "capacity must be a whole number"),
        ({"lead_time_hours": -1}, "lead_time_hours must be from 0"),
        ({"unit_cost": float("nan")}, "unit_cost must be a number"),
        ({"success_probability": 1.5}, "success_probability must be from 0 to 1"),
        ({"supplier_id": ""}, "supplier_id must be a non-empty text"),
        ({"supplier_id": "D1"}, "is a depot id"),
        ({"delivers_to": None}, "has no lanes: give delivers_to"),
        ({"delivers_to": "Atlantis"}, "unknown country"),
    ],
)
def test_bad_broker_capacity_is_refused_by_name(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "part_number": "A",
        "capacity": 3,
        "lead_time_hours": 24.0,
        "unit_cost": 100.0,
        "supplier_id": "BRK-NEW",
        "success_probability": 0.9,
        "delivers_to": "D1",
    } | changes
    with pytest.raises(InputError, match=message):
        add_broker_capacity(snapshot([order("P1", PM)]), **arguments)  # type: ignore[arg-type]


# -- a customer's tier and country --------------------------------------------------------------
def test_a_standard_customer_made_priority_management_takes_the_unit_first() -> None:
    before = snapshot([order("S1", STD, age=1), order("PA1", "PA", age=9)], stock=[("A", "D1", 1)])
    assert _got(before) == {"PA1": 1}
    after = set_tier(before, STD, "PM")
    assert _got(after) == {"S1": 1}
    plan = allocate(after)
    assert plan.lines.iloc[0]["priority_class"] == "parts_priority"
    contracts = after.contracts[after.contracts["customer_id"] == STD]
    five_year_pm = {code for code, tier, years, _ in SKUS if tier.value == "PM" and years == 5}
    assert set(contracts["sku"]) == five_year_pm


def test_a_customer_set_to_standard_loses_its_contracts_and_its_priority() -> None:
    before = snapshot([order("P1", PM, age=1), order("PA1", "PA", age=9)], stock=[("A", "D1", 1)])
    after = set_tier(before, PM, "standard")
    assert PM not in set(after.contracts["customer_id"])
    assert _got(after) == {"PA1": 1}


def test_a_tier_can_be_set_for_one_product_family_only() -> None:
    after = set_tier(snapshot([order("S1", STD)]), STD, "PA+", families=["print"])
    assert after.contracts[after.contracts["customer_id"] == STD]["sku"].tolist() == ["U9DB9E"]


def test_bad_tier_changes_are_refused_by_name() -> None:
    snap = snapshot([order("S1", STD)])
    with pytest.raises(UnknownIdError, match="unknown customer 'nobody'"):
        set_tier(snap, "nobody", "PM")
    with pytest.raises(InputError, match="unknown tier 'gold'"):
        set_tier(snap, STD, "gold")
    with pytest.raises(InputError, match="unknown product family 'server'"):
        set_tier(snap, STD, "PM", families=["server"])


def test_a_priority_management_customer_moved_to_uruguay_loses_parts_priority_there() -> None:
    # docs/explanation/rules.md: Uruguay excludes parts priority. The order to the customer's old
    # country
    # moves with it; the one shipping to Germany stays where it is, with parts priority.
    before = snapshot(
        [order("P-US", PM, age=1), order("P-DE", PM, age=1, country="DE"), order("S1", STD, age=9)],
        stock=[("A", "D1", 1), ("A", "D2", 1)],
        **TWO_DEPOTS,
    )
    after = move_customer(before, PM, "Uruguay")
    assert after.customers.set_index("customer_id").loc[PM, "country"] == "UY"
    ship = after.orders.set_index("order_id")["ship_to_country"]
    assert (ship["P-US"], ship["P-DE"]) == ("UY", "DE")
    orders = allocate(after).problem.orders
    classes = pd.Series(orders.priority_class(), index=orders.order_id)
    assert (classes["P-US"], classes["P-DE"]) == ("standard", "parts_priority")


def test_a_move_to_an_unknown_country_or_of_an_unknown_customer_is_refused() -> None:
    snap = snapshot([order("P1", PM)])
    with pytest.raises(UnknownCountryError):
        move_customer(snap, PM, "Atlantis")
    with pytest.raises(UnknownIdError, match="unknown customer 'nobody'"):
        move_customer(snap, "nobody", "DE")


def test_edits_chain() -> None:
    before = snapshot([order("P1", PM), order("S1", STD)], stock=[("A", "D1", 1)], **TWO_DEPOTS)
    after = scale_demand(set_tier(take_depot_offline(before, "D2"), STD, "PM"), 2, parts=["A"])
    assert len(after.orders) == 4
    assert list(after.depots["depot_id"]) == ["D1"]
