"""``allocate`` reads a snapshot's ``overrides`` table and reports churn with --previous."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from allocation.entrypoints.cli import main
from tests.cli_run import run_main

EXAMPLE = Path("scenarios/example")


def _with_overrides(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "snap"
    shutil.copytree(EXAMPLE, folder)
    (folder / "overrides.csv").write_text(text, encoding="utf-8")
    return folder


def test_allocate_honours_overrides_and_reports_churn_against_a_previous_plan(
    tmp_path: Path,
) -> None:
    before = run_main(
        main, "allocate", "--snapshot", str(EXAMPLE), "--out", str(tmp_path / "p.csv")
    )
    assert before.code == 0, before.err
    folder = _with_overrides(
        tmp_path,
        "kind,order_id,source_kind,origin,quantity\n"
        "forbid,O-1001,stock,D-US,\n"
        "firm,O-1007,stock,D-DE,1\n",
    )
    run = run_main(
        main, "allocate", "--snapshot", str(folder), "--json", "--previous", str(tmp_path / "p.csv")
    )
    assert run.code == 0, run.err
    document = json.loads(run.out)
    lines = document["lines"]
    assert not [x for x in lines if x["order_id"] == "O-1001" and x["source"] == "stock"]
    assert sum(x["quantity"] for x in lines if x["order_id"] == "O-1007" and x["firm"]) == 1
    assert document["summary"]["firm_units"] == 1
    assert document["summary"]["churn"]["units_moved"] >= 1
    assert document["churn"]
    shown = run_main(
        main, "allocate", "--snapshot", str(folder), "--previous", str(tmp_path / "p.csv")
    )
    assert "churn against the previous plan" in shown.out


def test_an_override_naming_an_unknown_order_exits_2_naming_the_file_row_and_column(
    tmp_path: Path,
) -> None:
    folder = _with_overrides(
        tmp_path, "kind,order_id,source_kind,origin,quantity\nforbid,O-NOPE,stock,D-US,\n"
    )
    run = run_main(main, "allocate", "--snapshot", str(folder))
    assert run.code == 2
    assert "overrides.csv: row 1 (line 2), column 'order_id', value 'O-NOPE'" in run.err


def test_with_workers_an_override_naming_an_unknown_order_gets_the_same_refusal(
    tmp_path: Path,
) -> None:
    folder = _with_overrides(
        tmp_path, "kind,order_id,source_kind,origin,quantity\nforbid,O-NOPE,stock,D-US,\n"
    )
    one = run_main(main, "allocate", "--snapshot", str(folder))
    two = run_main(main, "allocate", "--snapshot", str(folder), "--workers", "2")
    assert (one.code, two.code) == (2, 2)
    assert two.err == one.err
