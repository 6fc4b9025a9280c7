"""The writer process: a server's writes run in a child process and answer as they would on
the server's own thread; the child lives and dies with its server."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from allocation.adapters.store import make_engine, migrate
from allocation.errors import InputError
from allocation.service.idempotency import LocalWriter
from allocation.service.loading import load_into_store
from allocation.service.settings import ServiceSettings
from allocation.service.writer_process import ProcessWriter
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.live import running


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _writer(client: TestClient) -> ProcessWriter:
    writer = client.app.state.runtime.writer  # type: ignore[attr-defined]
    assert isinstance(writer, ProcessWriter)
    return writer


def _child_pid(writer: ProcessWriter) -> int:
    link = writer._link
    assert link is not None
    return link.process.pid


def test_writes_in_the_child_answer_as_on_the_thread(engine: Engine) -> None:
    with make_client(engine, writer="process") as client:
        # The child starts with the server, not with the first write.
        assert _alive(_child_pid(_writer(client)))
        first = key()
        posted = write(client, "POST", "/orders", worlds.order("O-1"), first)
        assert posted.status_code == 201
        assert posted.json()["priority_class"] == "parts_priority"
        assert posted.json()["allocations"]
        assert posted.headers["Idempotent-Replayed"] == "false"
        # The same key replays the stored answer.
        again = write(client, "POST", "/orders", worlds.order("O-1"), first)
        assert again.status_code == 201
        assert again.json() == posted.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        # A refusal decided in the child comes back as the same problem document.
        unknown = write(client, "POST", "/orders", worlds.order("O-2", part="P-NOPE"))
        assert unknown.status_code == 422
        assert unknown.headers["content-type"] == "application/problem+json"
        assert any("P-NOPE" in e["message"] for e in unknown.json()["errors"])
        existing = write(client, "POST", "/orders", worlds.order("O-1"))
        assert existing.status_code == 409
        assert "O-1" in existing.json()["detail"]
        cancelled = write(client, "POST", "/orders/O-1/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        missing = write(client, "POST", "/orders/O-404/ship")
        assert missing.status_code == 404
        assert missing.json()["errors"] == [{"field": "path.order_id", "message": "unknown order"}]
        shipped_twice = write(client, "POST", "/orders/O-1/ship")
        assert shipped_twice.status_code == 409
        assert shipped_twice.json()["order_id"] == "O-1"
        child = _child_pid(_writer(client))
    # Leaving the client stops the app: its child goes with it.
    _wait_for(lambda: not _alive(child), "the writer process to exit")
    assert ledger_problems(engine) == []


TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat()
SCRIPT: list[tuple[str, str, object]] = [
    ("POST", "/orders", worlds.order("O-1", "C-PM", "P-B", created_at="2026-01-01T00:00:00Z")),
    ("POST", "/orders", worlds.order("O-STD", "C-STD", "P-B", created_at="2026-01-01T01:00:00Z")),
    ("POST", "/orders", worlds.order("O-PM", "C-PM", "P-B")),
    ("POST", "/orders", {"orders": [worlds.order("O-A1", "C-STD"), worlds.order("O-A2")]}),
    (
        "POST",
        "/stock/receipts",
        {"lines": [{"part_number": "P-B", "depot_id": "D-US", "quantity": 1}]},
    ),
    (
        "POST",
        "/stock/adjustments",
        {"lines": [{"part_number": "P-A", "depot_id": "D-US", "delta": -1}]},
    ),
    (
        "POST",
        "/stock/adjustments",
        {"lines": [{"part_number": "P-A", "depot_id": "D-US", "delta": -5}]},
    ),
    (
        "POST",
        "/inbound",
        {
            "lines": [
                {
                    "part_number": "P-A",
                    "depot_id": "D-US",
                    "quantity": 1,
                    "eta": "2030-01-01T00:00:00Z",
                }
            ]
        },
    ),
    (
        "PUT",
        "/supply-options",
        {
            "options": [
                {
                    "part_number": "P-B",
                    "source": "broker",
                    "supplier_id": "BRK",
                    "capacity": 5,
                    "lead_time_hours": 24,
                    "unit_cost": 100,
                }
            ]
        },
    ),
    # The newest order: it gets what is left of P-B's stock, and buys the rest.
    ("POST", "/orders", worlds.order("O-BRK", "C-PM", "P-B", 2, created_at=TOMORROW)),
    ("POST", "/orders/O-BRK/purchase-failed", {"source": "broker", "origin": "BRK"}),
    ("POST", "/orders/O-1/purchase-failed", {"source": "stock", "origin": "D-US"}),
    ("POST", "/orders/O-STD/cancel", None),
    ("POST", "/orders/O-PM/ship", None),
    ("POST", "/orders/O-PM/ship", None),
]
"""Every write route, refusals included."""


def _gist(value: object) -> object:
    """An answer without what depends on the moment it was given (times and ETAs)."""
    if isinstance(value, dict):
        return {k: _gist(v) for k, v in value.items() if k not in ("created_at", "eta")}
    if isinstance(value, list):
        return [_gist(v) for v in value]
    return value


def _run_script(client: TestClient) -> list[tuple[int, object]]:
    return [
        (answer.status_code, _gist(answer.json()))
        for answer in (write(client, method, path, body) for method, path, body in SCRIPT)
    ]


def test_every_write_route_answers_in_the_child_as_on_the_thread(
    engine: Engine, tmp_path: Path
) -> None:
    with make_client(engine, writer="process") as client:
        in_child = _run_script(client)
    other = make_engine(f"sqlite:///{tmp_path / 'threaded.db'}")
    migrate(other)
    load_into_store(other, worlds.snapshot({"P-A": 2, "P-B": 1}))
    on_thread = _run_script(make_client(other))
    assert [status for status, _ in in_child] == [
        201,
        201,
        201,
        201,
        200,
        200,
        409,
        201,
        200,
        201,
        200,
        409,
        200,
        200,
        409,
    ]
    assert in_child == on_thread
    assert ledger_problems(engine) == []
    other.dispose()


def test_a_child_that_dies_answers_its_waiting_write_503_and_the_next_write_restarts_it(
    engine: Engine,
) -> None:
    with make_client(engine, writer="process") as client:
        assert write(client, "POST", "/orders", worlds.order("O-1")).status_code == 201
        writer = _writer(client)
        link = writer._link
        assert link is not None
        child = link.process.pid
        os.kill(child, signal.SIGSTOP)  # the next write waits for a child that cannot run
        with ThreadPoolExecutor(1) as pool:
            waiting_key = key()
            waiting = pool.submit(
                write, client, "POST", "/orders", worlds.order("O-2"), waiting_key
            )
            _wait_for(lambda: bool(link.pending), "the write to reach the stopped child")
            os.kill(child, signal.SIGKILL)
            answer = waiting.result(timeout=30)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "1"
        assert "writer process stopped" in answer.json()["detail"]
        # The retry with the same key runs on a new child, once.
        retried = write(client, "POST", "/orders", worlds.order("O-2"), waiting_key)
        assert retried.status_code == 201
        assert _child_pid(writer) != child
        assert write(client, "GET", "/orders/O-2").json()["order_id"] == "O-2"
    assert ledger_problems(engine) == []


def test_a_link_cut_off_from_a_live_child_is_replaced_and_the_child_ends(engine: Engine) -> None:
    """A link that stopped being trusted (an unreadable answer) while its child still runs:
    the next write starts a new child, and the old one exits on its closed socket."""
    with make_client(engine, writer="process") as client:
        writer = _writer(client)
        link = writer._link
        assert link is not None
        old = link.process.pid
        link.fail("cut off by the test")
        assert write(client, "POST", "/orders", worlds.order("O-1")).status_code == 201
        assert _child_pid(writer) != old
        _wait_for(lambda: not _alive(old), "the cut-off child to exit")
    assert ledger_problems(engine) == []


def test_settings_choose_the_writer(engine: Engine) -> None:
    assert ServiceSettings.from_env({"PARTS_PRIORITY_NO_AUTH": "1"}).writer == "process"
    threaded = ServiceSettings.from_env(
        {"PARTS_PRIORITY_NO_AUTH": "1", "PARTS_PRIORITY_WRITER": "thread"}
    )
    assert threaded.writer == "thread"
    with pytest.raises(InputError, match="writer must be one of process, thread, got 'fork'"):
        ServiceSettings.from_env({"PARTS_PRIORITY_NO_AUTH": "1", "PARTS_PRIORITY_WRITER": "fork"})
    client = make_client(engine)
    assert isinstance(client.app.state.runtime.writer, LocalWriter)  # type: ignore[attr-defined]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is gone for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _post_order(url: str, order_id: str) -> httpx.Response:
    headers = {**AUTH, "Idempotency-Key": key()}
    return httpx.post(f"{url}/orders", json=worlds.order(order_id), headers=headers, timeout=30)


@pytest.mark.slow
def test_a_served_writer_process_dies_with_its_server(tmp_path: Path) -> None:
    """``kill -9`` of the server alone (not its group): its writer process exits too, and a
    restarted server writes. (The child's end does not depend on the store: SQLite only.)"""
    db_url = f"sqlite:///{tmp_path / 'served.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
    with running(db_url, tmp_path) as server:
        assert _post_order(server.url, "O-1").status_code == 201
        assert server.process is not None
        writers = _children(server.process.pid)
        assert len(writers) == 1
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
        _wait_for(lambda: not _alive(writers[0]), "the orphaned writer process to exit")
        server.process = None
        server.start()
        assert _post_order(server.url, "O-2").status_code == 201
    assert ledger_problems(engine) == []
    engine.dispose()


def test_a_child_started_before_anything_is_loaded_answers_503_then_writes_once_loaded(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    with make_client(engine, writer="process") as client:
        early = write(client, "POST", "/orders", worlds.order("O-1"))
        assert early.status_code == 503
        assert "parts-priority load" in early.json()["detail"]
        load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
        assert write(client, "POST", "/orders", worlds.order("O-1")).status_code == 201
    assert ledger_problems(engine) == []
    engine.dispose()
