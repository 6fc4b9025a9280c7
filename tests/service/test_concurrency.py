"""Concurrent requests against a real server never promise a unit twice.

SQLite is served by one process; PostgreSQL by two (``--workers 2``, sharing one port), and
by two and three separate servers sharing the part groups' partitions, the clients spread
over them as behind a load balancer: most writes reach a server whose writer does not own
their part group and are forwarded. Clients are released together by barriers, so every
round is a real race.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import run_read
from allocation.service.loading import load_into_store
from tests.service import worlds
from tests.service.cluster import live_servers, routed
from tests.service.helpers import ledger_problems
from tests.service.live import AUTH, running
from tests.service.stores import store_url

# Live servers raced by client processes: the slow lane (CI runs it on every change).
pytestmark = pytest.mark.slow

RACERS = 32
QUICK_ROUNDS = 3
SLOW_ROUNDS = 200
SEED = 20261130
CUSTOMERS = ("C-PM", "C-STD", "C-PM-UY")


def _stock(rounds: int) -> dict[str, int]:
    rng = random.Random(SEED)
    return {f"R-{r:03d}": rng.randint(1, 40) for r in range(rounds)}


STOCK = _stock(QUICK_ROUNDS + SLOW_ROUNDS)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(("sqlite", 1), id="sqlite-1-worker"),
        pytest.param(("postgres", 2), id="postgres-2-workers", marks=pytest.mark.postgres),
        pytest.param(("postgres", -2), id="postgres-2-servers", marks=pytest.mark.postgres),
        pytest.param(("postgres", -3), id="postgres-3-servers", marks=pytest.mark.postgres),
    ],
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[str], Engine]]:
    """A loaded database and real servers over it (their URLs), shared by this module's
    tests. A negative count is of separate ``serve`` processes, a positive one of uvicorn
    workers of one."""
    kind, workers = request.param
    folder: Path = tmp_path_factory.mktemp(f"live-{kind}")
    with store_url(kind, folder) as url:
        engine = make_engine(url)
        migrate(engine)
        load_into_store(engine, worlds.snapshot({**STOCK, "P-A": 2, "P-B": 1}))
        if workers < 0:
            with live_servers(url, folder, -workers) as servers:
                yield [s.url for s in servers], engine
        else:
            with running(url, folder, workers) as server:
                yield [server.url], engine
        engine.dispose()


def _racer(
    url: str,
    worker: int,
    first: int,
    rounds: int,
    barrier: Any,
    results: Any,
) -> None:
    """One client process: each round, wait for the others, then post one order."""
    rng = random.Random(SEED * 100 + worker)
    with httpx.Client(base_url=url, headers=AUTH, timeout=120) as client:
        for r in range(first, first + rounds):
            body = worlds.order(
                f"R-{r:03d}-W{worker:02d}",
                rng.choice(CUSTOMERS),
                f"R-{r:03d}",
                rng.randint(1, 4),
            )
            try:
                barrier.wait(timeout=120)
                answer = client.post("/orders", json=body, headers={"Idempotency-Key": uuid4()})
                results.put((r, worker, body, answer.status_code, answer.json()))
            except Exception as error:  # reported to the test, which fails on it
                results.put((r, worker, body, -1, repr(error)))


def uuid4() -> str:
    """A fresh key."""
    return uuid.uuid4().hex


def _race(urls: list[str], first: int, rounds: int) -> list[tuple[Any, ...]]:
    """``RACERS`` processes race for part ``R-first`` .. each round, spread over the
    servers; their answers."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(RACERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=_racer, args=(urls[w % len(urls)], w, first, rounds, barrier, results)
        )
        for w in range(RACERS)
    ]
    for process in processes:
        process.start()
    try:
        answers = [results.get(timeout=300) for _ in range(RACERS * rounds)]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return answers


def _open_holdings(engine: Engine, part: str) -> dict[str, int]:
    h = schema.holdings
    rows = run_read(
        engine,
        lambda c: c.execute(
            select(h.c.order_id, func.sum(h.c.quantity))
            .where(h.c.part_number == part)
            .group_by(h.c.order_id)
        ).all(),
    )
    return {str(o): int(q) for o, q in rows}


