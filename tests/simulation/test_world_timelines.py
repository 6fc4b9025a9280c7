"""What the simulated world does, behaviour by behaviour, asserted as timelines.

Each test builds a tiny world, replays a handful of orders at fixed hours and compares an
order's events — (event, hour, source kind) — with the timeline worked out by hand. Every
run also checks all of the world's invariants after every event (``audit``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.world.demand import draw_arrivals
from simulation.world.setup import build_setup
from tests.simulation.worlds import TinyWorld, run_world, timeline


def test_a_unit_on_the_shelf_ships_at_once_and_arrives_after_the_lane(tmp_path: Path) -> None:
    world = TinyWorld(
        customers={"C": ("FR", "standard")},
        stock={("P1", "D1"): 1},
        lanes=[("D1", "FR", 24.0, 5.0)],
        orders=[("O1", "C", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path))
    assert timeline(run, "O1") == [
        ("order_created", 2.0, None),
        ("allocated", 2.0, "stock"),
        ("delivered", 26.0, "stock"),
        ("restored", 26.0, None),
    ]
    money = run.recorder.to_frame().query("event == 'allocated'")["money"].tolist()
    assert money == [5.0]


def test_parts_priority_takes_another_depots_stock_and_standard_waits(tmp_path: Path) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D2"): 2},
        lanes=[("D2", "DE", 30.0, 0.0), ("D1", "FR", 30.0, 0.0)],
        orders=[("O-PM", "PM", "P1", 1, 1.0), ("O-STD", "STD", "P1", 1, 1.5)],
    )
    run = run_world(world.write(tmp_path))
    assert timeline(run, "O-PM") == [
        ("order_created", 1.0, None),
        ("allocated", 1.0, "transfer"),
        ("delivered", 31.0, "transfer"),
        ("restored", 31.0, None),
    ]
    assert timeline(run, "O-STD") == [("order_created", 1.5, None)]


def test_a_receipt_on_its_way_is_reserved_and_ships_when_it_lands(tmp_path: Path) -> None:
    world = TinyWorld(
        inbound=[("P1", "D1", 1, 10.0)],
        orders=[("O1", "STD", "P1", 1, 1.0)],
    )
    run = run_world(world.write(tmp_path))
    assert timeline(run, "O1") == [
        ("order_created", 1.0, None),
        ("reserved", 1.0, "inbound"),
        ("allocated", 10.0, "inbound"),
        ("delivered", 10.0, "inbound"),
        ("restored", 10.0, None),
    ]


def test_parts_priority_takes_the_first_unit_of_a_receipt_promised_to_standard(
    tmp_path: Path,
) -> None:
    world = TinyWorld(
        inbound=[("P1", "D1", 1, 10.0), ("P1", "D1", 1, 20.0)],
        orders=[("O-STD", "STD", "P1", 1, 1.0), ("O-PM", "PM", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path))
    assert ("allocated", 10.0, "inbound") in timeline(run, "O-PM")
    assert ("allocated", 20.0, "inbound") in timeline(run, "O-STD")


def test_without_pre_emption_a_promise_is_kept(tmp_path: Path) -> None:
    world = TinyWorld(
        inbound=[("P1", "D1", 1, 10.0), ("P1", "D1", 1, 20.0)],
        orders=[("O-STD", "STD", "P1", 1, 1.0), ("O-PM", "PM", "P1", 1, 2.0)],
    )
    source = world.write(tmp_path, policy={"options": {"preemption": False}})
    run = run_world(source)
    assert ("allocated", 10.0, "inbound") in timeline(run, "O-STD")
    assert ("allocated", 20.0, "inbound") in timeline(run, "O-PM")


def test_fifo_serves_the_oldest_order_first_whatever_its_class(tmp_path: Path) -> None:
    world = TinyWorld(
        inbound=[("P1", "D1", 1, 10.0), ("P1", "D1", 1, 20.0)],
        orders=[("O-STD", "STD", "P1", 1, 1.0), ("O-PM", "PM", "P1", 1, 2.0)],
    )
    run = run_world(world.write(tmp_path), strategy="fifo")
    assert ("allocated", 10.0, "inbound") in timeline(run, "O-STD")
    assert ("allocated", 20.0, "inbound") in timeline(run, "O-PM")


def test_expedite_capacity_is_used_up_and_renewed_each_period(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "expedite", "SUP", 1, 24.0, 50.0, None)],
        lanes=[("SUP", "DE", 12.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0), ("O2", "PM", "P1", 1, 2.0), ("O3", "PM", "P1", 1, 3.0)],
    )
    run = run_world(world.write(tmp_path, horizon_days=20))
    assert timeline(run, "O1")[1:3] == [
        ("allocated", 1.0, "expedite"),
        ("delivered", 37.0, "expedite"),
    ]
    assert timeline(run, "O2")[1:3] == [
        ("allocated", 168.0, "expedite"),
        ("delivered", 204.0, "expedite"),
    ]
    assert timeline(run, "O3")[1:3] == [
        ("allocated", 336.0, "expedite"),
        ("delivered", 372.0, "expedite"),
    ]


def test_standard_orders_may_not_use_expedite_by_default(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "expedite", "SUP", 5, 24.0, 50.0, None)],
        lanes=[("SUP", "DE", 12.0, 0.0)],
        orders=[("O1", "STD", "P1", 1, 1.0)],
    )
    assert timeline(run_world(world.write(tmp_path)), "O1") == [("order_created", 1.0, None)]


def test_a_failed_broker_buy_puts_the_order_back_in_the_queue(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "broker", "BRK", 5, 24.0, 200.0, 1.0)],
        lanes=[("BRK", "DE", 6.0, 10.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )
    market = {"kind": "broker_market", "start_day": 0, "end_day": 1, "failure_probability": 1.0}
    run = run_world(world.write(tmp_path, disruptions=[market]))
    assert timeline(run, "O1") == [
        ("order_created", 1.0, None),
        ("allocated", 1.0, "broker"),
        ("purchase_failed", 31.0, "broker"),
        ("allocated", 31.0, "broker"),
        ("delivered", 61.0, "broker"),
        ("restored", 61.0, None),
    ]
    records = run.recorder.to_frame()
    assert records.query("event == 'allocated'")["money"].tolist() == [210.0, 210.0]


def test_a_broker_failure_can_be_detected_before_the_lead_time(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "broker", "BRK", 5, 24.0, 200.0, 1.0)],
        lanes=[("BRK", "DE", 6.0, 10.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )
    market = {"kind": "broker_market", "start_day": 0, "end_day": 1, "failure_probability": 1.0}
    source = world.write(
        tmp_path, disruptions=[market], sources={"broker": {"failure_detected_after_hours": 4}}
    )
    assert ("purchase_failed", 5.0, "broker") in timeline(run_world(source), "O1")


def test_a_dry_broker_market_sells_nothing_until_it_recovers(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "broker", "BRK", 5, 24.0, 200.0, 1.0)],
        lanes=[("BRK", "DE", 6.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )
    market = {
        "kind": "broker_market",
        "start_day": 0,
        "end_day": 1,
        "capacity_factor": 0.0,
        "price_factor": 3.0,
    }
    run = run_world(world.write(tmp_path, disruptions=[market]))
    assert timeline(run, "O1")[1] == ("allocated", 24.0, "broker")
    assert run.recorder.to_frame().query("event == 'allocated'")["money"].tolist() == [200.0]


def test_a_broker_market_window_prices_buys_made_inside_it(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "broker", "BRK", 5, 24.0, 200.0, 1.0)],
        lanes=[("BRK", "DE", 6.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )
    market = {"kind": "broker_market", "start_day": 0, "end_day": 1, "price_factor": 3.0}
    run = run_world(world.write(tmp_path, disruptions=[market]))
    assert run.recorder.to_frame().query("event == 'allocated'")["money"].tolist() == [600.0]


def test_an_offline_depot_ships_nothing_until_it_is_back(tmp_path: Path) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D1"): 2, ("P1", "D2"): 1},
        lanes=[("D2", "DE", 20.0, 0.0), ("D1", "FR", 20.0, 0.0)],
        orders=[("O-STD", "STD", "P1", 1, 2.0), ("O-PM", "PM", "P1", 1, 3.0)],
    )
    fire = {"kind": "depot_offline", "name": "fire", "start_day": 0, "end_day": 1, "depots": ["D1"]}
    run = run_world(world.write(tmp_path, disruptions=[fire]))
    assert timeline(run, "O-STD")[1] == ("allocated", 24.0, "stock")
    assert timeline(run, "O-PM")[1:3] == [
        ("allocated", 3.0, "transfer"),
        ("delivered", 23.0, "transfer"),
    ]
    records = run.recorder.to_frame()
    depot_events = records[records["event"].isin(["depot_offline", "depot_online"])]
    assert list(zip(depot_events["event"], depot_events["time"], strict=True)) == [
        ("depot_offline", 0.0),
        ("depot_online", 24.0),
    ]


def test_a_depot_going_offline_withdraws_its_promises_until_it_is_back(tmp_path: Path) -> None:
    world = TinyWorld(inbound=[("P1", "D1", 1, 48.0)], orders=[("O1", "STD", "P1", 1, 1.0)])
    outage = {"kind": "depot_offline", "start_day": 0.5, "end_day": 1, "depots": ["D1"]}
    run = run_world(world.write(tmp_path, disruptions=[outage]))
    assert timeline(run, "O1") == [
        ("order_created", 1.0, None),
        ("reserved", 1.0, "inbound"),
        ("released", 12.0, "inbound"),
        ("reserved", 24.0, "inbound"),
        ("allocated", 48.0, "inbound"),
        ("delivered", 48.0, "inbound"),
        ("restored", 48.0, None),
    ]


def _receipts(run: object) -> list[tuple[float, str]]:
    records = run.recorder.to_frame()  # type: ignore[attr-defined]
    rows = records[(records["event"] == "receipt") & (records["source_kind"] != "initial")]
    return [
        (round(float(t), 6), str(k)) for t, k in zip(rows["time"], rows["source_kind"], strict=True)
    ]


def test_base_stock_reorders_each_unit_and_it_lands_after_the_lead_time(tmp_path: Path) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        orders=[("O1", "STD", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 2.0)],
    )
    source = world.write(
        tmp_path, replenishment={"lead_time": {"distribution": "fixed", "mean_hours": 48}}
    )
    run = run_world(source)
    assert _receipts(run) == [(49.0, "replenishment"), (50.0, "replenishment")]
    assert timeline(run, "O2")[1:3] == [
        ("reserved", 2.0, "inbound"),
        ("allocated", 49.0, "inbound"),
    ]


def test_a_supply_cut_stretches_the_lead_time_of_reorders_placed_in_it(tmp_path: Path) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        orders=[("O1", "STD", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 30.0)],
    )
    cut = {"kind": "supply_cut", "start_day": 0, "end_day": 1, "lead_time_factor": 3}
    source = world.write(
        tmp_path,
        replenishment={"lead_time": {"distribution": "fixed", "mean_hours": 48}},
        disruptions=[cut],
    )
    # O1's reorder at 1 h is in the cut (48 h × 3); O2's at 30 h is after it.
    assert _receipts(run_world(source)) == [(78.0, "replenishment"), (145.0, "replenishment")]


def test_a_factory_that_lost_all_its_volume_ships_when_the_cut_ends(tmp_path: Path) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        base_stock={("P1", "D1"): 1},
        orders=[("O1", "STD", "P1", 1, 1.0)],
    )
    cut = {"kind": "supply_cut", "start_day": 0, "end_day": 2, "volume_lost": 1.0}
    source = world.write(
        tmp_path,
        replenishment={"lead_time": {"distribution": "fixed", "mean_hours": 48}},
        disruptions=[cut],
    )
    assert _receipts(run_world(source)) == [(96.0, "replenishment")]


def test_a_demand_surge_multiplies_arrivals_of_its_parts_in_its_countries(tmp_path: Path) -> None:
    world = TinyWorld(
        customers={"C-DE": ("DE", "standard"), "C-FR": ("FR", "standard")},
        parts=["P1", "P2"],
        lanes=[("D1", "FR", 10.0, 0.0)],
        rates=[("C-DE", "P1", 1.0), ("C-FR", "P1", 1.0), ("C-DE", "P2", 1.0)],
    )
    surge = {
        "kind": "demand_surge",
        "start_day": 2,
        "end_day": 4,
        "parts": ["P1"],
        "countries": ["FR"],
        "factor": 20,
    }
    setup = build_setup(world.write(tmp_path, disruptions=[surge]))
    arrivals = draw_arrivals(setup, np.random.default_rng(3))
    inside = (arrivals["time"] >= 48) & (arrivals["time"] < 96)
    fr_p1 = (arrivals["customer_id"] == "C-FR") & (arrivals["part_number"] == "P1")
    assert (inside & fr_p1).sum() > 20  # 40 expected; Poisson(40) < 20 has odds 6e-4
    assert (~inside & fr_p1).sum() < 20  # 8 expected
    assert (inside & ~fr_p1).sum() < 15  # 4 expected: other parts and countries unchanged


def test_the_repair_time_runs_after_the_last_unit_arrives(tmp_path: Path) -> None:
    world = TinyWorld(stock={("P1", "D1"): 2}, orders=[("O1", "STD", "P1", 2, 1.0)])
    run = run_world(world.write(tmp_path, repair_hours=5))
    assert timeline(run, "O1")[-2:] == [("delivered", 1.0, "stock"), ("restored", 6.0, None)]


def test_periodic_mode_decides_what_waited_at_each_tick(tmp_path: Path) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 2},
        orders=[("O1", "STD", "P1", 1, 1.0), ("O2", "STD", "P1", 1, 5.0)],
    )
    source = world.write(tmp_path, policy={"mode": "periodic", "period_hours": 24})
    run = run_world(source)
    assert timeline(run, "O1")[1] == ("allocated", 24.0, "stock")
    assert timeline(run, "O2")[1] == ("allocated", 24.0, "stock")


def test_an_order_takes_a_substitute_when_its_own_part_is_out(tmp_path: Path) -> None:
    world = TinyWorld(
        parts=["P1", "P2"],
        substitutes={"P1": "P2"},
        stock={("P2", "D1"): 1},
        orders=[("O1", "STD", "P1", 1, 1.0)],
    )
    records = run_world(world.write(tmp_path)).recorder.to_frame()
    allocated = records[records["event"] == "allocated"]
    assert allocated["part_number"].astype(str).tolist() == ["P2"]
