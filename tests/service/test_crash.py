"""``kill -9`` of the server in the middle of a stream of keyed writes loses nothing it
acknowledged and applies nothing twice once the client resends everything."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import run_read
from allocation.service.loading import load_into_store
from tests.service import worlds
from tests.service.cluster import wait_balanced
from tests.service.helpers import ledger_problems
from tests.service.live import AUTH, Server, free_port
from tests.service.stores import store_url

SENDERS = 4
PER_SENDER = 16
PARTS = {f"K-{i}": 3 for i in range(6)}


@dataclass(frozen=True)
class Call:
    """One keyed write of the stream."""

    key: str
    method: str
    path: str
    body: Any


def _stream(seed: int) -> list[list[Call]]:
    """Each sender's writes, in its order: orders, then ships and cancels of its own orders,
    and receipts."""
    rng = random.Random(seed)
    streams: list[list[Call]] = []
    for s in range(SENDERS):
        calls: list[Call] = []
        mine: list[str] = []
        for i in range(PER_SENDER):
            roll = rng.random()
            if mine and roll < 0.3:
                order_id = mine.pop(rng.randrange(len(mine)))
                what = rng.choice(("ship", "cancel"))
                calls.append(Call(uuid.uuid4().hex, "POST", f"/orders/{order_id}/{what}", None))
            elif roll < 0.4:
                line = {"part_number": rng.choice(sorted(PARTS)), "depot_id": "D-US"}
                body = {"lines": [{**line, "quantity": rng.randint(1, 3)}]}
                calls.append(Call(uuid.uuid4().hex, "POST", "/stock/receipts", body))
            else:
                order_id = f"S{s}-{i:02d}"
                customer = rng.choice(("C-PM", "C-STD", "C-PM-UY"))
                body = worlds.order(
                    order_id, customer, rng.choice(sorted(PARTS)), rng.randint(1, 2)
                )
                calls.append(Call(uuid.uuid4().hex, "POST", "/orders", body))
                mine.append(order_id)
        streams.append(calls)
    return streams


def _send(client: httpx.Client, call: Call) -> httpx.Response:
    headers = {**AUTH, "Idempotency-Key": call.key}
    return client.request(call.method, call.path, json=call.body, headers=headers)


def _until_killed(server: Server, streams: list[list[Call]], kill_after: int) -> dict[str, Any]:
    """Send the streams from concurrent senders; ``kill -9`` the server once ``kill_after``
    writes are acknowledged. Returns the acknowledged answers by key."""
    acknowledged: dict[str, Any] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def sender(calls: list[Call]) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for call in calls:
                try:
                    answer = _send(client, call)
                except httpx.HTTPError:
                    return  # the server is gone: the rest is resent later
                with lock:
                    acknowledged[call.key] = (answer.status_code, answer.json())
                    if len(acknowledged) >= kill_after:
                        enough.set()

    threads = [threading.Thread(target=sender, args=(calls,)) for calls in streams]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=300), "the stream stalled before the kill"
    server.kill()
    for thread in threads:
        thread.join(timeout=120)
    with lock:
        return dict(acknowledged)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database loaded with a few scarce parts."""
    with store_url(str(request.param), tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        load_into_store(engine, worlds.snapshot(PARTS))
        yield url, engine
        engine.dispose()


def _count(engine: Engine, query: Any) -> int:
    return int(run_read(engine, lambda c: c.execute(query).scalar_one()))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_a_killed_server_keeps_every_acknowledged_write_exactly_once(
    crash_db: tuple[str, Engine], tmp_path: Path, seed: int
) -> None:
    _kill_resend_check(crash_db, tmp_path, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 13))
def test_a_killed_server_keeps_every_acknowledged_write_exactly_once_at_many_moments(
    crash_db: tuple[str, Engine], tmp_path: Path, seed: int
) -> None:
    _kill_resend_check(crash_db, tmp_path, seed)


def _kill_resend_check(crash_db: tuple[str, Engine], tmp_path: Path, seed: int) -> None:
    url, engine = crash_db
    streams = _stream(seed)
    total = sum(len(s) for s in streams)
    kill_after = random.Random(seed).randint(8, total - 8)
    log = tmp_path / "server.log"
    first = Server(url, 1, log)
    first.start()
    acknowledged = _until_killed(first, streams, kill_after)
    assert len(acknowledged) >= kill_after
    second = Server(url, 1, log, port=free_port())
    second.start()
    try:
        with httpx.Client(base_url=second.url, timeout=60) as client:
            for call in (c for calls in streams for c in calls):
                answer = _send(client, call)
                assert answer.status_code < 500, answer.text
                if call.key in acknowledged:
                    assert (answer.status_code, answer.json()) == acknowledged[call.key]
                    assert answer.headers["idempotent-replayed"] == "true"
    finally:
        second.stop()
    _check_exactly_once(engine, streams)
    if url.startswith("sqlite"):
        integrity = run_read(engine, lambda c: c.execute(text("PRAGMA integrity_check")).all())
        assert [tuple(r) for r in integrity] == [("ok",)]


