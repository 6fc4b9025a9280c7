"""End to end: response-time targets through ``parts-priority allocate``.

A ``need_by`` column in the orders file and ``response_hours`` in the policy file both
reach the plan: its lines gain ``need_by`` and ``late_hours``, its summary counts breaches
per class, and a bad value is refused by name with exit code 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allocation.entrypoints.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"


def _copy(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    shutil.copytree(EXAMPLE, world)
    return world


def _allocate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["allocate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _document(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out = _allocate(capsys, *args, "--json")
    assert code == 0, out
    document: dict[str, Any] = json.loads(out)
    return document


def test_the_example_without_targets_has_no_target_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _document(capsys, "--snapshot", str(EXAMPLE))
    assert all("need_by" not in line for line in document["lines"])
    assert all("units_late" not in row for row in document["summary"]["by_class"].values())


def test_need_by_in_the_orders_file_reaches_the_lines_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = _copy(tmp_path)
    orders = pd.read_csv(world / "orders.csv", dtype=str, keep_default_na=False)
    # Every order due the moment it was created: any unit not there now is late.
    orders["need_by"] = orders["created_at"]
    orders.loc[orders["order_id"] == "O-1001", "need_by"] = ""
    orders.to_csv(world / "orders.csv", index=False)
    document = _document(capsys, "--snapshot", str(world))
    lines = {line["order_id"]: line for line in document["lines"]}
    assert lines["O-1001"]["need_by"] is None
    assert lines["O-1001"]["late_hours"] == 0.0
    late = [line for line in document["lines"] if line["late_hours"] > 0]
    assert late
    summary = document["summary"]
    units_late = sum(row["units_late"] for row in summary["by_class"].values())
    assert units_late == sum(line["quantity"] for line in late)
    assert summary["by_class"]["parts_priority"]["orders_breached"] >= 1
    assert "parts_priority_units_late" in summary["objective"]


def test_policy_response_times_give_orders_a_need_by(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("allocation:\n  response_hours:\n    tier: {PM: 4}\n", encoding="utf-8")
    document = _document(capsys, "--snapshot", str(EXAMPLE), "--policy", str(policy))
    orders = pd.read_csv(EXAMPLE / "orders.csv")
    created = dict(zip(orders["order_id"], pd.to_datetime(orders["created_at"]), strict=True))
    timed = [line for line in document["lines"] if line["need_by"] is not None]
    assert timed
    for line in timed:
        assert pd.Timestamp(line["need_by"]) == created[line["order_id"]] + pd.Timedelta(hours=4)
    by_class = document["summary"]["by_class"]
    assert by_class["parts_priority"]["orders_with_target"] > 0


def test_a_bad_need_by_is_refused_naming_file_row_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = _copy(tmp_path)
    orders = pd.read_csv(world / "orders.csv", dtype=str, keep_default_na=False)
    orders["need_by"] = ""
    orders.loc[2, "need_by"] = "next tuesday"
    orders.to_csv(world / "orders.csv", index=False)
    code, out = _allocate(capsys, "--snapshot", str(world))
    assert code == 2
    assert "orders.csv" in out
    assert "row 3" in out
    assert "'need_by'" in out
    assert "next tuesday" in out


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("tier: {PM: -4}", "response_hours.tier.PM"),
        ("tier: {Gold: 4}", "unknown tier 'Gold'"),
        ("country: {Atlantis: 4}", "unknown country 'Atlantis'"),
        ("product_type: {toaster: 4}", "unknown product type 'toaster'"),
        ("weekday: {monday: 4}", "response_hours.weekday is not an option"),
    ],
)
def test_a_bad_response_time_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, words: str
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"allocation:\n  response_hours:\n    {body}\n", encoding="utf-8")
    code, out = _allocate(capsys, "--snapshot", str(EXAMPLE), "--policy", str(policy))
    assert code == 2
    assert words in out


def test_an_explanation_says_how_late_and_where_the_nearest_unit_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = _copy(tmp_path)
    orders = pd.read_csv(world / "orders.csv", dtype=str, keep_default_na=False)
    orders["need_by"] = orders["created_at"]
    orders.to_csv(world / "orders.csv", index=False)
    document = _document(capsys, "--snapshot", str(world))
    late = next(line for line in document["lines"] if line["late_hours"] > 0)
    from allocation import allocate, load_snapshot

    words = allocate(load_snapshot(world)).explain(late["order_id"])
    assert f"late by {late['late_hours']:.1f} h" in words
