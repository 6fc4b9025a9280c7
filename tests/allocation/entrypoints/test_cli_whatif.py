"""End to end: ``parts-priority diff`` and ``protect`` through ``main(argv)``, and protection
levels given to ``allocate`` in a policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allocation.entrypoints.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"
LEVELS = "depot_id,part_number,level\nD-US,PSU-200,3\nD-US,LCD-24,2\n"


def _plans(tmp_path: Path, suffix: str = ".csv") -> tuple[Path, Path]:
    """Plan A: the example as it is. Plan B: with protection levels from a policy file."""
    (tmp_path / "levels.csv").write_text(LEVELS)
    policy = tmp_path / "policy.yaml"
    policy.write_text("allocation:\n  protection:\n    levels: levels.csv\n")
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert main(["allocate", "--snapshot", str(EXAMPLE), "--out", str(a)]) == 0
    assert (
        main(["allocate", "--snapshot", str(EXAMPLE), "--policy", str(policy), "--out", str(b)])
        == 0
    )
    return a, b


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_allocate_applies_protection_levels_named_in_a_policy_file(tmp_path: Path) -> None:
    _, b = _plans(tmp_path)
    unfilled = pd.read_csv(tmp_path / "b.unfilled.csv").set_index("order_id")
    # O-1004 (standard, 2 × PSU-200): 4 on hand, 3 held back, so it gets 1 of its 2.
    assert unfilled.loc["O-1004", "quantity"] == 1
    assert unfilled.loc["O-1004", "reason"] == (
        "held back for parts-priority orders by the protection level at D-US"
    )
    lines = pd.read_csv(b)
    assert lines.loc[lines["order_id"] == "O-1004", "quantity"].sum() == 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_diff_of_two_plan_files_says_who_gains_and_who_loses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    a, b = _plans(tmp_path, suffix)
    document = _json(capsys, "diff", str(a), str(b), "--json")
    summary = document["summary"]
    # The levels cost O-1004 one PSU-200 and O-1016 its LCD-24; parts priority keeps all.
    assert (summary["gaining"], summary["losing"], summary["units_a"], summary["units_b"]) == (
        0,
        2,
        11,
        9,
    )
    rows = {r["priority_class"]: r for r in document["rows"]}
    assert rows["parts_priority"]["units_change"] == 0
    assert rows["standard"]["units_change"] == -2


def test_diff_by_customer_needs_the_snapshot_and_then_names_the_customers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _plans(tmp_path)
    err = _fails(capsys, "diff", str(a), str(b), "--by", "customer")
    assert "give --snapshot DIR" in err
    document = _json(
        capsys, "diff", str(a), str(b), "--by", "customer", "--snapshot", str(EXAMPLE), "--json"
    )
    acme = next(r for r in document["rows"] if r["customer"] == "C-ACME")
    assert (acme["units_a"], acme["units_b"], acme["losing"]) == (4, 2, 2)


def test_diff_by_order_lists_the_orders_that_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _plans(tmp_path)
    capsys.readouterr()
    assert main(["diff", str(a), str(b), "--by", "order"]) == 0
    out = capsys.readouterr().out
    assert "O-1004" in out
    assert "O-1016" in out
    assert "O-1001" not in out  # unchanged orders are not listed
    assert "2 lose" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--by", "planet"], "unknown level 'planet'"),
        (["--snapshot", "/nonexistent/snapshot"], "not a folder"),
    ],
)
def test_diff_with_bad_options_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    a, b = _plans(tmp_path)
    assert message in _fails(capsys, "diff", str(a), str(b), *argv)


def test_diff_of_what_is_not_a_plan_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _ = _plans(tmp_path)
    assert "no such file" in _fails(capsys, "diff", str(a), str(tmp_path / "nope.csv"))
    assert "a folder" in _fails(capsys, "diff", str(a), str(tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,quantity,eta_hours,priority_class\nO-1,two,1.0,standard\n")
    (tmp_path / "bad.unfilled.csv").write_text("order_id,quantity,priority_class\n")
    err = _fails(capsys, "diff", str(a), str(bad))
    assert "column 'quantity', value 'two'" in err


def test_protect_shows_what_the_levels_cost_each_class_and_what_they_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "levels.csv").write_text(LEVELS)
    levels = str(tmp_path / "levels.csv")
    document = _json(capsys, "protect", "--snapshot", str(EXAMPLE), "--levels", levels, "--json")
    by_class = {r["priority_class"]: r for r in document["by_class"]}
    assert (
        by_class["parts_priority"]["units_without"],
        by_class["parts_priority"]["units_with"],
    ) == (5, 5)
    assert (by_class["standard"]["units_without"], by_class["standard"]["units_with"]) == (6, 4)
    held = {(h["depot_id"], h["part_number"]): h for h in document["held"]}
    assert held[("D-US", "PSU-200")]["idle"] == 3
    assert held[("D-US", "LCD-24")]["taken_by_parts_priority"] == 1
    capsys.readouterr()
    assert main(["protect", "--snapshot", str(EXAMPLE), "--levels", levels]) == 0
    out = capsys.readouterr().out
    assert "Protected shelves" in out
    assert "By priority class" in out


def test_protect_against_fifo_shows_what_the_levels_save(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "levels.csv").write_text("depot_id,part_number,level\nD-DE,SSD-512,2\n")
    document = _json(
        capsys,
        "protect",
        "--snapshot",
        str(EXAMPLE),
        "--levels",
        str(tmp_path / "levels.csv"),
        "--strategy",
        "fifo",
        "--json",
    )
    pp = next(r for r in document["by_class"] if r["priority_class"] == "parts_priority")
    assert pp["eta_change"] < 0  # parts-priority units arrive sooner


@pytest.mark.parametrize(
    ("levels", "extra", "message"),
    [
        ("depot_id,part_number,level\nD-XX,PSU-200,1\n", [], "unknown depot 'D-XX'"),
        ("depot_id,part_number,level\nD-US,NOPE,1\n", [], "unknown part 'NOPE'"),
        ("depot_id,part_number,level\nD-US,PSU-200,-1\n", [], "column 'level', value '-1'"),
        (
            "depot_id,part_number,level\nD-US,PSU-200,1\n",
            ["--strategy", "best"],
            "unknown strategy",
        ),
        ("depot_id,part_number,level\nD-US,PSU-200,1\n", ["--default", "-1"], "--default"),
    ],
)
def test_protect_with_bad_input_exits_2_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    levels: str,
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "levels.csv").write_text(levels)
    argv = ["protect", "--snapshot", str(EXAMPLE), "--levels", str(tmp_path / "levels.csv")]
    assert message in _fails(capsys, *argv, *extra)


def test_protect_with_a_missing_levels_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _fails(capsys, "protect", "--snapshot", str(EXAMPLE), "--levels", str(tmp_path / "x.csv"))
    assert "x.csv" in err
