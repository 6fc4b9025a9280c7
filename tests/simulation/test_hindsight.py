"""The hindsight bound: hand-computed cases, cases where it must equal the simulation, and
its validity (never above any policy's parts-priority downtime on the same seeds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulation.entrypoints.cli import main
from simulation.hindsight import BoundUnavailableError, bound_of, replication_bound
from simulation.use_cases import compare
from simulation.world.setup import build_setup
from tests.cli_run import Run, run_main
from tests.simulation.worlds import TinyWorld

_SLACK_HOURS = 2e-3


def _cli(*argv: str) -> Run:
    """``parts-priority ARGV`` in this process, with its stdout and stderr."""
    return run_main(main, *argv)


# a tick (a second) per order taken back, and float noise


def _bound(world: TinyWorld, folder: Path, seed: int = 1, **fields: Any) -> dict[str, float]:
    setup = build_setup(world.write(folder, **fields))
    table = replication_bound(setup, seed, 0)
    return dict(zip(table["priority_class"], table["mean_downtime_hours"], strict=True))


def _policy_means(folder: Path, policies: list[str], replications: int) -> dict[str, Any]:
    comparison = compare(folder / "scenario.yaml", policies, replications=replications, bound=True)
    assert comparison.bound is not None
    means = {}
    for name, result in comparison.results.items():
        kpis = result.kpis()
        kpis = kpis[kpis["priority_class"] == "parts_priority"]
        means[name] = dict(zip(kpis["replication"], kpis["mean_downtime_hours"], strict=True))
    table = comparison.bound.table
    table = table[table["priority_class"] == "parts_priority"]
    means["bound"] = dict(zip(table["replication"], table["mean_downtime_hours"], strict=True))
    return means


def test_the_bound_of_a_hand_computed_case(tmp_path: Path) -> None:
    # One unit on the shelf, one landing at 50 h; orders at 0 h and 5 h; a 10 h lane and a
    # 4 h repair: the first is down 14 h, the second 50 - 5 + 10 + 4 = 59 h.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 50.0)],
        lanes=[("D1", "DE", 10.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 0.0), ("O2", "PM", "P1", 1, 5.0)],
    )
    bound = _bound(world, tmp_path, repair_hours=4)
    assert bound["parts_priority"] == pytest.approx((14.0 + 59.0) / 2, abs=_SLACK_HOURS)


def test_parts_priority_comes_first_and_standard_gets_what_is_left(tmp_path: Path) -> None:
    # A standard order takes the only unit at once in the simulation; in hindsight it is kept
    # for the parts-priority order that comes 5 h later, and standard waits for the receipt.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 100.0)],
        lanes=[("D1", "DE", 10.0, 0.0)],
        orders=[("O-STD", "STD", "P1", 1, 0.0), ("O-PM", "PM", "P1", 1, 5.0)],
    )
    bound = _bound(world, tmp_path)
    assert bound["parts_priority"] == pytest.approx(10.0, abs=_SLACK_HOURS)
    assert bound["standard"] == pytest.approx(110.0, abs=_SLACK_HOURS)


def test_an_order_never_served_counts_its_downtime_to_the_end_of_the_run(tmp_path: Path) -> None:
    world = TinyWorld(
        lanes=[("D1", "DE", 10.0, 0.0)],
        orders=[("O1", "PM", "P1", 1, 24.0)],
    )
    bound = _bound(world, tmp_path, horizon_days=2, drain_days=1)
    assert bound["parts_priority"] == pytest.approx(72.0 - 24.0, abs=_SLACK_HOURS)


def test_with_ample_stock_the_bound_is_the_transit_and_equals_every_policy(
    tmp_path: Path,
) -> None:
    world = TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        customers={"PM": ("DE", "PM"), "STD": ("FR", "standard")},
        stock={("P1", "D1"): 500, ("P1", "D2"): 500},
        lanes=[("D1", "DE", 12.0, 0.0), ("D2", "FR", 20.0, 0.0), ("D2", "DE", 30.0, 0.0)],
        rates=[("PM", "P1", 3.0), ("STD", "P1", 3.0)],
    )
    world.write(tmp_path, horizon_days=20, drain_days=5, repair_hours=2)
    means = _policy_means(tmp_path, ["optimal", "fifo"], 2)
    for replication in (0, 1):
        assert means["bound"][replication] == pytest.approx(14.0, abs=_SLACK_HOURS)
        for policy in ("optimal", "fifo"):
            assert means[policy][replication] == pytest.approx(14.0, abs=1e-9)


def test_one_depot_one_class_base_stock_fifo_reaches_the_bound(tmp_path: Path) -> None:
    # Every order leaves the depot (shipped or promised) when it is created, so each reorder
    # is placed at its demand and takes its own lead-time draw: the bound's reorder supply is
    # the world's, and first come, first served is the best order to serve one class in.
    world = TinyWorld(
        customers={"PM": ("DE", "PM")},
        stock={("P1", "D1"): 2},
        lanes=[("D1", "DE", 6.0, 0.0)],
        rates=[("PM", "P1", 2.0)],
    )
    world.write(
        tmp_path,
        horizon_days=30,
        drain_days=30,
        replenishment={
            "policy": "base_stock",
            "base_stock": "world",
            "lead_time": {"distribution": "gamma", "mean_hours": 30.0, "cv": 0.5},
        },
    )
    means = _policy_means(tmp_path, ["fifo", "optimal"], 3)
    for replication in range(3):
        assert means["bound"][replication] == pytest.approx(
            means["fifo"][replication], abs=_SLACK_HOURS
        )
        assert means["fifo"][replication] > 6.0  # some orders did wait


def _rough_world(seed: int) -> TinyWorld:
    """Two depots and two parts, parts-priority and standard demand, base stock with random
    lead times, a broker that fails, an expedite channel and a depot offline."""
    return TinyWorld(
        depots={"D1": "DE", "D2": "FR"},
        parts=["P1", "P2"],
        customers={"PM": ("DE", "PM"), "PM2": ("FR", "PM"), "STD": ("DE", "standard")},
        stock={("P1", "D1"): 2, ("P1", "D2"): 1, ("P2", "D1"): 1, ("P2", "D2"): 2},
        lanes=[
            ("D1", "DE", 8.0, 0.0),
            ("D2", "FR", 8.0, 0.0),
            ("D2", "DE", 30.0, 0.0),
            ("D1", "FR", 30.0, 0.0),
            ("BRK", "DE", 10.0, 0.0),
            ("BRK", "FR", 10.0, 0.0),
            ("MFG", "DE", 20.0, 0.0),
        ],
        options=[
            ("P1", "broker", "BRK", 1, 24.0, 50.0, 0.6),
            ("P2", "expedite", "MFG", 1, 48.0, 30.0, None),
        ],
        rates=[
            ("PM", "P1", 0.8 + 0.1 * seed),
            ("PM2", "P2", 0.6),
            ("STD", "P1", 1.0),
            ("STD", "P2", 0.7),
        ],
    )


_ROUGH = {
    "horizon_days": 40,
    "drain_days": 20,
    "repair_hours": 3,
    "sources": {"broker": {"failure_detected_after_hours": 24}},
    "replenishment": {
        "policy": "base_stock",
        "base_stock": "world",
        "lead_time": {"distribution": "gamma", "mean_hours": 120.0, "cv": 0.4},
    },
    "disruptions": [
        {"kind": "depot_offline", "start_day": 10, "end_day": 16, "depots": ["D2"]},
        {
            "kind": "supply_cut",
            "start_day": 5,
            "end_day": 25,
            "parts": ["P1"],
            "volume_lost": 0.5,
            "lead_time_factor": 1.5,
        },
    ],
}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_bound_is_never_above_any_policy_on_the_same_seeds(tmp_path: Path, seed: int) -> None:
    _rough_world(seed).write(tmp_path, seed=seed, **_ROUGH)
    means = _policy_means(tmp_path, ["optimal", "fifo", "tier_greedy"], 2)
    for replication, bound in means["bound"].items():
        for policy in ("optimal", "fifo", "tier_greedy"):
            assert bound <= means[policy][replication] + 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 11))
def test_the_bound_is_never_above_any_policy_on_more_seeds(tmp_path: Path, seed: int) -> None:
    _rough_world(seed).write(tmp_path, seed=seed, **_ROUGH)
    means = _policy_means(tmp_path, ["optimal", "fifo", "tier_greedy"], 4)
    for replication, bound in means["bound"].items():
        for policy in ("optimal", "fifo", "tier_greedy"):
            assert bound <= means[policy][replication] + 1e-9


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "broker-failures",
        "demand-surge",
        "depot-fire",
        "excluded-countries",
        "normal-quarter",
        "protection-levels",
        "thailand-floods-2011",
    ],
)
def test_the_bound_is_below_every_policy_on_the_shipped_scenarios(name: str) -> None:
    path = Path(__file__).parents[2] / "scenarios" / f"{name}.yaml"
    comparison = compare(path, ["optimal", "fifo", "tier_greedy"], replications=2, bound=True)
    assert comparison.bound is not None
    bound = comparison.bound.table
    bound = bound[bound["priority_class"] == "parts_priority"].set_index("replication")
    for result in comparison.results.values():
        kpis = result.kpis()
        kpis = kpis[kpis["priority_class"] == "parts_priority"].set_index("replication")
        gap = kpis["mean_downtime_hours"] - bound["mean_downtime_hours"]
        assert (gap >= -1e-9).all()


def test_substitutes_and_multi_unit_lines_are_refused_by_name(tmp_path: Path) -> None:
    world = TinyWorld(
        parts=["P1", "P2"],
        substitutes={"P1": "P2"},
        orders=[("O1", "PM", "P1", 1, 0.0)],
    )
    with pytest.raises(BoundUnavailableError, match="substitutes"):
        bound_of(build_setup(world.write(tmp_path / "a")), 1, [0])
    world = TinyWorld(orders=[("O1", "PM", "P1", 3, 0.0)])
    with pytest.raises(BoundUnavailableError, match="more than one unit"):
        bound_of(build_setup(world.write(tmp_path / "b")), 1, [0])


def test_compare_says_why_there_is_no_bound(tmp_path: Path) -> None:
    world = TinyWorld(orders=[("O1", "PM", "P1", 3, 0.0)])
    path = tmp_path / "scenario.yaml"
    world.write(tmp_path)
    comparison = compare(path, ["optimal", "fifo"], replications=1, bound=True)
    assert comparison.bound is None
    assert comparison.bound_note is not None
    assert "more than one unit" in comparison.bound_note


def test_compare_prints_each_policys_distance_from_the_bound(tmp_path: Path) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 100.0)],
        lanes=[("D1", "DE", 10.0, 0.0)],
        orders=[("O-STD", "STD", "P1", 1, 0.0), ("O-PM", "PM", "P1", 1, 5.0)],
    )
    path = world.write(tmp_path).path
    shown = _cli("compare", str(path), "--policies", "optimal,fifo", "--workers", "1")
    assert shown.code == 0, shown.err
    # Parts priority waits 105 h under both policies, 10 h in hindsight: 950% above it.
    shown_text = " ".join(shown.out.split())  # the terminal may wrap the line
    assert "optimal is within 950% of the hindsight bound (10" in shown_text
    assert "h for parts-priority orders); fifo 950%" in shown_text
    document = json.loads(
        _cli("compare", str(path), "--policies", "optimal,fifo", "--json", "--workers", "1").out
    )
    block = document["hindsight_bound"]
    assert block["mean_downtime_hours"]["parts_priority"] == pytest.approx(10.0, abs=_SLACK_HOURS)
    assert block["gap"]["fifo"] == pytest.approx(9.5, abs=1e-3)
    skipped = _cli("compare", str(path), "--no-bound", "--json", "--workers", "1")
    assert json.loads(skipped.out)["hindsight_bound"] is None
