"""End to end: ``parts-priority allocate`` and ``generate`` through ``main(argv)``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from allocation.entrypoints.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"
LINE_KEYS = {
    "order_id",
    "part_number",
    "quantity",
    "source",
    "origin",
    "eta",
    "cost",
    "priority_class",
}
UNFILLED_KEYS = {"order_id", "quantity", "reason"}


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code = main(["allocate", "--snapshot", str(EXAMPLE), "--json", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    document: dict[str, Any] = json.loads(out)
    return document


def _asked() -> dict[str, int]:
    orders = pd.read_csv(EXAMPLE / "orders.csv")
    return dict(zip(orders["order_id"], orders["quantity"].astype(int), strict=True))


def test_allocate_prints_one_json_document_with_lines_and_unfilled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _run_json(capsys)
    assert document["strategy"] == "optimal"
    assert isinstance(document["lines"], list)
    assert isinstance(document["unfilled"], list)
    assert document["lines"]
    assert document["unfilled"]
    for line in document["lines"]:
        assert set(line) >= LINE_KEYS
        assert line["quantity"] > 0
        assert line["source"] in {"stock", "transfer", "inbound", "expedite", "broker"}
        assert line["priority_class"] in {"parts_priority", "standard"}
        pd.Timestamp(line["eta"])  # an ISO moment
    for row in document["unfilled"]:
        assert set(row) >= UNFILLED_KEYS
        assert row["quantity"] > 0
        assert row["reason"]


@pytest.mark.parametrize("strategy", ["optimal", "fifo", "tier_greedy"])
def test_every_orders_allocated_and_unfilled_units_add_up_to_what_it_asked(
    capsys: pytest.CaptureFixture[str], strategy: str
) -> None:
    document = _run_json(capsys, "--strategy", strategy)
    assert document["strategy"] == strategy
    totals = dict.fromkeys(_asked(), 0)
    for row in document["lines"] + document["unfilled"]:
        totals[row["order_id"]] += row["quantity"]
    assert totals == _asked()


def test_standard_orders_get_no_special_means_in_the_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = _run_json(capsys)
    standard = [line for line in document["lines"] if line["priority_class"] == "standard"]
    assert {line["source"] for line in standard} <= {"stock", "inbound"}


def test_a_policy_file_changes_the_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "allocation:\n  allowed_sources:\n"
        "    standard: [stock, transfer, inbound, expedite, broker]\n",
        encoding="utf-8",
    )
    document = _run_json(capsys, "--policy", str(policy))
    standard = [line for line in document["lines"] if line["priority_class"] == "standard"]
    assert {line["source"] for line in standard} - {"stock", "inbound"}


def test_a_bad_policy_file_exits_2_naming_the_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("allocation:\n  premption: true\n", encoding="utf-8")
    code = main(["allocate", "--snapshot", str(EXAMPLE), "--policy", str(policy)])
    assert code == 2
    assert "allocation.premption" in capsys.readouterr().err


def test_out_writes_the_lines_and_the_unfilled_beside_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "plan.csv"
    assert main(["allocate", "--snapshot", str(EXAMPLE), "--out", str(out)]) == 0
    assert "plan.unfilled.csv" in capsys.readouterr().out
    lines = pd.read_csv(out)
    unfilled = pd.read_csv(tmp_path / "plan.unfilled.csv")
    assert set(lines.columns) >= LINE_KEYS
    assert set(unfilled.columns) >= UNFILLED_KEYS
    totals = pd.concat([lines, unfilled]).groupby("order_id")["quantity"].sum().to_dict()
    assert totals == _asked()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv", "plan.unfilled.csv"]


def test_the_terminal_shows_the_fill_table_and_the_unfilled_with_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["allocate", "--snapshot", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Allocation (optimal)" in out
    assert "fill rate" in out
    assert "parts_priority" in out
    assert "By source kind" in out
    assert "Unfilled" in out
    assert "O-1005" in out  # a standard order that only special means could serve


def test_a_bad_snapshot_exits_2_naming_the_file_and_row(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    shutil.copytree(EXAMPLE, folder)
    stock = pd.read_csv(folder / "stock.csv")
    stock.loc[2, "on_hand"] = -3
    stock.to_csv(folder / "stock.csv", index=False)
    code = main(["allocate", "--snapshot", str(folder), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert str(folder / "stock.csv") in captured.err
    assert "row 3 (line 4)" in captured.err
    assert "'on_hand'" in captured.err
    assert "Traceback" not in captured.err


def test_a_missing_snapshot_folder_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["allocate", "--snapshot", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_an_unknown_strategy_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["allocate", "--snapshot", str(EXAMPLE), "--strategy", "best"])
    assert code == 2
    assert "unknown strategy 'best'" in capsys.readouterr().err


def test_json_and_out_together_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(
        ["allocate", "--snapshot", str(EXAMPLE), "--json", "--out", str(tmp_path / "p.csv")]
    )
    assert code == 2
    assert "either --json or --out" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists()


def test_a_generated_world_can_be_allocated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "world"
    args = ["--orders", "200", "--parts", "20", "--depots", "3", "--seed", "1"]
    assert main(["generate", "--out", str(folder), *args]) == 0
    capsys.readouterr()
    assert main(["allocate", "--snapshot", str(folder), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    orders = pd.read_csv(folder / "orders.csv")
    allocated = sum(line["quantity"] for line in document["lines"])
    unfilled = sum(row["quantity"] for row in document["unfilled"])
    assert allocated > 0
    assert allocated + unfilled == orders["quantity"].sum()


def test_the_json_document_is_the_plans_own_document(capsys: pytest.CaptureFixture[str]) -> None:
    from allocation import allocate, load_snapshot

    document = _run_json(capsys, "--strategy", "fifo")
    expected = json.loads(json.dumps(allocate(load_snapshot(EXAMPLE), strategy="fifo").to_dict()))
    assert document == expected


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_every_out_format_holds_the_plans_lines_and_unfilled_with_their_codes(
    tmp_path: Path, suffix: str
) -> None:
    from allocation import allocate, load_snapshot
    from allocation.adapters.plan_files import read_plan_tables

    plan = allocate(load_snapshot(EXAMPLE))
    out = tmp_path / f"plan{suffix}"
    assert main(["allocate", "--snapshot", str(EXAMPLE), "--out", str(out)]) == 0
    lines, unfilled = read_plan_tables(out)
    assert lines["order_id"].tolist() == plan.lines["order_id"].tolist()
    assert lines["quantity"].tolist() == plan.lines["quantity"].tolist()
    assert unfilled["order_id"].tolist() == plan.unfilled["order_id"].tolist()
    if suffix == ".json":
        rows = json.loads((tmp_path / "plan.unfilled.json").read_text(encoding="utf-8"))
        codes = [row["code"] for row in rows]
    elif suffix == ".csv":
        codes = pd.read_csv(tmp_path / "plan.unfilled.csv")["code"].tolist()
    else:
        codes = pd.read_parquet(tmp_path / "plan.unfilled.parquet")["code"].tolist()
    assert codes == plan.unfilled["code"].tolist()
