"""A real server for tests: ``parts-priority serve`` in its own process group, on loopback.

The server is started as an operator would start it, and is ready when ``/health`` answers
(polled with a deadline, never a fixed sleep). ``kill()`` is ``kill -9`` of its whole process
group, uvicorn's workers included.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.service.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running ``parts-priority serve``."""

    db_url: str
    workers: int
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    args: tuple[str, ...] = ()
    """More options of ``serve`` (``--read-timeout 2``, ...)."""

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it answers ``/health`` with the data loaded."""
        command = [
            sys.executable,
            "-m",
            "allocation.entrypoints.cli",
            "serve",
            "--db",
            self.db_url,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *self.args,
        ]
        env = {**os.environ, "PARTS_PRIORITY_TOKEN": TOKEN}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).json().get("loaded"):
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server not ready within {timeout} s: {self.tail()}")

    def kill(self) -> None:
        """``kill -9`` the server's process group and reap it."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM to the group), or kill it after a while."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def tail(self) -> str:
        """The end of the server's log."""
        return self.log.read_text(errors="replace")[-2000:]


@contextmanager
def running(
    db_url: str, folder: Path, workers: int = 1, args: tuple[str, ...] = ()
) -> Iterator[Server]:
    """A started server over a loaded database; stopped afterwards."""
    server = Server(db_url, workers, folder / f"server-{free_port()}.log", args=args)
    server.start()
    try:
        yield server
    finally:
        server.stop()
