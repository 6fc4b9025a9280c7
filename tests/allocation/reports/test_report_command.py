"""``parts-priority report`` and ``root-causes`` over a run's report facts, and report()."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allocation.adapters.report_facts import FACTS_FOLDER, read_report_facts, write_report_facts
from allocation.entrypoints.cli import main
from allocation.reporting import report
from allocation.reports import SECTIONS, root_cause_rollup
from tests.allocation.reports.facts_world import facts, order

pytestmark = pytest.mark.fast


def _run_folder(tmp_path: Path) -> Path:
    """A run folder whose report facts hold a quarter of C1's orders, two of them short."""
    rows = [
        order("O1", "2026-07-02"),
        order(
            "O2",
            "2026-07-03",
            backordered=True,
            code="no_stock_anywhere",
            restored_at=pd.Timestamp("2026-07-06"),
        ),
        order(
            "O3",
            "2026-08-10",
            status="open",
            restored_at=pd.NaT,
            backordered=True,
            code="held_by_higher_class",
            part_number="P2",
        ),
        order("O4", "2026-08-11", customer_id="C3"),
    ]
    sources = [
        {"replication": 0, "order_id": "O1", "source_kind": "stock", "quantity": 1, "money": 10.0},
        {"replication": 0, "order_id": "O2", "source_kind": "broker", "quantity": 1, "money": 90.0},
    ]
    run = tmp_path / "run"
    write_report_facts(facts(rows, sources), run / FACTS_FOLDER)
    return run


def test_the_facts_a_run_writes_read_back_the_same(tmp_path: Path) -> None:
    original = facts([order("O1", "2026-07-02")])
    write_report_facts(original, tmp_path / FACTS_FOLDER)
    again = read_report_facts(tmp_path)
    pd.testing.assert_frame_equal(again.orders, original.orders, check_dtype=False)
    assert (again.as_of, again.target_hours, again.origin) == (
        original.as_of,
        original.target_hours,
        original.origin,
    )


def test_report_prints_the_json_document_of_one_customer_and_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run_folder(tmp_path)
    code = main(["report", "--run", str(run), "--customer", "C1", "--period", "2026-Q3"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["customer_id"] == "C1"
    assert (
        document["period"]["label"] == "2026-Q3"
        if isinstance(document["period"], dict)
        else document["period"] == "2026-Q3"
    )
    assert document["orders"] == 3
    assert document["root_causes"] == {"held_by_higher_class": 1, "no_stock_anywhere": 1}
    assert document["backorders"]["open"] == 1
    assert document["backorders"]["closed"] == 1


def test_report_writes_a_page_with_every_section(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    page = tmp_path / "c1.html"
    argv = ["report", "--run", str(run), "--customer", "C1", "--format", "html"]
    assert main([*argv, "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert all(f'id="{section}"' in text for section in SECTIONS)


def test_all_customers_writes_one_report_per_pa_plus_and_pm_customer(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    out = tmp_path / "reports"
    assert main(["report", "--run", str(run), "--all-customers", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["C1.json", "C3.json"]
    assert json.loads((out / "C3.json").read_text(encoding="utf-8"))["orders"] == 1


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--customer", "C9"], "unknown customer 'C9'"),
        (["--customer", "C1", "--period", "2026-Q5"], "2026-Q5"),
        (["--customer", "C1", "--format", "pdf"], "unknown format"),
        ([], "--customer C or --all-customers"),
        (["--all-customers"], "--out"),
    ],
)
def test_bad_report_requests_exit_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    run = _run_folder(tmp_path)
    assert main(["report", "--run", str(run), *argv]) == 2
    assert words in capsys.readouterr().err.replace("\n", " ")


def test_a_folder_without_facts_or_two_sources_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--run", str(tmp_path), "--customer", "C1"]) == 2
    assert "holds no report facts" in capsys.readouterr().err.replace("\n", " ")
    argv = ["report", "--run", str(tmp_path), "--db", "sqlite://", "--customer", "C1"]
    assert main(argv) == 2


def test_report_in_python_gives_the_same_document_as_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run_folder(tmp_path)
    made = report(run, "C1", "2026-Q3")
    assert main(["report", "--run", str(run), "--customer", "C1", "--period", "2026-Q3"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(made.to_json())
    assert "headline figures" in made._repr_html_()
    assert len(made.summary()) > 0


def test_root_causes_roll_up_by_part_with_lost_hours_beyond_the_target(tmp_path: Path) -> None:
    table = root_cause_rollup(read_report_facts(_run_folder(tmp_path)), "part_number")
    rows = {(r["part_number"], r["code"]): r for r in table.to_dict("records")}
    # O3 is open since 2026-08-10 00:00 until as_of 2026-10-05: 56 days, less 48 h of target.
    assert rows["P2", "held_by_higher_class"]["lost_hours"] == pytest.approx(56 * 24 - 48)
    # O2 waited 72 h: 24 beyond the target.
    assert rows["P1", "no_stock_anywhere"]["lost_hours"] == pytest.approx(24.0)
    assert table.iloc[0]["code"] == "held_by_higher_class"


def test_root_causes_command_prints_json_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run_folder(tmp_path)
    assert main(["root-causes", "--run", str(run), "--by", "quarter", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["code"] for r in rows} == {"held_by_higher_class", "no_stock_anywhere"}
    assert main(["root-causes", "--run", str(run), "--by", "planet"]) == 2
