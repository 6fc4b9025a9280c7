"""Plans read back from the files ``allocate`` writes, and errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allocation.adapters.plan_files import read_plan_tables
from allocation.entrypoints.cli import main
from allocation.errors import InputError, TableError

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"


def _allocate(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    assert main(["allocate", "--snapshot", str(EXAMPLE), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", ["plan.csv", "plan.parquet", "plan.json"])
def test_every_format_allocate_writes_reads_back_as_the_same_tables(
    tmp_path: Path, name: str
) -> None:
    lines, unfilled = read_plan_tables(_allocate(tmp_path, name))
    reference, reference_unfilled = read_plan_tables(_allocate(tmp_path, "reference.csv"))
    pd.testing.assert_frame_equal(lines, reference)
    pd.testing.assert_frame_equal(unfilled, reference_unfilled)
    assert lines["quantity"].sum() == 11
    assert unfilled["quantity"].sum() == 9  # 20 asked


def test_a_json_document_from_allocate_json_carries_both_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["allocate", "--snapshot", str(EXAMPLE), "--json"]) == 0
    path = tmp_path / "document.json"
    path.write_text(capsys.readouterr().out)
    lines, unfilled = read_plan_tables(path)
    assert (len(lines), len(unfilled)) == (10, 8)


def test_a_lines_file_without_its_unfilled_sibling_is_refused(tmp_path: Path) -> None:
    path = _allocate(tmp_path, "plan.csv")
    (tmp_path / "plan.unfilled.csv").unlink()
    with pytest.raises(InputError, match=r"plan.unfilled.csv is not beside it"):
        read_plan_tables(path)


def test_a_bad_row_is_named_by_file_row_and_column(tmp_path: Path) -> None:
    path = _allocate(tmp_path, "plan.csv")
    frame = pd.read_csv(path)
    frame.loc[0, "quantity"] = -3
    frame.to_csv(path, index=False)
    with pytest.raises(TableError) as raised:
        read_plan_tables(path)
    assert f"{path}: row 1 (line 2), column 'quantity', value '-3'" in str(raised.value)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "folder", "a folder"),
        (None, "missing.csv", "no such file"),
        ("x", "plan.txt", "unsupported plan file type '.txt'"),
        ("{", "plan.json", "not valid JSON"),
        ('{"lines": []}', "plan.json", "needs 'lines' and 'unfilled'"),
        ('{"lines": [{"order_id": "O1"}], "unfilled": []}', "plan.json", "missing column"),
    ],
)
def test_what_is_not_a_plan_file_is_refused_by_name(
    tmp_path: Path, content: str | None, name: str, message: str
) -> None:
    path = tmp_path / name
    if name == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_plan_tables(path)


def test_a_json_lines_file_must_hold_an_array(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps([]))
    (tmp_path / "plan.unfilled.json").write_text(json.dumps({"rows": 1}))
    with pytest.raises(InputError, match="expected a JSON array"):
        read_plan_tables(tmp_path / "plan.json")
