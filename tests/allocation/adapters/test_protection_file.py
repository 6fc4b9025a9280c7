"""Protection levels from a table or a policy file, and errors that name the culprit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from allocation.adapters.policy_file import allocation_policy_from, load_policy_sections
from allocation.adapters.protection_file import load_protection_levels
from allocation.domain.protection import ProtectionLevels
from allocation.errors import PolicyError, TableError

pytestmark = pytest.mark.fast


def _policy_levels(tmp_path: Path, text: str) -> ProtectionLevels:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    section = load_policy_sections(path).get("allocation", {})
    return allocation_policy_from(section, str(path), base_dir=tmp_path).protection


def test_a_table_gives_one_level_per_depot_and_part(tmp_path: Path) -> None:
    path = tmp_path / "levels.csv"
    path.write_text("depot_id,part_number,level\nD-US,SSD-512,2\nD-DE,SSD-512,0\n")
    levels = load_protection_levels(path)
    assert list(levels) == [("D-DE", "SSD-512", 0), ("D-US", "SSD-512", 2)]
    assert levels.level("D-JP", "SSD-512") == 0


def test_a_parquet_table_reads_the_same(tmp_path: Path) -> None:
    frame = pd.DataFrame({"depot_id": ["D-US"], "part_number": ["A"], "level": [3]})
    frame.to_parquet(tmp_path / "levels.parquet")
    assert load_protection_levels(tmp_path / "levels.parquet") == load_protection_levels(frame)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("depot_id,part_number,level\nD-US,A,-1\n", "row 1 (line 2), column 'level', value '-1'"),
        ("depot_id,part_number,level\nD-US,A,1.5\n", "column 'level'"),
        ("depot_id,part_number,level\nD-US,A,1\nD-US,A,2\n", "D-US"),
        ("depot_id,part_number\nD-US,A\n", "missing column 'level'"),
    ],
)
def test_a_bad_table_is_a_table_error_naming_row_column_and_value(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "levels.csv"
    path.write_text(text)
    with pytest.raises(TableError) as raised:
        load_protection_levels(path)
    assert named in str(raised.value)
    assert str(path) in str(raised.value)


def test_the_policy_file_names_a_table_beside_it_and_a_default(tmp_path: Path) -> None:
    (tmp_path / "levels.csv").write_text("depot_id,part_number,level\nD-US,A,2\n")
    levels = _policy_levels(
        tmp_path, "allocation:\n  protection:\n    default: 1\n    levels: levels.csv\n"
    )
    assert levels == ProtectionLevels({("D-US", "A"): 2}, default=1)


def test_the_policy_file_may_list_the_levels_inline(tmp_path: Path) -> None:
    levels = _policy_levels(
        tmp_path,
        "allocation:\n  protection:\n    levels:\n"
        "      - {depot_id: D-US, part_number: A, level: 2}\n"
        "      - {depot_id: D-DE, part_number: A, level: 1}\n",
    )
    assert levels == ProtectionLevels({("D-US", "A"): 2, ("D-DE", "A"): 1})


def test_no_protection_option_holds_nothing_back(tmp_path: Path) -> None:
    assert not _policy_levels(tmp_path, "allocation:\n  preemption: true\n")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("allocation:\n  protection: 2\n", "allocation.protection must be a mapping"),
        ("allocation:\n  protection:\n    levle: x.csv\n", "protection.levle is not an option"),
        ("allocation:\n  protection:\n    default: -2\n", "default level"),
        ("allocation:\n  protection:\n    default: yes\n", "default level"),
        ("allocation:\n  protection:\n    levels: missing.csv\n", "no such file"),
        ("allocation:\n  protection:\n    levels: 3\n", "must be a table path or a list"),
        (
            "allocation:\n  protection:\n    levels: [{depot_id: D, part_number: A, lvl: 2}]\n",
            "unknown key(s) ['lvl']",
        ),
        (
            "allocation:\n  protection:\n    levels: [{depot_id: D, part_number: A, level: x}]\n",
            "column 'level'",
        ),
    ],
)
def test_a_bad_protection_option_is_a_policy_error_naming_the_file(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        _policy_levels(tmp_path, text)
    assert named in str(raised.value)
    assert str(tmp_path / "policy.yaml") in str(raised.value)
