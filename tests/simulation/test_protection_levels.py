"""Protection levels inside the simulator: a standard order may not take the last ``level``
units of a depot's shelf for a part; a parts-priority order may (docs/explanation/rules.md, "Parts
priority"). Every decision path — the engine and the exact no-solve paths — keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simulation.whatif import protection_of
from simulation.world.setup import build_setup
from tests.simulation.worlds import TinyWorld, run_world, timeline

STRATEGIES = ["optimal", "fifo", "tier_greedy"]
PATHS = pytest.mark.parametrize("shortcut", [True, False], ids=["exact paths", "engine"])


def _level(n: int) -> dict[str, Any]:
    rows = [{"depot_id": "D1", "part_number": "P1", "level": n}]
    return {"policy": {"options": {"protection": {"levels": rows}}}}


def _allocations(run: Any, order_id: str) -> list[tuple[float, str | None]]:
    return [(t, kind) for event, t, kind in timeline(run, order_id) if event == "allocated"]


@PATHS
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_protected_unit_waits_for_parts_priority_and_a_standard_order_waits_for_the_receipt(
    tmp_path: Path, strategy: str, shortcut: bool
) -> None:
    # One unit on the shelf, held back by a level of 1; a receipt lands at 50 h. The standard
    # order comes first but may not take the protected unit; the PM order 4 h later does.
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 50.0)],
        orders=[("O-STD", "STD", "P1", 1, 1.0), ("O-PM", "PM", "P1", 1, 5.0)],
    )
    run = run_world(world.write(tmp_path, **_level(1)), strategy, shortcut=shortcut)
    assert _allocations(run, "O-STD") == [(50.0, "inbound")]
    assert _allocations(run, "O-PM") == [(5.0, "stock")]


@PATHS
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_without_a_level_the_first_order_takes_the_last_unit(
    tmp_path: Path, strategy: str, shortcut: bool
) -> None:
    world = TinyWorld(
        stock={("P1", "D1"): 1},
        inbound=[("P1", "D1", 1, 50.0)],
        orders=[("O-STD", "STD", "P1", 1, 1.0), ("O-PM", "PM", "P1", 1, 5.0)],
    )
    run = run_world(world.write(tmp_path, **_level(0)), strategy, shortcut=shortcut)
    assert _allocations(run, "O-STD") == [(1.0, "stock")]
    assert _allocations(run, "O-PM") == [(50.0, "inbound")]


@PATHS
def test_units_above_the_level_go_to_anyone(tmp_path: Path, shortcut: bool) -> None:
    # Three units, one protected: the first two standard orders take the two free units,
    # the third waits, and the PM order gets the protected one.
    world = TinyWorld(
        stock={("P1", "D1"): 3},
        orders=[
            ("O-S1", "STD", "P1", 1, 1.0),
            ("O-S2", "STD", "P1", 1, 2.0),
            ("O-S3", "STD", "P1", 1, 3.0),
            ("O-PM", "PM", "P1", 1, 4.0),
        ],
    )
    run = run_world(world.write(tmp_path, **_level(1)), shortcut=shortcut)
    assert _allocations(run, "O-S1") == [(1.0, "stock")]
    assert _allocations(run, "O-S2") == [(2.0, "stock")]
    assert _allocations(run, "O-S3") == []
    assert _allocations(run, "O-PM") == [(4.0, "stock")]


def test_a_protection_table_named_by_a_scenario_is_read_from_the_scenario_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    pd.DataFrame({"depot_id": ["D1"], "part_number": ["P1"], "level": [2]}).to_csv(
        folder / "levels.csv", index=False
    )
    world = TinyWorld(stock={("P1", "D1"): 3}, orders=[("O1", "STD", "P1", 1, 1.0)])
    option = {"protection": {"default": 0, "levels": "levels.csv"}}
    source = world.write(folder, policy={"options": option})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    setup = build_setup(source)
    assert setup.policy.protection.level("D1", "P1") == 2
    assert setup.policy.protection == protection_of(source)
