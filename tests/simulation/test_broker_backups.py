"""Backup units for parts-priority broker buys (the policy's ``broker_backup``).

A parts-priority order whose broker buy is made holds as many free shelf units as it may
use; a failed buy ships them at once, a delivered one gives them back. The tiny worlds here
show each case as a timeline; the random worlds of the conservation and inventory-position
properties run again with the flag on.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from simulation.world.model import ShortageWorld
from tests.simulation.test_conservation import _check_orders, _replay_shelves, worlds
from tests.simulation.test_inventory_position import base_stock_worlds, run_checked
from tests.simulation.worlds import TinyWorld, run_world, timeline

FAILS = {"broker": {"failure_probability": 1.0, "failure_detected_after_hours": 5.0}}
CUSTOMERS = {"PM": ("DE", "PM"), "STD": ("FR", "standard"), "STD-DE": ("DE", "standard")}


def backup(on: bool, **options: Any) -> dict[str, Any]:
    """The scenario's policy with ``broker_backup`` on or off."""
    return {"options": {"broker_backup": on, **options}}


def far_unit_and_a_broker(orders: list[tuple[str, str, str, int, float]]) -> TinyWorld:
    """PM orders ship to Germany (D1, empty); France's depot D2 has one unit, 72 h away
    from Germany; a broker sells one unit a day, 10 h away from its buyer."""
    return TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        customers=CUSTOMERS,
        stock={("P1", "D2"): 1},
        inbound=[("P1", "D1", 1, 200.0), ("P1", "D2", 1, 300.0)],
        lanes=[("D2", "DE", 72.0, 0.0), ("D1", "FR", 72.0, 0.0), ("BRK", "DE", 0.0, 0.0)],
        options=[("P1", "broker", "BRK", 1, 10.0, 50.0, 0.9)],
        orders=orders,
    )


def restored_at(run: ShortageWorld, order_id: str) -> float:
    return next(t for e, t, _ in timeline(run, order_id) if e == "restored")


def events(run: ShortageWorld, name: str) -> pd.DataFrame:
    records = run.recorder.to_frame()
    return records[records["event"] == name]


def test_a_failed_buy_ships_the_held_unit_at_once_where_a_replan_would_find_it_gone(
    tmp_path: Path,
) -> None:
    # O1 (PM, Germany) buys from the broker at 1 h: 10 h away, sooner than D2's unit by
    # transfer (72 h). A standard order in France arrives at 3 h. Without backups it takes
    # D2's unit, and O1, whose buy fails at 6 h, waits for D1's receipt at 200 h. With
    # backups O1 holds D2's unit at 1 h and ships it when the buy fails: restored at 6 + 72 h.
    orders = [("O1", "PM", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 3.0)]
    world = far_unit_and_a_broker(orders)
    without = run_world(world.write(tmp_path / "off", sources=FAILS, policy=backup(False)))
    with_ = run_world(world.write(tmp_path / "on", sources=FAILS, policy=backup(True)))
    assert timeline(with_, "O1")[:5] == [
        ("order_created", 1.0, None),
        ("allocated", 1.0, "broker"),
        ("backup_held", 1.0, "transfer"),
        ("purchase_failed", 6.0, "broker"),
        ("allocated", 6.0, "transfer"),
    ]
    shipped = events(with_, "allocated")
    assert shipped["detail"].astype(str).tolist()[-1] == "backup for a failed broker buy"
    assert restored_at(with_, "O1") == 6.0 + 72.0
    assert restored_at(without, "O1") == 200.0
    assert restored_at(with_, "O1") < restored_at(without, "O1")


def test_a_delivered_buy_releases_its_hold_and_a_waiting_standard_order_gets_the_unit(
    tmp_path: Path,
) -> None:
    # The buy succeeds and lands at 11 h: O1's hold on D2's unit is released then, and the
    # standard order in France, waiting since 3 h with nothing on its way, ships it at once.
    orders = [("O1", "PM", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 3.0)]
    world = far_unit_and_a_broker(orders)
    world.inbound = []
    sources = {"broker": {"failure_probability": 0.0}}
    run = run_world(world.write(tmp_path, sources=sources, policy=backup(True)))
    assert ("backup_released", 11.0, "transfer") in timeline(run, "O1")
    released = events(run, "backup_released")
    assert released["detail"].astype(str).tolist() == ["the broker delivered"]
    assert ("allocated", 11.0, "stock") in timeline(run, "O2")


def test_a_standard_orders_broker_buy_holds_nothing(tmp_path: Path) -> None:
    # Standard orders may buy and transfer here; the broker is sooner than D2's unit, and
    # the standard order buys from it without holding D2's unit.
    world = far_unit_and_a_broker([("O1", "STD-DE", "P1", 1, 1.0)])
    everything = ["stock", "transfer", "inbound", "broker"]
    policy = backup(True, allowed_sources={"parts_priority": everything, "standard": everything})
    run = run_world(world.write(tmp_path, sources=FAILS, policy=policy))
    assert ("allocated", 1.0, "broker") in timeline(run, "O1")
    assert events(run, "backup_held").empty