def _check_round(engine: Engine, part: str, answers: list[tuple[Any, ...]]) -> None:
    for _, worker, body, status, answer in answers:
        assert status == 201, (worker, status, answer)
        short = body["quantity"] - answer["allocated_quantity"]
        if short:
            # A loser gets a typed backorder: how many units it waits for, and why.
            assert answer["backorder"]["quantity"] == short
            assert answer["backorder"]["reason"]
        else:
            assert answer["backorder"] is None
    held = _open_holdings(engine, part)
    demand = {a[2]["order_id"]: a[2]["quantity"] for a in answers}
    klass = {a[2]["order_id"]: a[4]["priority_class"] for a in answers}
    assert sum(held.values()) == min(STOCK[part], sum(demand.values()))
    assert all(held.get(o, 0) <= q for o, q in demand.items())
    pm_short = any(held.get(o, 0) < q for o, q in demand.items() if klass[o] == "parts_priority")
    if pm_short:  # parts priority first: no standard order keeps a unit it could use
        assert all(held.get(o, 0) == 0 for o in demand if klass[o] == "standard")
    excluded = [a for a in answers if a[2]["customer_id"] == "C-PM-UY"]
    assert all(a[4]["priority_class"] == "standard" for a in excluded)


def _run_rounds(live: tuple[list[str], Engine], first: int, rounds: int) -> None:
    urls, engine = live
    answers = _race(urls, first, rounds)
    assert not [a for a in answers if a[3] == -1], [a for a in answers if a[3] == -1][:3]
    for r in range(first, first + rounds):
        _check_round(engine, f"R-{r:03d}", [a for a in answers if a[0] == r])
    assert ledger_problems(engine) == []
    if len(urls) > 1:  # most racers reached a server that does not own their part
        assert routed(urls)["owner"] >= RACERS * rounds // 3


def test_racing_processes_never_get_more_units_than_exist(
    live: tuple[list[str], Engine],
) -> None:
    _run_rounds(live, 0, QUICK_ROUNDS)


def test_racing_processes_never_get_more_units_than_exist_over_200_rounds(
    live: tuple[list[str], Engine],
) -> None:
    _run_rounds(live, QUICK_ROUNDS, SLOW_ROUNDS)


def _together(count: int, call: Any) -> list[Any]:
    """Run ``call(i)`` in ``count`` threads released together."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Any:
        barrier.wait(timeout=60)
        return call(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_the_same_order_from_ten_clients_with_their_own_keys_is_one_order(
    live: tuple[list[str], Engine],
) -> None:
    urls, engine = live
    body = worlds.order("SAME-10", "C-PM", "P-A", 1)

    def post(i: int) -> httpx.Response:
        headers = {**AUTH, "Idempotency-Key": uuid4()}
        return httpx.post(f"{urls[i % len(urls)]}/orders", json=body, headers=headers, timeout=120)

    answers = _together(10, post)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 9, [a.text for a in answers]
    assert {a.json()["order_id"] for a in answers if a.status_code == 409} == {"SAME-10"}
    count = run_read(
        engine,
        lambda c: c.execute(
            select(func.count()).where(schema.orders.c.order_id == "SAME-10")
        ).scalar_one(),
    )
    assert count == 1


def test_the_same_key_fifty_times_at_once_has_one_effect_and_one_answer(
    live: tuple[list[str], Engine],
) -> None:
    urls, engine = live
    key = uuid4()
    body = worlds.order("SAME-KEY", "C-STD", "P-B", 1)

    def post(i: int) -> tuple[int, Any]:
        # A 409 means the first is still running: retry, as its Retry-After says.
        with httpx.Client(timeout=120) as client:
            for _attempt in range(2000):
                answer = client.post(
                    f"{urls[i % len(urls)]}/orders",
                    json=body,
                    headers={**AUTH, "Idempotency-Key": key},
                )
                if answer.status_code != 409:
                    return answer.status_code, answer.json()
                assert answer.json()["errors"][0]["field"] == "header.Idempotency-Key"
        raise AssertionError("still in flight after 2000 tries")

    answers = _together(50, post)
    assert {a[0] for a in answers} == {201}
    assert all(a[1] == answers[0][1] for a in answers)
    led = schema.ledger
    entries = run_read(
        engine,
        lambda c: c.execute(
            select(func.count()).where(led.c.order_id == "SAME-KEY", led.c.event == "allocate")
        ).scalar_one(),
    )
    assert entries == 1
    assert ledger_problems(engine) == []
