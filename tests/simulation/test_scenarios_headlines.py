"""Each shipped scenario, run briefly, shows the headline docs/scenarios.md promises for it.

The horizons are shortened with overrides so that the suite stays quick; each check is the
qualitative statement that must hold whatever the exact numbers are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulation import SimulationResult, compare, load_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXCLUDED = {"DO", "EC", "GT", "HN", "NI", "UY"}
SPECIAL_MEANS = {"transfer", "expedite", "broker"}


def short(name: str, **overrides: object) -> SimulationResult:
    return simulate(load_scenario(SCENARIOS / f"{name}.yaml", overrides), replications=2)


def mean_by_class(result: SimulationResult, kpi: str) -> dict[str, float]:
    summary = result.summary()
    rows = summary[summary["kpi"] == kpi]
    return {str(k): float(v) for k, v in zip(rows["priority_class"], rows["mean"], strict=True)}


def rows_of(table: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` that belong to ``orders`` (order ids repeat across replications)."""
    keys = orders[["replication", "order_id"]].astype({"order_id": str}).drop_duplicates()
    return table.astype({"order_id": str}).merge(keys, on=["replication", "order_id"])


def allocations(result: SimulationResult) -> pd.DataFrame:
    """Allocated rows with the class, tier and country of their order."""
    records = result.records
    created = records[records["event"] == "order_created"][
        ["replication", "order_id", "priority_class", "tier", "country"]
    ]
    allocated = records[records["event"] == "allocated"][
        ["replication", "order_id", "source_kind", "quantity"]
    ]
    return allocated.merge(created, on=["replication", "order_id"], how="left")


def test_a_normal_quarter_restores_parts_priority_orders_within_target_more_often() -> None:
    result = short("normal-quarter", horizon_days=28, drain_days=21)

    within = mean_by_class(result, "within_target")
    fill = mean_by_class(result, "fill_rate")

    assert result.strategy == "optimal"
    assert within["parts_priority"] > within["standard"]
    assert min(fill.values()) > 0.8  # a normal quarter: most orders find stock


@pytest.mark.slow  # a shipped scenario at length: the slow lane
def test_in_the_thailand_floods_the_optimizer_beats_fifo_for_parts_priority_orders() -> None:
    floods = load_scenario(
        SCENARIOS / "thailand-floods-2011.yaml", {"horizon_days": 60, "drain_days": 30}
    )

    comparison = compare(floods, ["optimal", "fifo"], replications=2)

    optimal = mean_by_class(comparison.results["optimal"], "mean_downtime_hours")
    fifo = mean_by_class(comparison.results["fifo"], "mean_downtime_hours")
    assert optimal["parts_priority"] < fifo["parts_priority"]
    assert optimal["parts_priority"] < optimal["standard"]
    hard_disks = comparison.results["optimal"].outcomes
    hard_disks = hard_disks[hard_disks["part_number"].astype(str).str.startswith("HDD-")]
    others = comparison.results["optimal"].outcomes.drop(hard_disks.index)
    assert hard_disks["downtime_hours"].mean() > 2 * others["downtime_hours"].mean()


def test_during_the_depot_fire_parts_priority_orders_are_served_from_other_depots() -> None:
    result = short("depot-fire", horizon_days=42, drain_days=30)

    outcomes = result.outcomes
    cut_off = outcomes[
        outcomes["country"].isin(["NL", "BE", "LU", "DE", "CH", "FR", "ES", "GB", "IE"])
        & (outcomes["created"] >= 15 * 24)
        & (outcomes["created"] < 42 * 24)
    ]
    downtime = cut_off.groupby("priority_class", observed=True)["downtime_hours"].mean()
    assert downtime["standard"] > 3 * downtime["parts_priority"]
    used = allocations(result)
    served = rows_of(used, cut_off)
    kinds = served.groupby("priority_class", observed=True)["source_kind"].agg(
        lambda s: set(s.astype(str))
    )
    assert "transfer" in kinds["parts_priority"]
    assert not (kinds["standard"] & SPECIAL_MEANS)


@pytest.mark.slow  # a shipped scenario at length: the slow lane
def test_in_the_demand_surge_the_failing_board_queues_and_parts_priority_waits_less() -> None:
    result = short("demand-surge", horizon_days=56, drain_days=45)

    outcomes = result.outcomes
    boards = outcomes[outcomes["part_number"].astype(str) == "MB-NB14"]
    before = boards[boards["created"] < 21 * 24]
    during = boards[boards["created"] >= 21 * 24]
    rate_before = len(before) / 21
    rate_during = len(during) / (56 - 21)
    assert rate_during > 3 * rate_before
    waits = during.groupby("priority_class", observed=True)["downtime_hours"].mean()
    assert waits["standard"] > waits["parts_priority"]
    assert during["downtime_hours"].mean() > 2 * before["downtime_hours"].mean()


def test_pm_orders_in_excluded_countries_are_standard_and_get_no_special_means() -> None:
    result = short("excluded-countries", horizon_days=28, drain_days=30)

    outcomes = result.outcomes
    pm = outcomes[outcomes["tier"].astype(str) == "PM"]
    excluded = pm[pm["country"].astype(str).isin(EXCLUDED)]
    covered = pm[~pm["country"].astype(str).isin(EXCLUDED)]
    assert set(excluded["country"].astype(str)) == EXCLUDED
    assert set(excluded["priority_class"].astype(str)) == {"standard"}
    assert set(covered["priority_class"].astype(str)) == {"parts_priority"}
    used = allocations(result)
    excluded_sources = set(rows_of(used, excluded)["source_kind"].astype(str))
    assert excluded_sources
    assert not (excluded_sources & SPECIAL_MEANS)
    covered_sources = set(rows_of(used, covered)["source_kind"].astype(str))
    assert covered_sources & SPECIAL_MEANS


@pytest.mark.slow  # a shipped scenario at length: the slow lane
def test_in_the_unreliable_broker_market_nearly_half_the_broker_buys_fail() -> None:
    result = short("broker-failures", horizon_days=56, drain_days=30)

    records = result.records
    broker = records[records["source_kind"].astype(str) == "broker"]
    bought = broker.loc[broker["event"] == "allocated", "quantity"].sum()
    failed = broker.loc[broker["event"] == "purchase_failed", "quantity"].sum()
    assert bought >= 40
    assert 0.3 < failed / bought < 0.6
    used = allocations(result)
    assert set(used.loc[used["source_kind"].astype(str) == "broker", "priority_class"]) == {
        "parts_priority"
    }


@pytest.mark.parametrize(
    "name",
    sorted(p.stem for p in SCENARIOS.glob("*.yaml")),
)
def test_every_shipped_scenario_has_a_headline_on_the_scenarios_page(name: str) -> None:
    readme = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert f"scenarios/{name}.yaml" in readme