def test_nothing_is_held_without_a_free_shelf_unit_and_the_records_are_unchanged(
    tmp_path: Path,
) -> None:
    world = far_unit_and_a_broker([("O1", "PM", "P1", 1, 1.0)])
    world.stock = {}
    without = run_world(world.write(tmp_path / "off", sources=FAILS, policy=backup(False)))
    with_ = run_world(world.write(tmp_path / "on", sources=FAILS, policy=backup(True)))
    assert events(with_, "backup_held").empty
    pd.testing.assert_frame_equal(with_.recorder.to_frame(), without.recorder.to_frame())


def test_a_held_unit_is_still_on_hand_for_the_inventory_position(tmp_path: Path) -> None:
    # Base stock 1 at D2: holding its unit reorders nothing; shipping it on the failure
    # reorders it at D2, at 6 h.
    world = far_unit_and_a_broker([("O1", "PM", "P1", 1, 1.0)])
    world.inbound = []
    world.base_stock = {("P1", "D1"): 0, ("P1", "D2"): 1}
    replenishment = {"lead_time": {"distribution": "fixed", "mean_hours": 100.0}}
    scenario = world.write(
        tmp_path, sources=FAILS, policy=backup(True), replenishment=replenishment
    )
    run = run_world(scenario)
    reorders = events(run, "replenishment_ordered")
    assert list(zip(reorders["time"], reorders["depot_id"].astype(str), strict=True)) == [
        (6.0, "D2")
    ]


def slow_transfers(
    case: tuple[TinyWorld, dict[str, Any], str],
) -> tuple[TinyWorld, dict[str, Any], str]:
    """The conservation property's world with transfers slower than every broker and
    brokers that fail half the time, so that parts-priority orders buy where a shelf
    elsewhere has units, hold them, and often use them."""
    world, scenario, strategy = case
    depots = set(world.depots)
    world.lanes = [(o, c, 60.0 if o in depots else h, m) for o, c, h, m in world.lanes]
    world.options = [
        (*option[:6], 0.5 if option[1] == "broker" else option[6]) for option in world.options
    ]
    return world, scenario, strategy


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds().map(slow_transfers), st.integers(0, 3))
def test_with_backups_every_unit_is_still_on_a_shelf_on_its_way_or_consumed(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int
) -> None:
    world, scenario, strategy = case
    scenario["policy"]["options"]["broker_backup"] = True
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        run = run_world(world.write(Path(folder), **scenario), strategy=strategy, seed=seed)
    records = run.recorder.to_frame()
    shelf = _replay_shelves(records)
    names, depots, state = run.setup.context.part_numbers, run.setup.depot_ids, run.state
    for p, row in enumerate(state.on_hand):
        for d, units in enumerate(row):
            # The records see shelves physically: free units and held ones.
            assert shelf[(names[p], depots[d])] == units + state.backups[p][d]
    _check_orders(records)
    held = events(run, "backup_held")["quantity"].sum()
    ended = events(run, "backup_released")["quantity"].sum()
    used = (records["detail"].astype(str) == "backup for a failed broker buy") & (
        records["event"] == "allocated"
    )
    still = sum(map(sum, state.backups))
    assert held == ended + records.loc[used, "quantity"].sum() + still


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base_stock_worlds(), st.integers(0, 3))
def test_with_backups_the_inventory_position_stays_at_the_base_stock_level(
    case: tuple[TinyWorld, dict[str, Any], str], seed: int
) -> None:
    from simulation.world.setup import build_setup

    world, scenario, strategy = case
    scenario["policy"]["options"]["broker_backup"] = True
    note(f"{world!r}\n{scenario!r}\n{strategy}")
    with tempfile.TemporaryDirectory() as folder:
        setup = build_setup(world.write(Path(folder), **scenario))
    run = run_checked(setup, strategy, seed)
    assert run.checks > 10


def test_a_runs_backups_count_what_was_held_released_and_used(tmp_path: Path) -> None:
    from simulation import simulate

    # O1's buy fails and uses the unit it held from 1 h to the failure at 6 h: 5 unit-hours.
    world = far_unit_and_a_broker([("O1", "PM", "P1", 1, 1.0)])
    result = simulate(world.write(tmp_path, sources=FAILS, policy=backup(True)))
    assert result.backups().to_dict("records") == [
        {
            "replication": 0,
            "held": 1,
            "released": 0,
            "used": 1,
            "still_held": 0,
            "held_unit_hours": 5.0,
        }
    ]


def test_a_hold_on_a_depot_offline_when_the_buy_fails_is_released_and_the_order_replans(
    tmp_path: Path,
) -> None:
    # D2, where O1 holds its backup, is offline from 2.4 h to 12 h: the buy fails at 6 h,
    # the hold is given back, and O1 (nothing else on its way) takes D2's unit by transfer
    # when D2 is back at 12 h.
    world = far_unit_and_a_broker([("O1", "PM", "P1", 1, 1.0)])
    world.inbound = []
    offline = {"kind": "depot_offline", "start_day": 0.1, "end_day": 0.5, "depots": ["D2"]}
    scenario = world.write(tmp_path, sources=FAILS, policy=backup(True), disruptions=[offline])
    run = run_world(scenario)
    released = events(run, "backup_released")
    assert released["detail"].astype(str).tolist() == ["the depot is offline"]
    assert ("backup_released", 6.0, "transfer") in timeline(run, "O1")
    assert ("allocated", 12.0, "transfer") in timeline(run, "O1")
