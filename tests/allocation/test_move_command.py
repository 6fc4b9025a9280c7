"""``parts-priority move``: the preview, --json, --apply into the snapshot's overrides, and
clear refusals with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allocation.entrypoints.cli import main
from tests.allocation.engine.builders import order, world
from tests.cli_run import Run, run_main


def run(*argv: str) -> Run:
    return run_main(main, *argv)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A CSV snapshot folder: one unit, two PM orders; P1 (older) has it."""
    tables = world([order("P1", age=5.0), order("P2", age=1.0)], stock=[("A", "D1", 1)]).tables()
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "snapshot.yaml").write_text("as_of: 2025-06-10T12:00:00\n", encoding="utf-8")
    return tmp_path


def test_the_preview_shows_levels_and_the_orders_that_change(folder: Path) -> None:
    result = run("move", "--snapshot", str(folder), "--from-order", "P1", "--to-order", "P2")
    assert result.code == 0, result.err
    assert "parts_priority_units" in result.out
    assert "P1" in result.out
    assert "P2" in result.out
    assert "preview only" in result.out
    assert not (folder / "overrides.csv").exists()


def test_json_says_who_loses(folder: Path) -> None:
    result = run(
        "move", "--snapshot", str(folder), "--from-order", "P1", "--to-order", "P2", "--json"
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["orders_losing_units"] == ["P1"]
    assert doc["firm"]["order_id"] == "P2"
    assert doc["applied"] is None


def test_apply_writes_the_firm_line_and_the_next_plan_holds_it(folder: Path) -> None:
    result = run(
        "move", "--snapshot", str(folder), "--from-order", "P1", "--to-order", "P2", "--apply"
    )
    assert result.code == 0, result.err
    table = pd.read_csv(folder / "overrides.csv")
    assert table[["kind", "order_id", "source_kind", "origin", "quantity"]].values.tolist() == [
        ["firm", "P2", "stock", "D1", 1]
    ]
    plan = run("allocate", "--snapshot", str(folder), "--json")
    assert plan.code == 0, plan.err
    lines = json.loads(plan.out)["lines"]
    assert [line["order_id"] for line in lines] == ["P2"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from-order", "P1", "--to-order", "P1"], "same order"),
        (["--from-order", "P1", "--to-order", "NOPE"], "NOPE"),
        (["--from-order", "P2", "--to-order", "P1"], "P2 has no planned units"),
        (["--from-order", "P1", "--to-order", "P2", "--units", "5"], "only 1 unit"),
        (["--from-order", "P1", "--to-order", "P2", "--source", "stock"], "KIND:ORIGIN"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_code_2(
    folder: Path, extra: list[str], message: str
) -> None:
    result = run("move", "--snapshot", str(folder), *extra)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert not (folder / "overrides.csv").exists()
