"""Scenario what-ifs: the engine's edits applied to a simulated world, demand and policy;
the original stays as it was, and an edit that leaves demand alone keeps the same orders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from allocation import ProtectionLevels
from allocation.errors import UnknownIdError
from simulation import ScenarioWhatIf, diff, load_scenario, simulate
from simulation.errors import ScenarioError
from simulation.world.setup import build_setup

FLOODS = "scenarios/thailand-floods-2011.yaml"
FIRE = "scenarios/depot-fire.yaml"
SHORT = {"horizon_days": 10, "drain_days": 20, "replications": 2}


@pytest.fixture(scope="module")
def base() -> ScenarioWhatIf:
    return ScenarioWhatIf(load_scenario(FLOODS, SHORT))


@pytest.fixture(scope="module")
def before(base: ScenarioWhatIf) -> Any:
    return simulate(base)


def test_edits_return_new_scenarios_and_leave_the_original_alone(base: ScenarioWhatIf) -> None:
    depots = list(base.snapshot.depots["depot_id"])
    rates = base.rates()
    case = base.take_depot_offline("D-VENLO").scale_demand(2).set_tier("C-AU-063", "PM")
    assert case.edits == ("depot D-VENLO offline", "demand × 2", "C-AU-063 tier PM")
    assert base.edits == ()
    assert list(base.snapshot.depots["depot_id"]) == depots
    assert base.rates().equals(rates)
    assert base.base.raw == load_scenario(FLOODS, SHORT).raw


def test_a_tier_change_keeps_the_same_orders_and_lifts_the_customers_class(
    base: ScenarioWhatIf, before: Any
) -> None:
    after = simulate(base.set_tier("C-AU-063", "PM"))
    mine = after.outcomes[after.outcomes["customer_id"] == "C-AU-063"]
    assert len(mine) > 0
    assert set(mine["priority_class"].astype(str)) == {"parts_priority"}
    summary = diff(before, after).summary()
    assert summary["only_in_a"] == summary["only_in_b"] == 0


def test_a_customer_moved_to_an_excluded_country_loses_parts_priority(
    base: ScenarioWhatIf, before: Any
) -> None:
    after = simulate(base.move_customer("C-AU-064", "Uruguay"))
    mine = after.outcomes[after.outcomes["customer_id"] == "C-AU-064"]
    assert len(mine) > 0
    assert set(mine["country"].astype(str)) == {"UY"}
    assert set(mine["priority_class"].astype(str)) == {"standard"}
    assert diff(before, after).summary()["only_in_b"] == 0


def test_scaled_demand_scales_the_arrival_rates_of_the_chosen_parts(
    base: ScenarioWhatIf, before: Any
) -> None:
    case = base.scale_demand(3, parts=["HDD-500-NB"])
    old, new = base.rates(), case.rates()
    drives = old["part_number"] == "HDD-500-NB"
    assert new.loc[drives, "per_day"].tolist() == pytest.approx(
        (3 * old.loc[drives, "per_day"]).tolist()
    )
    assert new.loc[~drives, "per_day"].tolist() == old.loc[~drives, "per_day"].tolist()
    after = simulate(case)

    def drive_orders(run: Any) -> int:
        return int((run.outcomes["part_number"].astype(str) == "HDD-500-NB").sum())

    assert drive_orders(after) > 2 * drive_orders(before)


def test_a_depot_taken_offline_ships_nothing_and_leaves_the_disruptions() -> None:
    fire = ScenarioWhatIf(load_scenario(FIRE, {"horizon_days": 5, "drain_days": 5}))
    case = fire.take_depot_offline("D-VENLO")
    assert case.scenario_file().scenario.disruptions == []
    records = simulate(case, replications=1).records
    assert "D-VENLO" not in set(records["depot_id"].astype(str))
    assert "D-VENLO" not in set(records["origin"].astype(str))


def test_policy_and_protection_edits_reach_the_simulator(base: ScenarioWhatIf) -> None:
    levels = ProtectionLevels({("D-VENLO", "HDD-500-NB"): 2})
    case = base.with_policy(strategy="fifo", preemption=False).with_protection(levels)
    setup = build_setup(case.scenario_file())
    assert setup.policy.preemption is False
    assert setup.policy.protection == levels
    assert simulate(case, replications=1).strategy == "fifo"


def test_a_saved_what_if_runs_from_its_file_with_the_same_numbers(
    base: ScenarioWhatIf, tmp_path: Path
) -> None:
    case = base.take_depot_offline("D-TOKYO").scale_demand(1.5, countries=["Japan"])
    path = case.save(tmp_path / "case")
    from_file = simulate(load_scenario(path), replications=1)
    in_memory = simulate(case, replications=1)
    assert from_file.summary().equals(in_memory.summary())


def test_bad_edits_are_refused_by_name(base: ScenarioWhatIf) -> None:
    with pytest.raises(UnknownIdError, match="D-NOWHERE"):
        base.take_depot_offline("D-NOWHERE")
    with pytest.raises(ScenarioError, match="preemptoin"):
        base.with_policy(preemptoin=False)
    with pytest.raises(UnknownIdError, match="C-NOBODY"):
        base.set_tier("C-NOBODY", "PM")
