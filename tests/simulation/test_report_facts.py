"""Root causes in a run's outcomes, and performance reports made from a run.

Tiny worlds (:mod:`tests.simulation.worlds`) replay a handful of orders, so every code can be
worked out by hand; the reports go through the same function as the database's.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pandas as pd
import pytest

from allocation.adapters.report_facts import FACTS_FOLDER, read_report_facts
from allocation.domain.root_causes import is_code
from allocation.reports import ORDER_COLUMNS, ReportFacts
from simulation.entrypoints.cli import main
from simulation.metrics import order_outcomes
from simulation.records import Recorder
from simulation.report_facts import facts_from_result
from simulation.results import SimulationResult
from simulation.scenario.load import ScenarioFile
from simulation.use_cases import simulate
from tests.simulation.timelines import allocate, create, restore
from tests.simulation.worlds import START, TinyWorld, run_world


def codes_of(source: ScenarioFile, target_hours: float = 48.0) -> dict[str, str | None]:
    records = run_world(source).recorder.to_frame()
    outcomes = order_outcomes(records, target_hours=target_hours)
    return dict(zip(outcomes["order_id"], outcomes["code"], strict=True))


def assert_same_facts(a: ReportFacts, b: ReportFacts) -> None:
    for name in ("orders", "sources", "customers"):
        pd.testing.assert_frame_equal(
            getattr(a, name).reset_index(drop=True),
            getattr(b, name).reset_index(drop=True),
        )
    assert (a.as_of, a.target_hours, a.origin, a.replications) == (
        b.as_of,
        b.target_hours,
        b.origin,
        b.replications,
    )


@pytest.fixture
def mixed_world() -> TinyWorld:
    """One order served at once, one waiting for a receipt, one with nothing to get."""
    return TinyWorld(
        parts=["P1", "P2", "P3"],
        stock={("P1", "D1"): 1},
        inbound=[("P2", "D1", 1, 100.0)],
        customers={"PM": ("DE", "PM"), "STD": ("DE", "standard")},
        orders=[
            ("O-NOW", "PM", "P1", 1, 1.0),
            ("O-RECEIPT", "STD", "P2", 1, 2.0),
            ("O-NONE", "STD", "P3", 1, 3.0),
        ],
    )


# -- root causes in the outcomes ------------------------------------------------------------------


def test_short_orders_get_a_catalogue_code_and_orders_served_at_once_none(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    codes = codes_of(mixed_world.write(tmp_path))

    assert codes == {
        "O-NOW": None,
        "O-RECEIPT": "waiting_for_receipt",
        "O-NONE": "no_stock_anywhere",
    }
    assert all(is_code(c) for c in codes.values() if c is not None)


def test_an_order_whose_home_depot_is_offline_on_arrival_waits_for_depot_offline(
    tmp_path: Path,
) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D1"): 2, ("P1", "D2"): 1},
        lanes=[("D2", "DE", 20.0, 0.0), ("D1", "FR", 20.0, 0.0)],
        orders=[("O-STD", "STD", "P1", 1, 2.0), ("O-PM", "PM", "P1", 1, 3.0)],
    )
    fire = {"kind": "depot_offline", "name": "fire", "start_day": 0, "end_day": 1, "depots": ["D1"]}

    codes = codes_of(world.write(tmp_path, disruptions=[fire]))

    # The PM order got a transfer from D2 at once and arrived within the target.
    assert codes == {"O-STD": "depot_offline", "O-PM": None}


def test_an_order_whose_broker_buy_failed_waits_for_broker_failed(tmp_path: Path) -> None:
    world = TinyWorld(
        options=[("P1", "broker", "BRK", 5, 24.0, 200.0, 1.0)],
        lanes=[("BRK", "DE", 6.0, 10.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )
    market = {"kind": "broker_market", "start_day": 0, "end_day": 1, "failure_probability": 1.0}

    assert codes_of(world.write(tmp_path, disruptions=[market])) == {"O1": "broker_failed"}


def test_an_order_found_at_once_but_arriving_after_the_target_waits_for_a_slow_source(
    tmp_path: Path,
) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        stock={("P1", "D2"): 1},
        lanes=[("D2", "DE", 60.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 1.0)],
    )

    assert codes_of(world.write(tmp_path)) == {"O1": "slow_source"}


def test_an_order_whose_part_is_under_a_supply_cut_while_it_waits_gets_supply_cut() -> None:
    rec = Recorder()
    create(rec, 1.0, "CUT", part_number="HDD-1")
    create(rec, 1.0, "FAN", part_number="FAN-1")
    create(rec, 200.0, "AFTER", part_number="HDD-1")
    rec.emit(300.0, "end")

    outcomes = order_outcomes(rec.to_frame(), supply_cuts=[(24.0, 72.0, ["HDD-*"])])

    assert outcomes["code"].tolist() == ["supply_cut", "no_stock_anywhere", "no_stock_anywhere"]


def test_precedence_puts_a_failed_broker_buy_before_everything_else() -> None:
    rec = Recorder()
    create(rec, 1.0, "O1")
    allocate(rec, 1.0, "O1", "broker")
    rec.emit(5.0, "purchase_failed", order_id="O1", source_kind="broker", quantity=1)
    rec.emit(6.0, "depot_offline", depot_id="D1")
    allocate(rec, 10.0, "O1", "inbound")
    restore(rec, 90.0, "O1")
    rec.emit(100.0, "end")

    assert order_outcomes(rec.to_frame())["code"].tolist() == ["broker_failed"]


def test_an_offline_window_counts_only_for_orders_arriving_inside_it() -> None:
    rec = Recorder()
    rec.emit(10.0, "depot_offline", depot_id="D1")
    create(rec, 5.0, "BEFORE")
    create(rec, 10.0, "AT-START")
    create(rec, 20.0, "AT-END")
    rec.emit(20.0, "depot_online", depot_id="D1")
    rec.emit(100.0, "end")

    codes = order_outcomes(rec.to_frame()).set_index("order_id")["code"].to_dict()

    assert codes == {
        "BEFORE": "no_stock_anywhere",
        "AT-START": "depot_offline",
        "AT-END": "no_stock_anywhere",
    }


def test_a_pm_order_in_an_excluded_country_carries_excluded_country_as_its_lost_code(
    tmp_path: Path,
) -> None:
    world = TinyWorld(
        customers={"PM-UY": ("UY", "PM"), "PM": ("DE", "PM")},
        stock={("P1", "D1"): 2},
        lanes=[("D1", "UY", 24.0, 5.0)],
        orders=[("O-UY", "PM-UY", "P1", 1, 1.0), ("O-DE", "PM", "P1", 1, 2.0)],
    )

    records = run_world(world.write(tmp_path)).recorder.to_frame()
    outcomes = order_outcomes(records).set_index("order_id")

    assert outcomes.loc["O-UY", "lost_code"] == "excluded_country"
    assert outcomes.loc["O-UY", "priority_class"] == "standard"
    assert outcomes.loc["O-DE", "lost_code"] is None


# -- report facts and reports -----------------------------------------------------------------


def test_a_runs_facts_hold_every_order_of_its_outcomes_with_the_runs_dates(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    result = simulate(mixed_world.write(tmp_path), replications=2)

    facts = facts_from_result(result)

    assert len(facts.orders) == len(result.outcomes) == 6
    assert list(facts.orders.columns) == list(ORDER_COLUMNS)
    assert facts.replications == 2
    assert facts.origin == "simulation run: tiny"
    first = facts.orders.set_index(["replication", "order_id"]).loc[(0, "O-NOW")]
    assert first["created_at"] == pd.Timestamp(START) + pd.Timedelta(hours=1)
    assert first["status"] == "restored"
    assert not first["backordered"]
    assert set(facts.orders["status"]) == {"restored", "open"}
    assert facts.as_of == START + pd.Timedelta(days=10)
    assert set(facts.customers["tier"]) == {"PM", "standard"}
    assert set(facts.sources["source_kind"]) <= {"stock", "inbound"}


def test_a_customers_report_counts_its_orders_of_the_run(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    result = simulate(mixed_world.write(tmp_path), replications=2)
    outcomes = result.outcomes

    report = result.report("STD")

    document = report.document()
    mine = outcomes[outcomes["customer_id"] == "STD"]
    assert document["orders"] * result.replications == len(mine)
    assert document["source"] == "simulation run: tiny"
    assert document["backorders"]["open"] + document["backorders"]["closed"] == pytest.approx(2)
    assert [r.customer_id for r in result.reports()] == ["PM"]


def test_facts_are_the_same_whether_the_run_kept_its_records_or_replays_them(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    source = mixed_world.write(tmp_path)
    kept = simulate(source, replications=2, keep_records=True)
    replayed = simulate(source, replications=2)
    assert kept.kept_records
    assert not replayed.kept_records

    assert_same_facts(kept.report_facts(), replayed.report_facts())


def test_a_result_without_its_world_names_customers_by_id_with_their_orders_best_tier(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    result = simulate(mixed_world.write(tmp_path), replications=1)
    bare = SimulationResult(result.scenario, result.strategy, result.seed, result.store)

    facts = facts_from_result(bare)

    assert facts.customers.to_dict("list") == {
        "customer_id": ["PM", "STD"],
        "name": ["PM", "STD"],
        "tier": ["PM", "standard"],
    }
    assert facts.as_of == START + pd.Timedelta(days=10)  # the scenario's start


def test_simulate_out_writes_report_facts_that_read_back_equal(
    tmp_path: Path, mixed_world: TinyWorld
) -> None:
    source = mixed_world.write(tmp_path)
    out = tmp_path / "out"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["simulate", str(source.path), "-r", "2", "--workers", "1", "--out", str(out)])
    assert code == 0, err.getvalue()

    assert (out / FACTS_FOLDER / "facts.json").is_file()
    assert_same_facts(read_report_facts(out), simulate(source, replications=2).report_facts())
