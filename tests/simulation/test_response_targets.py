"""Response-time targets in the simulator: every order's ``need_by``, and the KPIs on it.

A scenario's policy may set ``response_hours`` (by tier, product type, country): each order
is then due its creation plus the shortest response time that applies to it, every engine
solve and every exact path ranks by it (``test_exact_path.py`` proves the paths against the
engine), and the KPIs count the orders delivered after it. Without targets, records and
KPI tables are exactly what they were.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from simulation.entrypoints.output import simulation_document
from simulation.entrypoints.views import show_simulation
from simulation.metrics import KPI_COLUMNS, TARGET_KPI_COLUMNS, kpis, order_outcomes
from simulation.records import COLUMNS
from simulation.use_cases import simulate
from simulation.world.setup import build_setup
from tests.simulation.worlds import TinyWorld, run_world

# One unit on D1's shelf, one landing at 20 h; two PM orders and a standard one. O1 ships
# at once (delivered at 1 h), O2 is promised the receipt (delivered at 20 h), O3 never gets
# a unit before the end (240 h).
WORLD = TinyWorld(
    stock={("P1", "D1"): 1},
    inbound=[("P1", "D1", 1, 20.0)],
    orders=[("O1", "PM", "P1", 1, 1.0), ("O2", "PM", "P1", 1, 2.0), ("O3", "STD", "P1", 1, 3.0)],
)
TARGETS = {"tier": {"PM": 10.0, "standard": 24.0}}


def test_each_order_is_due_its_creation_plus_its_response_time(tmp_path: Path) -> None:
    setup = build_setup(WORLD.write(tmp_path, policy={"options": {"response_hours": TARGETS}}))
    records = run_world(setup).recorder.to_frame()
    created = records.query("event == 'order_created'")
    assert list(records.columns) == [*COLUMNS, "need_by"]
    assert created["need_by"].tolist() == pytest.approx([11.0, 12.0, 27.0])
    assert records.query("event != 'order_created'")["need_by"].isna().all()


def test_late_share_and_hours_late_count_what_a_planner_counts_by_hand(tmp_path: Path) -> None:
    # parts_priority: O1 on time (1 h ≤ 11 h), O2 late by 20 − 12 = 8 h: half late, 8 h.
    # standard: O3 never delivered, due at 27 h, before the end (240 h): late by 213 h.
    setup = build_setup(WORLD.write(tmp_path, policy={"options": {"response_hours": TARGETS}}))
    records = run_world(setup).recorder.to_frame()
    outcomes = order_outcomes(records)
    assert outcomes["late"].tolist() == [False, True, True]
    assert outcomes["hours_late"].tolist() == pytest.approx([0.0, 8.0, 213.0])
    table = kpis(outcomes).set_index("priority_class")
    assert list(table.columns[-3:]) == list(TARGET_KPI_COLUMNS)
    assert table["target_orders"].tolist() == [2, 1]
    assert table["late_share"].tolist() == [0.5, 1.0]
    assert table["mean_hours_late"].tolist() == pytest.approx([8.0, 213.0])


def test_an_order_without_a_target_counts_in_no_target_kpi(tmp_path: Path) -> None:
    options = {"response_hours": {"tier": {"PM": 10.0}}}
    setup = build_setup(WORLD.write(tmp_path, policy={"options": options}))
    table = kpis(order_outcomes(run_world(setup).recorder.to_frame())).set_index("priority_class")
    assert table.loc["standard", "target_orders"] == 0
    assert np.isnan(table.loc["standard", "late_share"])
    assert np.isnan(table.loc["standard", "mean_hours_late"])


def test_without_targets_the_records_and_kpi_tables_are_as_before(tmp_path: Path) -> None:
    setup = build_setup(WORLD.write(tmp_path))
    assert not setup.has_targets
    records = run_world(setup).recorder.to_frame()
    assert list(records.columns) == list(COLUMNS)
    outcomes = order_outcomes(records)
    assert not {"need_by", "late", "hours_late"} & set(outcomes.columns)
    table = kpis(outcomes)
    assert list(table.columns) == ["replication", "priority_class", *KPI_COLUMNS]


def test_targets_reach_the_reduced_kpis_and_the_summary(tmp_path: Path) -> None:
    # Reduced where the replication ran, without its records: what compare and Dask use.
    source = WORLD.write(tmp_path, policy={"options": {"response_hours": TARGETS}}, replications=2)
    result = simulate(source, keep_records=False)
    table = result.kpis("priority_class").set_index(["replication", "priority_class"])
    assert table["late_share"].tolist() == [0.5, 1.0, 0.5, 1.0]
    summary = result.summary()
    late = summary[summary["kpi"] == "mean_hours_late"].set_index("priority_class")["mean"]
    assert late.to_dict() == pytest.approx({"parts_priority": 8.0, "standard": 213.0})


def test_the_json_document_and_the_tables_show_targets_only_when_there_are_some(
    tmp_path: Path,
) -> None:
    for name, options, expected in (
        ("plain", {}, list(KPI_COLUMNS)),
        ("targets", {"response_hours": TARGETS}, [*KPI_COLUMNS, *TARGET_KPI_COLUMNS]),
    ):
        source = WORLD.write(tmp_path / name, policy={"options": options}, replications=2)
        result = simulate(source)
        document = simulation_document(result, source, 0.95)
        for block in (*document["classes"].values(), document["overall"]):
            assert list(block) == expected
        console = Console(record=True, width=200)
        show_simulation(console, document)
        shown = console.export_text()
        assert ("delivered late" in shown) == (name == "targets")
    late = document["classes"]["parts_priority"]["late_share"]
    assert late["mean"] == 0.5
