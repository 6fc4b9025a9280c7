"""The feed of allocation changes, on SQLite and on PostgreSQL: events in commit order after
every write, pages by cursor, long polls that answer as soon as a write lands (or empty when
the wait ends), and refusals of bad cursors, limits and waits."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from allocation.service.feed import Wakeup
from allocation.service.routes import Runtime
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import EARLY, order

PROBLEM = "application/problem+json"


def _feed(client: TestClient, **query: Any) -> dict[str, Any]:
    answer = client.get("/events", params=query, headers=AUTH)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body, dict)
    return body


def _timeline(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["kind"], e["order_id"], e["quantity"], e["source"]) for e in events]


def test_every_write_appends_its_changes_in_order(client: TestClient, engine: Engine) -> None:
    assert _feed(client) == {"events": [], "next": 0}
    write(client, "POST", "/orders", order("O-1", "C-STD", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-2", "C-PM", "P-B"))  # takes O-1's unit
    write(client, "POST", "/orders/O-2/cancel")  # gives it back
    write(client, "POST", "/orders/O-1/ship")
    write(client, "POST", "/orders", order("O-3", "C-PM", "P-A", 3))  # 2 of 3 on hand
    page = _feed(client)
    assert _timeline(page["events"]) == [
        ("allocated", "O-1", 1, "stock"),
        ("filled", "O-1", 1, None),
        ("released", "O-1", 1, "stock"),
        ("allocated", "O-2", 1, "stock"),
        ("backordered", "O-1", 1, None),
        ("filled", "O-2", 1, None),
        ("cancelled", "O-2", 1, None),
        ("released", "O-2", 1, "stock"),
        ("allocated", "O-1", 1, "stock"),
        ("filled", "O-1", 1, None),
        ("shipped", "O-1", 1, "stock"),
        ("allocated", "O-3", 2, "stock"),
        ("backordered", "O-3", 1, None),
    ]
    cursors = [e["cursor"] for e in page["events"]]
    assert cursors == sorted(cursors)
    assert len(set(cursors)) == len(cursors)
    assert page["next"] == cursors[-1]
    first = page["events"][0]
    assert (first["part_number"], first["origin"]) == ("P-B", "D-US")
    assert first["at"] >= EARLY
    assert ledger_problems(engine) == []


def test_an_order_moved_to_a_faster_source_is_reallocated(client: TestClient) -> None:
    option = {
        "part_number": "P-B",
        "source": "broker",
        "supplier_id": "BRK",
        "capacity": 1,
        "lead_time_hours": 24,
        "unit_cost": 100,
    }
    write(client, "PUT", "/supply-options", {"options": [option]})
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-2", "C-PM", "P-B"))  # from the broker
    after = _feed(client)["next"]
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-US", "quantity": 1}]}
    write(client, "POST", "/stock/receipts", receipt)
    assert _timeline(_feed(client, after=after)["events"]) == [
        ("released", "O-2", 1, "broker"),
        ("reallocated", "O-2", 1, "stock"),
    ]
    failure = {"source": "stock", "origin": "D-US"}
    assert write(client, "POST", "/orders/O-2/purchase-failed", failure).status_code == 409
    write(client, "POST", "/orders/O-1/ship")  # stock left: O-2's unit
    write(client, "POST", "/orders", order("O-3", "C-PM", "P-B"))  # the broker again
    after = _feed(client)["next"]
    write(client, "POST", "/orders/O-3/purchase-failed", {"source": "broker", "origin": "BRK"})
    assert _timeline(_feed(client, after=after)["events"]) == [
        ("purchase_failed", "O-3", 1, "broker"),
        ("released", "O-3", 1, "broker"),
        ("backordered", "O-3", 1, None),
    ]


def test_pages_follow_the_cursor_and_a_refused_write_adds_nothing(client: TestClient) -> None:
    for i in range(3):
        write(client, "POST", "/orders", order(f"O-{i}", "C-STD", "P-A"))
    assert write(client, "POST", "/orders", order("O-0")).status_code == 409
    everything = _feed(client, limit=1000)["events"]
    assert len(everything) == 5  # two served (allocated, filled), one short (backordered)
    seen: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = _feed(client, after=cursor, limit=2)
        assert len(page["events"]) <= 2
        if not page["events"]:
            assert page["next"] == cursor
            break
        seen += page["events"]
        cursor = page["next"]
    assert seen == everything


def _poll(client: TestClient, after: int, wait: float) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    body = _feed(client, after=after, wait=wait)
    return time.monotonic() - started, body


def _until_waiting(client: TestClient) -> None:
    """Return once a long poll of the client's server waits (it read, and found nothing)."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert isinstance(runtime, Runtime)
    deadline = time.monotonic() + 10
    while runtime.wakeup.waiting() == 0:
        assert time.monotonic() < deadline, "the long poll never waited"
        time.sleep(0.005)


