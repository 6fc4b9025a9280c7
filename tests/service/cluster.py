"""Several servers on one PostgreSQL store, as the scale-out runs them: live ``serve``
processes (each its own port and writer), or in-process apps that take part in it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from allocation.adapters.store import leases, make_engine
from allocation.adapters.store.database import run_read
from allocation.service.forwarding import PartitionedWriter
from tests.service.conftest import make_client
from tests.service.live import AUTH, Server, free_port


def owners(engine: Engine) -> dict[int, str]:
    """Partition → address of its live owner."""
    return run_read(engine, lambda c: leases.owners(c, leases.cluster(c).lock_space))


def wait_balanced(engine: Engine, writers: int, timeout: float = 30.0) -> dict[int, str]:
    """Wait until ``writers`` writers own every partition between them, fairly."""
    fair = -(-leases.PARTITIONS // writers)
    deadline = time.monotonic() + timeout
    while True:
        now = owners(engine)
        shares = [list(now.values()).count(a) for a in set(now.values())]
        if len(now) == leases.PARTITIONS and len(shares) == writers and max(shares) <= fair:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"partitions not shared by {writers} writers: {shares}")
        time.sleep(0.05)


@contextmanager
def live_servers(db_url: str, folder: Path, count: int) -> Iterator[list[Server]]:
    """``count`` separate ``serve`` processes on one store, each with its writer process,
    sharing the partitions; stopped afterwards."""
    servers = [Server(db_url, 1, folder / f"server-{i}-{free_port()}.log") for i in range(count)]
    engine = make_engine(db_url)
    try:
        for server in servers:
            server.start()
        wait_balanced(engine, count)
        yield servers
    finally:
        for server in servers:
            server.stop()
        engine.dispose()


def partitioned_writer(client: TestClient) -> PartitionedWriter:
    """The writer of an in-process app that takes part in the scale-out."""
    writer = client.app.state.runtime.writer  # type: ignore[attr-defined]
    assert isinstance(writer, PartitionedWriter)
    return writer


@contextmanager
def in_process_servers(engine: Engine, count: int) -> Iterator[list[TestClient]]:
    """``count`` apps over one store, started (their writers share the partitions) and
    knowing who owns what; stopped afterwards."""
    with ExitStack() as stack:
        clients = [stack.enter_context(make_client(engine, partitioned=True)) for _ in range(count)]
        wait_balanced(engine, count)
        for client in clients:
            partitioned_writer(client).forwarder.refresh()
        yield clients


def routed(urls: list[str]) -> dict[str, float]:
    """Writes the servers sent to their owner, and ran themselves, from their metrics."""
    totals = {"owner": 0.0, "here": 0.0}
    for url in urls:
        text = httpx.get(f"{url}/metrics", headers=AUTH, timeout=30).text
        for line in text.splitlines():
            if line.startswith("parts_priority_writes_routed_total{"):
                where = line.split('to="', 1)[1].split('"', 1)[0]
                totals[where] += float(line.rsplit(" ", 1)[1])
    return totals
