"""What a run hands back: tables with documented columns, documents, plots, files; and bad
run arguments refused with a message that names them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.errors import ClusterError, ScenarioError
from simulation.metrics import KPI_COLUMNS
from simulation.records import COLUMNS, EVENTS
from simulation.stats import SUMMARY_COLUMNS
from simulation.use_cases import compare, simulate, sweep
from simulation.world.conditions import Conditions
from simulation.world.demand import option_book
from simulation.world.setup import build_setup
from tests.simulation.worlds import TinyWorld

SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "small",
    "world": {"generate": {"orders": 150, "parts": 15, "depots": 3, "seed": 4}},
    "horizon_days": 10,
    "warmup_days": 1,
    "demand": {"orders_per_day": 15},
    "replications": 2,
    "seed": 9,
}


@pytest.fixture(scope="module")
def result() -> Any:
    return simulate(SCENARIO)


def test_records_have_the_documented_columns_and_events(result: Any) -> None:
    assert tuple(result.records.columns) == COLUMNS
    assert set(result.records["event"].astype(str)) <= set(EVENTS)
    assert sorted(result.records["replication"].unique()) == [0, 1]


def test_per_order_outcomes_count_orders_of_the_window_only(result: Any) -> None:
    outcomes = result.to_pandas()
    assert outcomes["created"].between(24.0, 240.0, inclusive="left").all()
    assert {"downtime_hours", "restored", "filled_on_arrival", "cost"} <= set(outcomes.columns)
    assert (outcomes["downtime_hours"] >= 0).all()


def test_kpis_and_summaries_by_any_order_attribute(result: Any) -> None:
    for by in ("priority_class", "tier", "country", "customer_id", "part_number", None):
        table = result.kpis(by)
        assert list(table.columns[-len(KPI_COLUMNS) :]) == list(KPI_COLUMNS)
        summary = result.summary(by)
        assert list(summary.columns[-len(SUMMARY_COLUMNS) :]) == list(SUMMARY_COLUMNS)
        assert (summary["replications"] <= 2).all()
    overall = result.summary(None).set_index("kpi")
    assert overall.loc["orders", "mean"] == result.to_pandas().groupby("replication").size().mean()


def test_backorders_costs_run_stats_and_plots_come_with_the_result(result: Any) -> None:
    backorders = result.backorders(step_hours=12.0)
    assert list(backorders.columns) == ["replication", "priority_class", "time", "backorders"]
    assert (backorders["backorders"] >= 0).all()
    assert set(result.costs().columns) == {"replication", "source_kind", "units", "money"}
    stats = result.run_stats
    assert list(stats["replication"]) == [0, 1]
    assert (stats["events"] > 0).all()
    figures = result.plots()
    assert set(figures) == {"downtime_ecdf", "backorders", "cost_by_source"}


def test_the_document_is_plain_json_with_intervals_per_class(result: Any) -> None:
    document = json.loads(json.dumps(result.document()))
    headline = document["by_class"]["standard"]["mean_downtime_hours"]
    assert set(headline) == {"mean", "ci_low", "ci_high"}
    assert document["replications"] == 2


def test_tables_are_written_as_parquet_and_csv(result: Any, tmp_path: Path) -> None:
    written = result.write(tmp_path)
    assert {p.name for p in written} >= {"records.parquet", "records.csv", "summary.csv"}


def test_a_comparison_pairs_replications_and_a_sweep_labels_its_points() -> None:
    comparison = compare(SCENARIO, ["fifo", "optimal"], replications=2)
    differences = comparison.differences(by="priority_class")
    assert set(differences["baseline"]) == {"fifo"}
    assert set(comparison.document()["differences"]) == {"optimal"}
    grid = sweep(SCENARIO, {"horizon_days": [5, 8]}, replications=1)
    assert sorted(grid.summary()["horizon_days"].unique()) == ["5", "8"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: simulate(SCENARIO, replications=0), "replications must be"),
        (lambda: simulate(SCENARIO, seed=-1), "seed must be"),
        (lambda: simulate(SCENARIO, workers=0), "workers must be"),
        (lambda: simulate(SCENARIO, policy="greedy"), "unknown policy 'greedy'"),
        (lambda: compare(SCENARIO, ["optimal"]), "at least two policies"),
        (lambda: compare(SCENARIO, ["fifo", "fifo"]), "named twice"),
        (lambda: sweep(SCENARIO, {}), "at least one field"),
        (lambda: sweep(SCENARIO, {"horizon_days": []}), "needs a list of values"),
        (lambda: simulate({**SCENARIO, "horizon_days": -3}), "horizon_days"),
    ],
)
def test_bad_run_arguments_are_refused_by_name(call: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        call()


def test_an_unreachable_dask_scheduler_is_named(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ClusterError, match=re.escape("127.0.0.1:9")):
        simulate(SCENARIO, replications=1, dask="tcp://127.0.0.1:9")


def test_option_terms_read_one_at_a_time_match_the_vectorised_ones(tmp_path: Path) -> None:
    world = TinyWorld(
        parts=["P1", "P2"],
        options=[
            ("P1", "expedite", "SUP", 3, 24.0, 50.0, None),
            ("P1", "broker", "BRK", 5, 30.0, 99.9, 0.7),
            ("P2", "broker", "BRK", 2, 12.0, 10.0, None),
        ],
        lanes=[("SUP", "DE", 5.0, 1.0), ("BRK", "DE", 5.0, 1.0)],
    )
    disruptions = [
        {
            "kind": "supply_cut",
            "start_day": 1,
            "end_day": 3,
            "volume_lost": 0.35,
            "lead_time_factor": 1.7,
            "parts": ["P1"],
        },
        {
            "kind": "broker_market",
            "start_day": 2,
            "end_day": 4,
            "capacity_factor": 0.3,
            "price_factor": 2.5,
            "failure_probability": 0.45,
        },
    ]
    setup = build_setup(world.write(tmp_path, disruptions=disruptions))
    options = option_book(setup)
    options.used[:] = [1, 0, 2]
    conditions = Conditions(setup, options)
    for now in np.linspace(0.0, 120.0, 41):
        terms = conditions.terms(np.arange(3), float(now))
        for i in range(3):
            assert conditions.terms_now(i, float(now)) == (
                int(terms.capacity[i]),
                float(terms.lead_hours[i]),
                float(terms.price[i]),
                float(terms.success[i]),
            )


def test_a_demand_surge_on_a_replayed_log_is_refused_by_name(tmp_path: Path) -> None:
    world = TinyWorld(orders=[("O1", "STD", "P1", 1, 1.0)])
    surge = {"kind": "demand_surge", "start_day": 0, "end_day": 1, "factor": 3}
    with pytest.raises(ScenarioError, match=r"disruptions\.0: a demand_surge"):
        build_setup(world.write(tmp_path, disruptions=[surge]))