@pytest.mark.parametrize("writer", ["same", "other"], ids=["same-server", "other-server"])
def test_a_long_poll_answers_as_soon_as_a_write_lands(engine: Engine, writer: str) -> None:
    with make_client(engine) as client, make_client(engine) as other:
        poster = client if writer == "same" else other  # another server: seen by polling
        after = _feed(client)["next"]
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(_poll, client, after, 20)
            _until_waiting(client)
            posted = time.monotonic()
            write(poster, "POST", "/orders", order("O-LATE", "C-PM", "P-A"))
            waited, body = waiting.result(timeout=30)
        answered = time.monotonic() - posted
    # The poll was waiting when the post was sent, and the event exists only after it: the
    # poll answered with it, well before its 20 s were over.
    assert _timeline(body["events"])[0] == ("allocated", "O-LATE", 1, "stock")
    assert body["next"] == body["events"][-1]["cursor"]
    assert waited < 10
    assert answered < 5


def test_a_long_poll_with_nothing_new_answers_empty_when_the_wait_ends(
    client: TestClient,
) -> None:
    write(client, "POST", "/orders", order("O-1"))
    after = _feed(client)["next"]
    waited, body = _poll(client, after, 0.6)
    assert body == {"events": [], "next": after}
    assert 0.6 <= waited < 5
    waited, body = _poll(client, 0, 5)  # events there already: no wait
    assert len(body["events"]) == 2
    assert waited < 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": -1}, "query.after"),
        ({"after": "abc"}, "query.after"),
        ({"after": 2**63}, "query.after"),
        ({"after": 1000}, "query.after"),  # past the last event
        ({"limit": 0}, "query.limit"),
        ({"limit": 1001}, "query.limit"),
        ({"wait": 31}, "query.wait"),
        ({"wait": -1}, "query.wait"),
        ({"wait": "nan"}, "query.wait"),
        ({"since": 0}, "query.since"),
    ],
)
def test_a_bad_cursor_limit_or_wait_is_a_422_naming_it(
    client: TestClient, query: dict[str, Any], field: str
) -> None:
    write(client, "POST", "/orders", order("O-1"))
    answer = client.get("/events", params=query, headers=AUTH)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == field


def test_the_feed_needs_the_token(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
        answer = client.get("/events", params={"wait": 5}, headers=headers)
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM
    assert write(client, "POST", "/orders", order("O-1"), key()).status_code == 201


def test_a_reader_following_the_cursor_during_concurrent_writes_misses_nothing(
    engine: Engine,
) -> None:
    """Four servers post at once (one transaction each at a time, committing in any order)
    while a reader follows the cursor: what it collected is the whole feed, in cursor order.
    On PostgreSQL this holds only because events are numbered in commit order."""
    servers = [make_client(engine) for _ in range(4)]
    reader = make_client(engine)
    for client in [*servers, reader]:
        _feed(client)  # each app's first request builds its routes' validators: one at a time
    collected: list[dict[str, Any]] = []

    def post(i: int) -> None:
        for j in range(6):
            part = "P-A" if j % 2 else "P-B"
            order_id = f"O-{i}-{j}"
            assert (
                write(servers[i], "POST", "/orders", order(order_id, "C-STD", part)).status_code
                == 201
            )

    with ThreadPoolExecutor(4) as pool:
        posting = [pool.submit(post, i) for i in range(4)]
        cursor = 0
        while not all(f.done() for f in posting):
            page = _feed(reader, after=cursor, wait=0.05)
            collected += page["events"]
            cursor = page["next"]
        for f in posting:
            f.result()
    while events := _feed(reader, after=cursor, limit=1000)["events"]:
        collected += events
        cursor = events[-1]["cursor"]
    everything = _feed(reader, limit=1000)["events"]
    assert len({e["order_id"] for e in everything}) == 24
    assert collected == everything
    cursors = [e["cursor"] for e in everything]
    assert cursors == sorted(set(cursors))


def test_a_write_answered_between_a_polls_read_and_its_wait_is_not_missed() -> None:
    wakeup = Wakeup()
    seen = wakeup.generation()  # the poll reads (nothing), then a write answers
    wakeup.notify()
    started = time.monotonic()
    asyncio.run(wakeup.wait(seen, 10))
    assert time.monotonic() - started < 1
    assert wakeup.waiting() == 0


def test_a_write_answered_on_another_thread_wakes_a_waiting_poll() -> None:
    wakeup = Wakeup()

    async def poll() -> float:
        started = time.monotonic()
        waiting = asyncio.create_task(wakeup.wait(wakeup.generation(), 10))
        while wakeup.waiting() == 0:
            await asyncio.sleep(0.001)
        threading.Thread(target=wakeup.notify).start()
        await waiting
        return time.monotonic() - started

    assert asyncio.run(poll()) < 1
    assert wakeup.waiting() == 0
