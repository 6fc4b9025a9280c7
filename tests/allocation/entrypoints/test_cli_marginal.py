"""``parts-priority marginal``: what one more unit would buy, for a planner's terminal."""

from __future__ import annotations

import json

import pytest

from allocation.entrypoints.cli import main


def test_marginal_json_lists_parts_and_depots_best_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["marginal", "--snapshot", "scenarios/example", "--json", "--top", "50"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "the example is short of parts, so some unit must buy something"
    keys = {"part_number", "depot_id", "parts_priority_units", "standard_units", "cost"}
    assert keys <= set(rows[0])
    gains = [
        (-r["parts_priority_units"], r["parts_priority_eta_hours"], -r["standard_units"])
        for r in rows
    ]
    assert gains == sorted(gains)


def test_marginal_on_a_missing_snapshot_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["marginal", "--snapshot", "no/such/folder"]) == 2
    assert "no/such/folder" in capsys.readouterr().err
