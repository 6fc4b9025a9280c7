"""Planner overrides from Python (``firm``, ``forbid``, ``clear_overrides``): each returns a
new snapshot whose ``overrides`` table has the change, checked as a file is checked, and
plans exactly as a snapshot folder with that table plans."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from allocation import (
    Engine,
    Plan,
    TableError,
    allocate,
    clear_overrides,
    firm,
    forbid,
    load_snapshot,
)

EXAMPLE = "scenarios/example"


def _sources(plan_lines: pd.DataFrame, order_id: str) -> set[tuple[str, str]]:
    mine = plan_lines[plan_lines["order_id"] == order_id]
    return set(zip(mine["source"], mine["origin"], strict=True))


def test_forbid_takes_a_source_from_an_order_and_leaves_the_snapshot_given_alone() -> None:
    snap = load_snapshot(EXAMPLE)
    before = allocate(snap).lines
    order_id, source, origin = before[["order_id", "source", "origin"]].iloc[0].tolist()
    changed = forbid(snap, order_id, source, origin)
    assert (source, origin) not in _sources(allocate(changed).lines, order_id)
    assert snap.overrides.empty  # a new snapshot; the one given is as it was
    everywhere = forbid(snap, order_id, source)
    assert not any(s == source for s, _ in _sources(allocate(everywhere).lines, order_id))


def test_firm_pins_a_line_and_a_second_firm_of_the_line_replaces_the_first() -> None:
    snap = load_snapshot(EXAMPLE)
    lines = allocate(snap).lines
    order_id, source, origin = lines[["order_id", "source", "origin"]].iloc[0].tolist()
    firmed = firm(firm(snap, order_id, source, origin, 1), order_id, source, origin, 1)
    assert len(firmed.overrides) == 1
    plan = Engine(firmed).plan()
    mine = plan.lines[(plan.lines["order_id"] == order_id) & plan.lines["firm"]]
    assert mine[["source", "origin", "quantity"]].values.tolist() == [[source, origin, 1]]


def test_the_functions_plan_as_an_overrides_file_of_the_same_rows(tmp_path: Path) -> None:
    snap = forbid(load_snapshot(EXAMPLE), "O-1001", "stock", "D-US")
    snap = forbid(snap, "O-1002", "broker")
    folder = tmp_path / "snap"
    folder.mkdir()
    for source in Path(EXAMPLE).glob("*.csv"):
        (folder / source.name).write_bytes(source.read_bytes())
    snap.overrides.to_csv(folder / "overrides.csv", index=False)
    from_file = allocate(load_snapshot(folder))
    pd.testing.assert_frame_equal(allocate(snap).lines, from_file.lines)


def test_clear_removes_an_orders_overrides_of_a_kind_or_all() -> None:
    snap = forbid(load_snapshot(EXAMPLE), "O-1001", "stock", "D-US")
    snap = forbid(snap, "O-1002", "broker")
    lines = allocate(snap).lines
    held = lines[lines["order_id"] == "O-1003"]
    if len(held):
        source, origin = held[["source", "origin"]].iloc[0].tolist()
        snap = firm(snap, "O-1003", source, origin, 1)
    cleared = clear_overrides(snap, "O-1001")
    assert "O-1001" not in set(cleared.overrides["order_id"])
    assert len(cleared.overrides) == len(snap.overrides) - 1
    only_firms = clear_overrides(snap, "O-1003", kind="forbid")
    assert len(only_firms.overrides) == len(snap.overrides)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: forbid(s, "O-NOPE", "stock", "D-US"), "O-NOPE"),
        (lambda s: forbid(s, "O-1001", "stock", "D-MOON"), "D-MOON"),
        (lambda s: firm(s, "O-1001", "stock", "D-US", 0), "quantity"),
        (lambda s: forbid(s, "O-1001", "teleport", "D-US"), "teleport"),
    ],
    ids=["unknown-order", "unknown-origin", "zero-quantity", "unknown-kind"],
)
def test_a_bad_override_is_refused_by_name(call: object, message: str) -> None:
    snap = load_snapshot(EXAMPLE)
    with pytest.raises(TableError, match=message):
        call(snap)  # type: ignore[operator]


def test_the_guides_example_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    text = (root / "docs" / "guide" / "allocation.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    (code,) = [b for b in blocks if "clear_overrides(snap" in b]
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/guide/allocation.md (overrides)", "exec"), namespace)
    plan = namespace["plan"]
    assert isinstance(plan, Plan)
    assert "O-1001" not in set(namespace["snap"].overrides["order_id"])  # type: ignore[attr-defined]
    assert ("broker", "BRK-OPEN") not in _sources(plan.lines, "O-1001")
