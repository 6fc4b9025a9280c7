"""End to end: ``parts-priority diff`` of two simulated runs and ``protect SCENARIO``, through
``main(argv)``; plan files and ``--snapshot`` keep working; bad input exits 2 by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allocation import load_protection_levels
from simulation.entrypoints.cli import main

FLOODS = "scenarios/thailand-floods-2011.yaml"
QUICK = ["--set", "horizon_days=15", "--set", "drain_days=10", "-r", "2", "--workers", "1"]
# Long enough into the floods for parts-priority orders to wait at a shelf.
SHORTAGE = ["--set", "horizon_days=35", "--set", "drain_days=10", "-r", "2", "--workers", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("runs")
    a, b = folder / "fifo", folder / "optimal"
    for policy, out in (("fifo", a), ("optimal", b)):
        code = main(["simulate", FLOODS, *QUICK, "--policy", policy, "--out", str(out)])
        assert code == 0
    return a, b


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    capsys.readouterr()
    assert main(list(argv)) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def test_diff_of_two_runs_matches_every_order_and_speaks_of_downtime(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    document = _json(capsys, "diff", str(runs[0]), str(runs[1]), "--by", "country", "--json")
    summary = document["summary"]
    assert isinstance(summary, dict)
    assert summary["only_in_a"] == summary["only_in_b"] == 0
    assert document["hours"] == "downtime"
    rows = document["rows"]
    assert isinstance(rows, list)
    assert {"country", "downtime_hours_a"} <= set(rows[0])
    capsys.readouterr()
    assert main(["diff", str(runs[0]), str(runs[1])]) == 0
    table = capsys.readouterr().out
    assert "downtime" in table
    assert "ETA" not in table


def test_diff_refuses_a_run_against_a_plan_and_a_folder_without_outcomes(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.csv"
    assert main(["allocate", "--snapshot", "scenarios/example", "--out", str(plan)]) == 0
    assert "a run with a run" in _fails(capsys, "diff", str(runs[0]), str(plan))
    assert "no outcomes.parquet" in _fails(capsys, "diff", str(runs[0]), str(tmp_path))
    assert "no such file" in _fails(capsys, "diff", str(runs[0]), str(tmp_path / "x"))


def test_protect_recommends_levels_for_a_scenario_and_writes_them_for_the_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "levels.csv"
    argv = ["protect", FLOODS, "--levels", "0,2", *SHORTAGE, "--shelves", "1", "--rounds", "1"]
    document = _json(capsys, *argv, "--json", "--out", str(out))
    assert document["command"] == "protect"
    levels = load_protection_levels(out)
    assert [list(row.values()) for row in document["levels"]] == [  # type: ignore[union-attr]
        [d, p, v] for d, p, v in levels
    ]
    assert len(levels.levels) == 1
    by_class = document["by_class"]
    assert isinstance(by_class, list)
    assert {row["priority_class"] for row in by_class} == {"parts_priority", "standard"}


def test_protect_on_a_snapshot_still_compares_one_plan_with_and_without(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    levels = tmp_path / "levels.csv"
    levels.write_text("depot_id,part_number,level\nD-US,PSU-200,3\n", encoding="utf-8")
    document = _json(
        capsys, "protect", "--snapshot", "scenarios/example", "--levels", str(levels), "--json"
    )
    assert document["levels"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["protect"], "give a SCENARIO"),
        (["protect", FLOODS, "--snapshot", "scenarios/example"], "not both"),
        (["protect", FLOODS, "--levels", "0,x"], "'x' is not a whole number"),
        (["protect", FLOODS, "--objective", "best"], "unknown objective 'best'"),
        (["protect", FLOODS, "--depots", "D-NOWHERE", "-r", "1"], "unknown depot 'D-NOWHERE'"),
        (["protect", "--snapshot", "scenarios/example"], "--snapshot needs --levels"),
        (["protect", "scenarios/none.yaml"], "cannot read scenario"),
    ],
)
def test_protect_refuses_bad_input_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert message in _fails(capsys, *argv).replace("\n", " ")
