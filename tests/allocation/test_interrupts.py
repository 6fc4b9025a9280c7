"""Ctrl-C and SIGTERM end ``parts-priority allocate --workers 2`` cleanly: exit 130 or 143,
``interrupted``, no traceback, its workers ended, and no plan file — neither the lines nor
the unfilled beside them, nor a temporary file (see :mod:`tests.interrupts`)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

pytest.importorskip("psutil")

from tests.interrupts import (
    CLI,
    SIGNALS,
    assert_all_ended,
    end,
    interrupt,
    start,
    wait_until_busy,
)

WORKERS = 2

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed"),
]


@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Orders enough that planning them takes seconds: the signal lands mid-plan."""
    from allocation import generate_world, write_world

    folder = tmp_path_factory.mktemp("big") / "snapshot"
    write_world(generate_world(400_000, 20_000, 30, 7), folder, fmt="parquet")
    return folder


@pytest.mark.parametrize(("signum", "to_group", "code"), SIGNALS, ids=["ctrl-c", "sigterm"])
def test_an_interrupted_plan_in_workers_exits_cleanly_and_writes_no_plan(
    big_snapshot: Path, tmp_path: Path, signum: signal.Signals, to_group: bool, code: int
) -> None:
    plan = tmp_path / "plan.parquet"
    command = start(
        ["allocate", "--snapshot", str(big_snapshot), "--out", str(plan),
         "--workers", str(WORKERS)]
    )  # fmt: skip
    try:
        workers = wait_until_busy(command, WORKERS)
        interrupt(command, signum, to_group, code)
        assert sorted(p.name for p in tmp_path.iterdir()) == []
        assert_all_ended(command.pid, workers)
    finally:
        end(command)