def _check_exactly_once(engine: Engine, streams: list[list[Call]]) -> None:
    calls = [c for s in streams for c in s]
    posted = {c.body["order_id"] for c in calls if c.path == "/orders"}
    o, j, led = schema.orders, schema.supply_journal, schema.ledger
    assert _count(engine, select(func.count()).select_from(o)) == len(posted)
    receipts = [c for c in calls if c.path == "/stock/receipts"]
    assert _count(engine, select(func.count()).select_from(j).where(j.c.event == "receipt")) == len(
        receipts
    )
    # Conservation: what is on hand and what shipped is what was loaded and received.
    received = sum(c.body["lines"][0]["quantity"] for c in receipts)
    on_hand = _count(engine, select(func.sum(schema.stock.c.on_hand)))
    shipped = _count(
        engine, select(func.coalesce(func.sum(led.c.quantity), 0)).where(led.c.event == "consume")
    )
    assert on_hand + shipped == sum(PARTS.values()) + received
    assert ledger_problems(engine) == []


@pytest.fixture
def pg_crash_db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A PostgreSQL store loaded with a few scarce parts."""
    with store_url("postgres", tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        load_into_store(engine, worlds.snapshot(PARTS))
        yield url, engine
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_of_several_servers_killed_keeps_every_acknowledged_write_exactly_once(
    pg_crash_db: tuple[str, Engine], tmp_path: Path, count: int, seed: int
) -> None:
    """Servers share the partitions; one is killed mid-stream. The others take its
    partitions over within seconds, refuse nothing for longer, and once every write is
    resent each acknowledged one is there exactly once."""
    url, engine = pg_crash_db
    streams = _stream(seed)
    total = sum(len(s) for s in streams)
    kill_after = random.Random(seed).randint(8, total - 8)
    servers = [Server(url, 1, tmp_path / f"server-{i}.log") for i in range(count)]
    for server in servers:
        server.start()
    try:
        wait_balanced(engine, count)
        acknowledged, refused_for = _until_one_killed(servers, streams, kill_after)
        assert refused_for < HANDOVER_S, f"writes refused for {refused_for:.1f} s"
        started = time.monotonic()
        wait_balanced(engine, count - 1, timeout=HANDOVER_S)
        assert time.monotonic() - started < HANDOVER_S
        with httpx.Client(base_url=servers[-1].url, timeout=60) as client:
            for call in (c for calls in streams for c in calls):
                answer = _send(client, call)
                assert answer.status_code < 500, answer.text
                if call.key in acknowledged:
                    assert (answer.status_code, answer.json()) == acknowledged[call.key]
                    assert answer.headers["idempotent-replayed"] == "true"
    finally:
        for server in servers:
            server.stop()
    _check_exactly_once(engine, streams)


HANDOVER_S = 10.0
"""How long a dead server's partitions may take to pass to the others (a second's balance,
plus a loaded machine's delays)."""


def _until_one_killed(
    servers: list[Server], streams: list[list[Call]], kill_after: int
) -> tuple[dict[str, Any], float]:
    """Send each stream to a server of its own (round robin); ``kill -9`` the first server
    once ``kill_after`` writes are acknowledged. A sender of a live server resends a write
    refused with a 5xx (its owner died under it) until it is answered. Returns the
    acknowledged answers by key, and the longest time a write was refused."""
    acknowledged: dict[str, Any] = {}
    longest = 0.0
    lock = threading.Lock()
    enough = threading.Event()

    def sender(server: Server, calls: list[Call]) -> None:
        nonlocal longest
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for call in calls:
                first_refused: float | None = None
                while True:
                    try:
                        answer = _send(client, call)
                    except httpx.HTTPError:
                        return  # this server is gone: the rest is resent later
                    if answer.status_code < 500:
                        break
                    first_refused = first_refused or time.monotonic()
                    time.sleep(0.05)
                with lock:
                    if first_refused is not None:
                        longest = max(longest, time.monotonic() - first_refused)
                    acknowledged[call.key] = (answer.status_code, answer.json())
                    if len(acknowledged) >= kill_after:
                        enough.set()

    threads = [
        threading.Thread(target=sender, args=(servers[i % len(servers)], calls))
        for i, calls in enumerate(streams)
    ]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=300), "the stream stalled before the kill"
    servers[0].kill()
    for thread in threads:
        thread.join(timeout=120)
    with lock:
        return dict(acknowledged), longest
