"""Ctrl-C and SIGTERM end a running ``parts-priority simulate`` cleanly.

The CLI promises (``allocation.entrypoints.cli.main``, ``simulation.entrypoints.cli.run``):
Ctrl-C exits 130 and SIGTERM 143, with ``interrupted`` on standard error and no traceback,
its worker processes ended, and an ``--out`` folder complete or absent — never half written,
no ``.<name>.<random>.tmp`` left beside it. The run asks for far more replications than it
can finish, so the signal always lands mid-run (see :mod:`tests.interrupts`).
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

pytest.importorskip("psutil")

from tests.interrupts import (
    CLI,
    ROOT,
    SIGNALS,
    assert_all_ended,
    end,
    interrupt,
    start,
    wait_until_busy,
)

SCENARIO = ROOT / "scenarios" / "normal-quarter.yaml"
WORKERS = 2

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed"),
]


@pytest.mark.parametrize(("signum", "to_group", "code"), SIGNALS, ids=["ctrl-c", "sigterm"])
def test_an_interrupted_simulation_exits_cleanly_and_writes_nothing(
    tmp_path: Path, signum: signal.Signals, to_group: bool, code: int
) -> None:
    out = tmp_path / "run"
    command = start(
        ["simulate", str(SCENARIO), "--replications", "2000", "--workers", str(WORKERS),
         "--out", str(out)]
    )  # fmt: skip
    try:
        workers = wait_until_busy(command, WORKERS)
        interrupt(command, signum, to_group, code)
        assert not out.exists(), sorted(p.name for p in out.rglob("*"))
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert_all_ended(command.pid, workers)
    finally:
        end(command)
