"""The "What-if analysis" guide (docs/guide/what-if.md) runs as written."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from allocation import PlanDiff, ProtectionLevels, ProtectionReport, WhatIf
from allocation.adapters.policy_file import allocation_policy_from, load_policy_sections

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    return (ROOT / "docs" / "guide" / "what-if.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    pattern = rf"^( *)```{language}\n(.*?)^\1```"
    return [
        textwrap.dedent(m.group(2))
        for m in re.finditer(pattern, _section(), flags=re.DOTALL | re.MULTILINE)
    ]


def test_the_what_if_example_runs_and_gives_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    (code,) = _blocks("python")
    assert len(code.strip().splitlines()) <= 16
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/guide/what-if.md", "exec"), namespace)
    assert isinstance(namespace["base"], WhatIf)
    storm = namespace["storm"]
    assert isinstance(storm, WhatIf)
    assert len(storm.edits) == 4
    assert isinstance(namespace["change"], PlanDiff)
    assert isinstance(namespace["report"], ProtectionReport)


def test_the_protection_example_of_the_policy_file_loads(tmp_path: Path) -> None:
    (yaml_block,) = _blocks("yaml")
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml_block, encoding="utf-8")
    (tmp_path / "protection.csv").write_text("depot_id,part_number,level\nD-US,PSU-200,3\n")
    section = load_policy_sections(policy)["allocation"]
    loaded = allocation_policy_from(section, str(policy), base_dir=tmp_path)
    assert loaded.protection == ProtectionLevels({("D-US", "PSU-200"): 3})
