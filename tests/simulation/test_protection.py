"""Protection levels recommended by simulation: the decision rule on a world whose answers
are known, the search on a shipped scenario, and what the shelves held."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from allocation import ProtectionLevels, load_protection_levels
from simulation import ProtectionRecommendation, load_scenario, recommend_protection
from simulation.errors import ScenarioError
from simulation.protection import _Rule, _Search, _sweep
from simulation.records import Recorder
from simulation.scenario.load import ScenarioFile
from simulation.shelves import shelf_orders, shelf_stock
from simulation.whatif import protection_of

FLOODS = "scenarios/thailand-floods-2011.yaml"
A, B = ("D-VENLO", "HDD-500-NB"), ("D-MEMPHIS", "HDD-500-NB")


class Known:
    """A run whose class downtimes are a function of the levels (3 replications)."""

    replications = 3

    def __init__(self, pp: float, std: float) -> None:
        self.pp, self.std = pp, std

    def kpis(self, by: str = "priority_class") -> pd.DataFrame:
        rows = []
        for r, noise in enumerate((-1.0, 0.0, 1.0)):
            rows.append((r, "parts_priority", self.pp + noise, 100.0))
            rows.append((r, "standard", self.std + noise, 50.0))
        columns = ["replication", "priority_class", "mean_downtime_hours", "cost"]
        return pd.DataFrame(rows, columns=columns)


def search(
    world: Callable[[ProtectionLevels], tuple[float, float]],
    objective: str = "cap",
    cap: float = 0.10,
    weight: float = 0.25,
    gain: float = 0.5,
) -> tuple[_Search, list[ProtectionLevels]]:
    """A search over a world where ``world(levels)`` gives (pp, standard) mean downtime."""
    asked: list[ProtectionLevels] = []

    def run(point: ScenarioFile) -> Any:
        levels = protection_of(point)
        asked.append(levels)
        return Known(*world(levels))

    source = load_scenario(FLOODS, {"horizon_days": 1})
    return _Search(source, ProtectionLevels(), _Rule(objective, cap, weight, gain), run), asked


def drives(levels: ProtectionLevels) -> tuple[float, float]:
    """Shelf A: each unit held saves parts priority hours, with returns that fade, and costs
    standard orders 2.5 h a unit; shelf B does nothing."""
    saved = {0: 0.0, 1: 6.0, 2: 10.0, 3: 10.3}[levels.level(*A)]
    return 100.0 - saved, 100.0 + 2.5 * levels.level(*A)


def test_the_cap_rule_takes_the_best_level_within_the_cap_and_not_a_hair_more() -> None:
    s, _ = search(drives, cap=0.10)
    current = {A: 0, B: 0}
    _sweep(s, current, [0, 1, 2, 3], 1)
    # Level 3 saves 0.3 h more than level 2 (below the 0.5 h a level must gain); B buys nothing.
    assert current == {A: 2, B: 0}


def test_a_tighter_cap_buys_less_protection() -> None:
    s, _ = search(drives, cap=0.03)  # standard may lose 3 h: one unit (2.5 h) fits, two do not
    current = {A: 0, B: 0}
    _sweep(s, current, [0, 1, 2, 3], 1)
    assert current == {A: 1, B: 0}


def test_the_weighted_rule_prices_standard_hours() -> None:
    cheap, _ = search(drives, objective="weighted", weight=0.5)
    dear, _ = search(drives, objective="weighted", weight=3.0)
    first, second = {A: 0, B: 0}, {A: 0, B: 0}
    _sweep(cheap, first, [0, 1, 2, 3], 1)
    _sweep(dear, second, [0, 1, 2, 3], 1)
    assert first[A] == 2  # 10 h saved for 5 × 0.5 h
    assert second[A] == 0  # 6 h saved would cost 7.5 weighted hours


def test_an_assignment_is_simulated_once_however_it_is_reached() -> None:
    s, asked = search(drives)
    current = {A: 0, B: 0}
    _sweep(s, current, [0, 1, 2, 3], 1)
    _sweep(s, current, [0, 1, 2, 3], 2)
    assert len(asked) == len({tuple(sorted(levels.levels.items())) for levels in asked})
    assert s.rows[-1]["kept"] in (True, False)


@pytest.fixture(scope="module")
def advice() -> ProtectionRecommendation:
    floods = load_scenario(FLOODS, {"horizon_days": 35, "drain_days": 15})
    return recommend_protection(floods, levels=[0, 1, 2], replications=2, shelves=2, rounds=1)


def test_the_shelves_searched_are_where_parts_priority_orders_waited(
    advice: ProtectionRecommendation,
) -> None:
    orders = shelf_orders(advice.baseline)
    waited = orders[
        (orders["priority_class"].astype(str) == "parts_priority") & ~orders["filled_on_arrival"]
    ]
    hours = waited.groupby(["depot_id", "part_number"], observed=True)["downtime_hours"].sum()
    top = hours.sort_values(ascending=False).head(2) / advice.baseline.replications
    assert set(advice.chosen) == {(str(d), str(p)) for d, p in top.index}
    assert advice.candidates["waiting_hours"].tolist() == pytest.approx(top.tolist())


def test_the_report_pairs_the_levels_run_with_the_baseline_on_the_same_orders(
    advice: ProtectionRecommendation,
) -> None:
    keys = ["replication", "order_id"]
    assert advice.baseline.outcomes[keys].equals(advice.recommended.outcomes[keys])
    summary = advice.summary()
    assert set(summary["priority_class"]) == {"parts_priority", "standard"}
    downtime = summary[summary["kpi"] == "mean_downtime_hours"]
    assert (
        downtime["change"] - (downtime["recommended"] - downtime["baseline"])
    ).abs().max() < 1e-9
    trials = advice.trial_table()
    assert trials.iloc[0]["assignment"] == "baseline"
    assert len(trials) == 1 + 2 * 3  # the baseline, then each shelf at each level
    assert set(advice.to_pandas()["level"]) <= {0, 1, 2}


def test_a_level_changes_what_the_simulated_orders_get(
    advice: ProtectionRecommendation,
) -> None:
    # Holding units back on a shelf where parts-priority orders waited changes the
    # downtimes: the decisions honour the levels (the score is the parts-priority mean).
    trials = advice.trial_table()
    baseline = trials.iloc[0]["score"]
    assert (trials["score"] - baseline).abs().max() > 0.01


def test_the_recommended_levels_are_a_table_the_policy_reads(
    advice: ProtectionRecommendation, tmp_path: Any
) -> None:
    path = advice.write_levels(tmp_path / "levels.csv")
    assert load_protection_levels(path) == advice.levels
    document = advice.document()
    assert document["command"] == "protect"
    assert len(document["trials"]) == len(advice.trials)
    assert "per shelf" in advice._repr_html_()
    assert len(advice.plot().axes) >= 2


def test_a_shelf_holds_the_units_under_its_level_between_its_receipts() -> None:
    rec = Recorder()
    rec.emit(0.0, "receipt", part_number="P", depot_id="D", source_kind="initial", quantity=1)
    rec.emit(10.0, "receipt", part_number="P", depot_id="D", source_kind="scheduled", quantity=4)
    rec.emit(20.0, "allocated", order_id="O", part_number="P", source_kind="transfer",
             origin="D", quantity=5)  # fmt: skip
    rec.emit(40.0, "end")
    row = shelf_stock(rec.to_frame(), {("D", "P"): 3}).iloc[0]
    assert row["mean_on_hand"] == pytest.approx((1 * 10 + 5 * 10) / 40)
    assert row["mean_held"] == pytest.approx((1 * 10 + 3 * 10) / 40)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"levels": []}, "at least one level"),
        ({"levels": [0, -1]}, "-1 is not a whole number"),
        ({"objective": "best"}, "unknown objective 'best'"),
        ({"standard_cap": -0.1}, "standard_cap must be"),
        ({"shelves": 0}, "shelves must be"),
        ({"parts": ["ZZ-*"]}, "'ZZ-\\*' matches no part"),
        ({"depots": ["D-NOWHERE"]}, "unknown depot 'D-NOWHERE'"),
    ],
)
def test_bad_arguments_are_refused_by_name(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        recommend_protection(load_scenario(FLOODS, {"horizon_days": 1}), **arguments)
