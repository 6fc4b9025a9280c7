"""Signals sent to a real ``parts-priority`` command mid-run, and the checks that it ended
cleanly: the exit code, ``interrupted`` on standard error, no traceback, no process left.

The command starts in a new session (its own process group, like a job a shell starts);
:func:`wait_until_busy` returns once its forked workers exist and have burnt CPU time — not
after a bare sleep — so the signal lands while they work.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "parts-priority"
#: CPU seconds each worker must have used before the signal: it is inside its work.
BUSY_SECONDS = 0.3
STARTUP_DEADLINE = 120.0
EXIT_DEADLINE = 60.0
SIGNALS = [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)]
"""(signal, sent to the whole group as a terminal does, the exit code it must give)."""


def start(arguments: Sequence[str]) -> subprocess.Popen[bytes]:
    """The console script with ``arguments``, in a session of its own."""
    return subprocess.Popen(
        [str(CLI), *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def group(pgid: int) -> list[psutil.Process]:
    """Live (not zombie) processes of the process group ``pgid``."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def wait_until_busy(command: subprocess.Popen[bytes], workers: int) -> list[psutil.Process]:
    """The command's workers, once ``workers`` of them are busy; fails if the command ends
    or never gets there."""
    main = psutil.Process(command.pid)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        assert command.poll() is None, "the command ended before it could be interrupted"
        try:
            children = main.children(recursive=True)
            busy = [w for w in children if sum(w.cpu_times()[:2]) >= BUSY_SECONDS]
        except psutil.NoSuchProcess:
            children, busy = [], []
        if len(children) >= workers and len(busy) == len(children):
            return list(children)
        time.sleep(0.1)
    raise AssertionError(f"no {workers} busy workers within {STARTUP_DEADLINE:.0f} s")


def interrupt(
    command: subprocess.Popen[bytes], signum: signal.Signals, to_group: bool, code: int
) -> str:
    """Send the signal; check the exit code, ``interrupted`` and no traceback; return the
    standard error."""
    if to_group:
        os.killpg(command.pid, signum)
    else:
        os.kill(command.pid, signum)
    _, stderr_bytes = command.communicate(timeout=EXIT_DEADLINE)
    stderr = stderr_bytes.decode(errors="replace")
    assert command.returncode == code, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr, stderr
    return stderr


def assert_all_ended(pgid: int, workers: Sequence[psutil.Process]) -> None:
    """No process of the group is left, and none of the workers runs on."""
    deadline = time.monotonic() + EXIT_DEADLINE
    while (left := group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, [p.pid for p in left]
    assert not [w.pid for w in workers if w.is_running() and not _zombie(w)]


def end(command: subprocess.Popen[bytes]) -> None:
    """Whatever the outcome, leave none of the processes a test started."""
    if command.poll() is None:
        command.kill()
        command.wait(10)
    for process in group(command.pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _zombie(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True
