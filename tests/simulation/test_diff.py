"""Who gains and who loses between two simulated runs: orders matched by replication and id
on common random numbers, the engine's gain/lose rule, totals that agree with each run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from allocation import allocate, load_snapshot
from allocation.errors import InputError
from simulation import ResultDiff, diff, run_outcomes, simulate
from simulation.errors import SimulationError

SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "short supply",
    "world": {"generate": {"orders": 150, "parts": 12, "depots": 3, "seed": 4}},
    "horizon_days": 12,
    "demand": {"orders_per_day": 25},
    "replenishment": {"lead_time": {"distribution": "fixed", "mean_hours": 200}},
    "replications": 2,
    "seed": 9,
}


@pytest.fixture(scope="module")
def runs() -> tuple[Any, Any]:
    return simulate(SCENARIO, policy="fifo"), simulate(SCENARIO, policy="optimal")


@pytest.fixture(scope="module")
def change(runs: tuple[Any, Any]) -> ResultDiff:
    return diff(*runs)


def test_the_same_seed_gives_the_same_orders_so_every_order_is_matched(
    runs: tuple[Any, Any], change: ResultDiff
) -> None:
    table = change.to_pandas()
    assert set(table["change"]) <= {"gains", "loses", "same"}
    assert len(table) == len(runs[0].outcomes) == len(runs[1].outcomes)
    assert sorted(table["replication"].unique()) == [0, 1]


def test_each_orders_downtime_is_the_one_its_run_measured(
    runs: tuple[Any, Any], change: ResultDiff
) -> None:
    table = change.to_pandas().set_index(["replication", "order_id"])
    for side, run in zip("ab", runs, strict=True):
        own = run.outcomes.assign(order_id=run.outcomes["order_id"].astype(str))
        own = own.set_index(["replication", "order_id"])["downtime_hours"]
        assert np.allclose(table.loc[own.index, f"downtime_hours_{side}"], own)


def test_an_order_gains_with_more_units_or_as_many_sooner(change: ResultDiff) -> None:
    table = change.to_pandas()
    more = table["units_b"] > table["units_a"]
    sooner = (table["units_b"] == table["units_a"]) & (table["units_b"] > 0)
    sooner &= table["downtime_hours_b"] < table["downtime_hours_a"] - 1e-3
    fewer = table["units_b"] < table["units_a"]
    later = (table["units_b"] == table["units_a"]) & (table["units_b"] > 0)
    later &= table["downtime_hours_b"] > table["downtime_hours_a"] + 1e-3
    assert (table.loc[more | sooner, "change"] == "gains").all()
    assert (table.loc[fewer | later, "change"] == "loses").all()
    assert (more | sooner | fewer | later).any(), "the policies should differ somewhere"


def test_class_totals_agree_with_each_runs_orders(
    runs: tuple[Any, Any], change: ResultDiff
) -> None:
    table = change.by("priority_class").set_index("priority_class")
    for side, run in zip("ab", runs, strict=True):
        per_class = run.outcomes.groupby(run.outcomes["priority_class"].astype(str))
        assert table["orders"].to_dict() == per_class.size().to_dict()
        expected = per_class["downtime_hours"].mean()
        assert np.allclose(table.loc[expected.index, f"downtime_hours_{side}"], expected)
    assert np.allclose(
        table["downtime_change"], table["downtime_hours_b"] - table["downtime_hours_a"]
    )
    summary = change.summary()
    assert summary["gaining"] + summary["losing"] + summary["unchanged"] == summary["orders"]


def test_customers_and_countries_come_from_the_runs(change: ResultDiff) -> None:
    by_customer = change.by("customer")
    assert by_customer["orders"].sum() == len(change.to_pandas())
    assert change.by("country")["country"].str.len().eq(2).all()
    assert change.plot("customer").axes[0].get_title() == "Downtime change by customer"


def test_a_run_against_itself_changes_nothing(runs: tuple[Any, Any]) -> None:
    same = diff(runs[1], runs[1].to_pandas())
    table = same.by("priority_class")
    assert (same.to_pandas()["change"] == "same").all()
    assert (table["downtime_change"] == 0).all()
    assert (table["ci_low"] == 0).all()
    assert (table["ci_high"] == 0).all()


def test_ids_that_name_other_orders_in_another_seed_are_not_matched(
    runs: tuple[Any, Any],
) -> None:
    other = simulate({**SCENARIO, "seed": 10}, policy="optimal")
    summary = diff(runs[1], other).summary()
    assert summary["only_in_a"] > 0
    assert summary["only_in_b"] > 0
    assert summary["only_in_a"] + summary["gaining"] + summary["losing"] + summary[
        "unchanged"
    ] == len(runs[1].outcomes)


def test_run_outcomes_are_the_engines_outcome_table() -> None:
    table = pd.DataFrame(
        {
            "replication": [0, 1],
            "order_id": ["SIM-1", "SIM-1"],
            "customer_id": ["C", "C"],
            "country": ["DE", "DE"],
            "priority_class": ["standard", "standard"],
            "tier": ["PA", "PA"],
            "part_number": ["P", "P"],
            "quantity": [2, 2],
            "created": [1.0, 2.0],
            "restored": [True, False],
            "downtime_hours": [10.0, 99.0],
            "delivered_units": [2, 1],
            "filled_on_arrival": [False, False],
        }
    )
    rows = run_outcomes(table)
    assert rows["order_id"].tolist() == ["0:SIM-1", "1:SIM-1"]
    assert rows["unit_hours"].tolist() == [20.0, 99.0]


def test_plans_and_unknown_levels_are_refused_by_name(runs: tuple[Any, Any]) -> None:
    plan = allocate(load_snapshot("scenarios/example"))
    with pytest.raises(SimulationError, match=r"allocation\.diff"):
        diff(plan, runs[0])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown level 'tier'"):
        diff(*runs).by("tier")
    with pytest.raises(InputError, match="need column"):
        run_outcomes(pd.DataFrame({"order_id": ["x"]}))


def test_a_diff_shows_as_escaped_tables(change: ResultDiff) -> None:
    html = change._repr_html_()
    assert "by priority class" in html
    assert "orders that moved most" in html
    assert repr(change).startswith("ResultDiff(")
