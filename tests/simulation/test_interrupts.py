"""Ctrl-C and SIGTERM end a running ``parts-priority simulate`` cleanly.

The CLI promises (``allocation.entrypoints.cli.main``, ``simulation.entrypoints.cli.run``):
Ctrl-C exits 130 and SIGTERM 143, with ``interrupted`` on standard error and no traceback,
its worker processes ended, and an ``--out`` folder complete or absent — never half written,
no ``.<name>.<random>.tmp`` left beside it.

Each test starts the real console script in a new session (its own process group, like a
job a shell starts), waits until its two forked workers are really simulating (both
children exist and have burnt CPU time — not a bare sleep), then signals it as a terminal
(SIGINT to the whole group) or a service manager (SIGTERM to the main process) would. The
run asks for far more replications than it can finish, so the signal always lands mid-run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("psutil")
import psutil  # after the skip: psutil is not a declared dependency

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "parts-priority"
SCENARIO = ROOT / "scenarios" / "normal-quarter.yaml"
WORKERS = 2
#: CPU seconds each worker must have used before the signal: it is inside a replication.
BUSY_SECONDS = 0.3
STARTUP_DEADLINE = 120.0
EXIT_DEADLINE = 60.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CLI.exists(), reason="the console script is not installed"),
]


def _group(pgid: int) -> list[psutil.Process]:
    """Live (not zombie) processes of the process group ``pgid``."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _wait_until_simulating(command: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The workers, once both are busy; fails if the command ends or never gets there."""
    main = psutil.Process(command.pid)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        assert command.poll() is None, "the command ended before it could be interrupted"
        try:
            workers = main.children(recursive=True)
            busy = [w for w in workers if sum(w.cpu_times()[:2]) >= BUSY_SECONDS]
        except psutil.NoSuchProcess:
            workers, busy = [], []
        if len(workers) >= WORKERS and len(busy) == len(workers):
            return list(workers)
        time.sleep(0.1)
    raise AssertionError(f"no {WORKERS} busy workers within {STARTUP_DEADLINE:.0f} s")


@pytest.mark.parametrize(
    ("signum", "to_group", "code"),
    [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupted_simulation_exits_cleanly_and_writes_nothing(
    tmp_path: Path, signum: signal.Signals, to_group: bool, code: int
) -> None:
    out = tmp_path / "run"
    command = subprocess.Popen(
        [
            str(CLI),
            "simulate",
            str(SCENARIO),
            "--replications",
            "2000",
            "--workers",
            str(WORKERS),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    pgid = command.pid  # a new session: the command leads its own process group
    try:
        workers = _wait_until_simulating(command)
        if to_group:
            os.killpg(pgid, signum)
        else:
            os.kill(command.pid, signum)
        _, stderr_bytes = command.communicate(timeout=EXIT_DEADLINE)
        stderr = stderr_bytes.decode(errors="replace")

        assert command.returncode == code, stderr
        assert "interrupted" in stderr
        assert "Traceback" not in stderr, stderr
        assert not out.exists(), sorted(p.name for p in out.rglob("*"))
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

        deadline = time.monotonic() + EXIT_DEADLINE
        while (left := _group(pgid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, [p.pid for p in left]
        assert not [w.pid for w in workers if w.is_running() and not _zombie(w)]
    finally:
        _end(command, pgid)


def _zombie(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _end(command: subprocess.Popen[bytes], pgid: int) -> None:
    """Whatever the outcome, leave none of the processes this test started."""
    if command.poll() is None:
        command.kill()
        command.wait(10)
    for process in _group(pgid):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
