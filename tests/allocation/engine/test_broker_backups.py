"""Backup units for parts-priority broker buys: held on a shelf, from what the plan leaves.

The hand-built worlds share one shape: the PM order ships to the US (home depot ``D1``), the
broker ``BRK`` reaches the US in 24 h (20 h lead time + 4 h lane), and shelves elsewhere are
slower by transfer — so the plan buys from the broker and the shelves are what a backup
can hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from allocation.allocate import allocate
from allocation.domain.model import PriorityClass, SourceKind
from allocation.domain.policy import AllocationPolicy, default_allowed_sources
from allocation.domain.protection import ProtectionLevels
from allocation.engine import Engine
from allocation.entrypoints.cli import main
from tests.allocation.engine.builders import AS_OF, STD, Order, World, order, random_worlds, world
from tests.budget import examples

ON = AllocationPolicy(broker_backup=True)
OFF = AllocationPolicy()
BROKER = ("A", "broker", "BRK", 5, 20, 30)
DEPOTS = (("D1", "US"), ("D2", "CA"), ("D3", "DE"))
LANES = [("BRK", "US", 4, 5), ("D2", "US", 30, 1), ("D3", "US", 40, 1)]


def _world(orders: list[Order], stock: list[tuple[str, str, int]]) -> World:
    return world(orders, stock=stock, depots=DEPOTS, lanes=LANES, options=[BROKER])


def _held(backups: pd.DataFrame) -> list[tuple[str, str, str, int]]:
    return [
        (str(o), str(s), str(g), int(q))
        for o, s, g, q in backups[["order_id", "source", "origin", "quantity"]].itertuples(
            index=False
        )
    ]


def test_a_pm_order_bought_from_a_broker_holds_the_nearest_free_shelf_unit() -> None:
    plan = allocate(_world([order("P1")], [("A", "D2", 1), ("A", "D3", 1)]).snapshot(), ON)
    assert plan.lines["source"].tolist() == ["broker"]
    assert _held(plan.backups) == [("P1", "transfer", "D2", 1)]
    assert plan.backups["eta_hours"].tolist() == [30.0]
    assert "backup: 1 unit held at D2 (by transfer), 30.0 h away, if the broker buy fails" in (
        plan.explain("P1")
    )


def test_only_the_bought_units_of_an_order_served_partly_at_home_are_backed_up() -> None:
    # One unit at home, two wanted: the plan takes the home unit and buys the other; the
    # unit at D2 backs up the bought one.
    plan = allocate(
        _world([order("P1", quantity=2)], [("A", "D1", 1), ("A", "D2", 1)]).snapshot(), ON
    )
    assert sorted(plan.lines["source"]) == ["broker", "stock"]
    assert _held(plan.backups) == [("P1", "transfer", "D2", 1)]


def test_a_unit_planned_to_a_standard_order_is_not_taken_for_a_backup() -> None:
    # The standard order in Canada takes D2's one unit; nothing is left for a backup.
    orders = [order("P1"), order("S1", STD, country="CA")]
    plan = allocate(_world(orders, [("A", "D2", 1)]).snapshot(), ON)
    assert ("S1", "stock", "D2", 1) in _held(plan.lines)
    assert plan.backups.empty
    # With a second unit at D2, that one is held.
    plan = allocate(_world(orders, [("A", "D2", 2)]).snapshot(), ON)
    assert _held(plan.backups) == [("P1", "transfer", "D2", 1)]


def test_no_free_shelf_means_no_backup_and_the_explanation_says_so() -> None:
    plan = allocate(_world([order("P1")], []).snapshot(), ON)
    assert plan.lines["source"].tolist() == ["broker"]
    assert plan.backups.empty
    assert "backup: none for its 1 broker unit(s): no free shelf unit" in plan.explain("P1")


def test_a_part_backup_names_what_is_not_covered() -> None:
    plan = allocate(_world([order("P1", quantity=2)], [("A", "D3", 1)]).snapshot(), ON)
    assert _held(plan.backups) == [("P1", "transfer", "D3", 1)]
    assert "1 of its 2 broker unit(s) have none" in plan.explain("P1")


def test_protected_and_free_units_of_one_shelf_are_one_backup_line() -> None:
    policy = AllocationPolicy(protection=ProtectionLevels({("D2", "A"): 1}), broker_backup=True)
    plan = allocate(_world([order("P1", quantity=2)], [("A", "D2", 2)]).snapshot(), policy)
    assert _held(plan.backups) == [("P1", "transfer", "D2", 2)]


def test_a_standard_orders_broker_buy_gets_no_backup() -> None:
    allowed = default_allowed_sources() | {PriorityClass.STANDARD: frozenset(SourceKind)}
    policy = AllocationPolicy(allowed_sources=allowed, broker_backup=True)
    plan = allocate(_world([order("S1", STD)], [("A", "D2", 1)]).snapshot(), policy)
    assert plan.lines["source"].tolist() == ["broker"]
    assert plan.backups.empty
    assert "backup" not in plan.explain("S1")


def test_the_older_order_holds_the_one_free_unit() -> None:
    orders = [order("P-NEW", age=1.0), order("P-OLD", age=5.0)]
    plan = allocate(_world(orders, [("A", "D2", 1)]).snapshot(), ON)
    assert _held(plan.backups) == [("P-OLD", "transfer", "D2", 1)]


def test_with_the_flag_off_the_table_is_empty_and_the_plan_the_same() -> None:
    snap = _world(
        [order("P1", quantity=2), order("S1", STD, country="CA")], [("A", "D2", 2)]
    ).snapshot()
    on, off = allocate(snap, ON), allocate(snap, OFF)
    assert off.backups.empty
    assert list(off.backups.columns) == list(on.backups.columns)
    assert not on.backups.empty
    assert np.array_equal(on.flow, off.flow)
    assert on.objective() == off.objective()
    pd.testing.assert_frame_equal(on.lines, off.lines)
    assert off.tables().backups is None
    assert "backups" not in off.to_dict()
    assert on.to_dict()["backups"][0]["origin"] == "D2"
    assert "backup" not in off.explain("P1")


def test_a_plan_made_in_shards_holds_the_same_backups() -> None:
    # Two parts, two part groups: the shards plan them apart.
    rows = _world(
        [order("P1", quantity=2), order("P2", part="B"), order("S1", STD, country="CA")],
        [("A", "D2", 2), ("A", "D3", 1), ("B", "D3", 1)],
    )
    rows = World(
        orders=rows.orders,
        stock=rows.stock,
        depots=rows.depots,
        lanes=rows.lanes,
        options=[BROKER, ("B", "broker", "BRK", 5, 20, 30)],
    )
    engine = Engine(rows.snapshot(), ON)
    whole = engine.plan().tables()
    sharded = Engine(rows.snapshot(), ON).plan_tables(workers=2)
    assert whole.backups is not None
    assert sharded.backups is not None
    assert set(whole.backups["order_id"]) == {"P1", "P2"}
    pd.testing.assert_frame_equal(whole.backups, sharded.backups)


def test_the_incremental_planner_holds_what_a_full_plan_of_the_same_world_holds() -> None:
    start = _world([order("P1"), order("S1", STD, country="CA")], [("A", "D2", 2)])
    planner = Engine(start.snapshot(), ON).planner()
    assert _held(planner.plan().backups) == [("P1", "transfer", "D2", 1)]
    # An older PM order arrives and is bought from the broker too: it holds D2's free unit.
    planner.add_order(
        {
            "order_id": "P0",
            "customer_id": "PM",
            "part_number": "A",
            "quantity": 1,
            "created_at": AS_OF - timedelta(hours=9),
            "product_type": "desktop",
            "warranty_valid": True,
            "ship_to_country": "US",
        }
    )
    after = planner.plan()
    whole = allocate(
        _world(
            [order("P0", age=9.0), order("P1"), order("S1", STD, country="CA")],
            [("A", "D2", 2)],
        ).snapshot(),
        ON,
    )
    assert _held(after.backups) == _held(whole.backups) == [("P0", "transfer", "D2", 1)]
    assert "backup: none for its 1 broker unit(s)" in after.explain("P1")
    # The standard order ships its D2 unit: the free one stays held for P0.
    planner.ship("S1")
    assert _held(planner.plan().backups) == [("P0", "transfer", "D2", 1)]
    # A second unit lands at D2: both PM orders hold one.
    planner.add_stock("A", "D2", 1)
    assert sorted(_held(planner.group_plan("A").backups)) == [
        ("P0", "transfer", "D2", 1),
        ("P1", "transfer", "D2", 1),
    ]


def test_allocate_out_writes_the_backups_beside_the_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    tables = _world([order("P1")], [("A", "D2", 1)]).tables()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text("allocation:\n  broker_backup: true\n", encoding="utf-8")
    out = tmp_path / "out" / "plan.csv"
    out.parent.mkdir()
    args = ["allocate", "--snapshot", str(folder), "--policy", str(policy)]
    assert main([*args, "--out", str(out)]) == 0
    assert "plan.backups.csv" in capsys.readouterr().out
    backups = pd.read_csv(out.parent / "plan.backups.csv")
    assert _held(backups) == [("P1", "transfer", "D2", 1)]
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "plan.backups.csv",
        "plan.csv",
        "plan.unfilled.csv",
    ]
    # Without the flag, no backups file.
    bare = tmp_path / "bare" / "plan.csv"
    bare.parent.mkdir()
    assert main(["allocate", "--snapshot", str(folder), "--out", str(bare)]) == 0
    assert sorted(p.name for p in bare.parent.iterdir()) == ["plan.csv", "plan.unfilled.csv"]


_COUNTRIES = ("US", "CA", "MX", "DE", "UY", "CH")


def _far_shelves(rows: World) -> World:
    """The world with every depot reaching every order country in 61 h and the broker in
    half an hour: transfers exist and are slower than any buy (lead times are at most
    60 h), so broker lines and free shelves meet often."""
    have = {(o, d) for o, d, _, _ in rows.lanes}
    extra = [
        (depot, country, 61.0, 1.0)
        for depot, home in rows.depots
        for country in _COUNTRIES
        if country != home and (depot, country) not in have
    ]
    if any(option[2] == "S-BRK" for option in rows.options):
        extra += [("S-BRK", c, 0.5, 0.0) for c in _COUNTRIES if ("S-BRK", c) not in have]
    return replace(rows, lanes=(*rows.lanes, *extra))


@pytest.mark.property
@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(random_worlds().map(_far_shelves))
def test_backups_come_from_free_shelves_go_to_pm_broker_buys_and_change_no_plan(
    rows: World,
) -> None:
    snap = rows.snapshot()
    on, off = allocate(snap, ON), allocate(snap, OFF)
    # The plan is the same with the flag on and off.
    assert np.array_equal(on.flow, off.flow)
    assert on.objective() == off.objective()
    pd.testing.assert_frame_equal(on.lines, off.lines)
    assert off.backups.empty
    backups = on.backups
    if backups.empty:
        return
    assert set(backups["source"]) <= {"stock", "transfer"}
    # Only parts-priority orders, never more than their broker units.
    lines = on.lines
    classes = dict(zip(lines["order_id"], lines["priority_class"], strict=True))
    assert {classes[o] for o in backups["order_id"]} == {"parts_priority"}
    bought = lines[lines["source"] == "broker"].groupby("order_id")["quantity"].sum()
    held = backups.groupby("order_id")["quantity"].sum()
    for order_id, units in held.items():
        assert units <= bought.get(order_id, 0)
    # Never more than the shelf units the plan leaves, per (part, depot).
    on_hand: dict[tuple[str, str], int] = {}
    for part, depot, units in rows.stock:
        on_hand[(part, depot)] = on_hand.get((part, depot), 0) + units
    sources = on.problem.sources.to_pandas()
    taken = np.bincount(on.problem.arcs.source, weights=on.flow, minlength=len(sources))
    shelf = sources["kind_name"].to_numpy() == "stock"
    for part, depot, units in zip(
        sources["part_number"][shelf], sources["origin"][shelf], taken[shelf], strict=True
    ):
        on_hand[(part, depot)] -= int(units)
    held = backups.groupby(["part_number", "origin"])["quantity"].sum()
    for (part, depot), units in held.items():
        assert units <= on_hand[(str(part), str(depot))]
