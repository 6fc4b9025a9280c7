"""The allocation guide's "Python API" examples (docs/guide/allocation.md) run as written and
give what they say."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from allocation import Engine, Plan, Planner
from allocation.engine import CODES

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide" / "allocation.md"


def _python_blocks() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("\n## Python API\n")
    return [
        textwrap.dedent(m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```", text[start:], flags=re.S | re.M)
    ]


def test_the_engine_example_runs_through_the_facade(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = next(b for b in _python_blocks() if "Engine(snapshot)" in b)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/guide/allocation.md (Python API)", "exec"), namespace)
    assert isinstance(namespace["plan"], Plan)
    assert isinstance(namespace["engine"], Engine)
    planner = namespace["planner"]
    assert isinstance(planner, Planner)
    assert "O-9001" in planner.order_ids()
    assert "O-1001" not in planner.order_ids()  # shipped
    unfilled = planner.plan().unfilled
    assert isinstance(unfilled, pd.DataFrame)
    assert set(unfilled["code"]) <= set(CODES)


def test_the_guide_lists_every_reason_code_in_the_engines_order_of_precedence() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("Every unfilled line has one stable `code`")
    table = text[start : text.index("\n\n", text.index("| code |", start))]
    listed = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert listed == list(CODES)
