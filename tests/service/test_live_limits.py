"""Limits and logs of a real ``parts-priority serve``: what one connection may hold, the
connection kept through hostile requests, the startup line, the access log and the metrics.

Every test starts a server process (seconds each), so all of them are in the slow lane.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from allocation.adapters.store import make_engine, migrate
from allocation.domain.tables import MAX_QUANTITY
from allocation.service.loading import load_into_store
from tests.service import worlds
from tests.service.helpers import key
from tests.service.live import AUTH, Server, running
from tests.service.wire import Answer, Wire

pytestmark = pytest.mark.slow

JSON = {"content-type": "application/json"}


@pytest.fixture
def loaded_url(db_url: str) -> str:
    """A database holding the tiny world (both stores)."""
    engine = make_engine(db_url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
    engine.dispose()
    return db_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file holding the tiny world (for limits that do not depend on the store)."""
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
    engine.dispose()
    return url


def _problem(answer: Answer, status: int, field: str) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json()["errors"]], answer.body
    assert answer.headers.get("connection") != "close"


def test_hostile_requests_get_a_4xx_and_the_keep_alive_connection_stays_usable(
    loaded_url: str, tmp_path: Path
) -> None:
    body = json.dumps(worlds.order("O-1", product_type="note\u0000book")).encode()
    receipt = {"lines": [{"part_number": "P-A", "depot_id": "D-US", "quantity": MAX_QUANTITY}]}
    keyed = {**AUTH, **JSON, "Idempotency-Key": key()}
    with running(loaded_url, tmp_path) as server:
        wire = Wire(server.port)
        for method, path, headers, payload, status, field in [
            ("GET", "/orders/O%00X", AUTH, None, 422, "path.order_id"),
            ("POST", "/orders/O%00X/cancel", keyed, None, 422, "path.order_id"),
            ("POST", "/orders/O%00X/ship", keyed, None, 422, "path.order_id"),
            ("GET", "/orders/O%00X/explanation", AUTH, None, 422, "path.order_id"),
            ("POST", "/orders", keyed, body, 422, "body.product_type"),
            (
                "POST",
                "/stock/receipts",
                keyed,
                json.dumps(receipt).encode(),
                409,
                "body.lines[0].quantity",
            ),
            ("POST", "/orders", JSON, b"{", 401, "header.Authorization"),
            ("GET", "/plan?bogus=1", {}, None, 401, "header.Authorization"),
            ("GET", "/openapi.json", {}, None, 401, "header.Authorization"),
        ]:
            _problem(wire.request(method, path, headers, payload), status, field)
            assert wire.request("GET", "/plan?limit=1", AUTH).status == 200
        wire.close()
        assert "Traceback" not in server.tail()


def test_a_32_mb_header_is_refused_with_431_before_it_is_read_whole(
    sqlite_url: str, tmp_path: Path
) -> None:
    with running(sqlite_url, tmp_path) as server:
        assert server.process is not None
        peak_before = _peak_kib(server.process.pid)
        client = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        chunk = b"a" * 65536
        try:
            while sent < 32 * 2**20:
                client.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _until_closed(client)
        # The rest of the header waits in the kernel's socket buffers, never in the server.
        assert sent < 32 * 2**20, "the whole header was taken"
        assert _peak_kib(server.process.pid) - peak_before < 8 * 1024
        if answer:  # the server's close may reset the connection before the client reads
            assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
            assert b"application/problem+json" in answer
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


def _peak_kib(pid: int) -> int:
    """The most memory the process ever held (VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]


def test_stalled_uploads_and_slow_heads_are_answered_408_and_closed_by_the_default_timeout(
    sqlite_url: str, tmp_path: Path
) -> None:
    head = (
        "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: 1000\r\nAuthorization: {AUTH['Authorization']}\r\n"
        f"Idempotency-Key: {key()}\r\n\r\n"
    ).encode()
    with running(sqlite_url, tmp_path) as server:
        uploads = []
        for _ in range(200):
            stalled = socket.create_connection(("127.0.0.1", server.port), timeout=60)
            stalled.sendall(head + b"0123456789")
            uploads.append(stalled)
        heads = []
        for _ in range(5):
            slow = socket.create_connection(("127.0.0.1", server.port), timeout=60)
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            heads.append(slow)
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=60)]
        started = time.monotonic()
        # The server still serves others meanwhile.
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        answers = [_until_closed(s) for s in uploads + heads + idle]
        waited = time.monotonic() - started
        assert waited < 40, f"the last stalled connection closed after {waited:.0f} s"
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers[:205]), answers[0][:200]
        assert b'"field": "body"' in answers[0]
        assert b'"field": "headers"' in answers[200]
        assert answers[205] == b""  # nothing was asked: nothing is answered
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


def _until_closed(connection: socket.socket) -> bytes:
    answer = b""
    try:
        while part := connection.recv(65536):
            answer += part
    except ConnectionResetError:
        pass
    connection.close()
    return answer


def test_a_short_read_timeout_cuts_a_trickling_head_and_idle_connections_early(
    sqlite_url: str, tmp_path: Path
) -> None:
    with running(sqlite_url, tmp_path, args=("--read-timeout", "1.5")) as server:
        trickle = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        started = time.monotonic()
        trickle.sendall(b"GET /health HTTP/1.1\r\n")
        with pytest.raises((BrokenPipeError, ConnectionResetError)):  # noqa: PT012
            for i in range(30):  # one header a half second: slower than the deadline allows
                time.sleep(0.5)
                trickle.sendall(f"X-{i}: {i}\r\n".encode())
        assert time.monotonic() - started < 10
        trickle.close()
        # A client that answers in time is served, on a connection kept alive.
        wire = Wire(server.port)
        for _ in range(3):
            assert wire.request("GET", "/health").status == 200
            time.sleep(1.0)  # idle between requests: the keep-alive timeout (5 s) applies
        wire.close()


def test_the_server_logs_a_startup_line_and_a_json_access_line_per_request(
    sqlite_url: str, tmp_path: Path
) -> None:
    args = ("--log-format", "json", "--open-metrics")
    with running(sqlite_url, tmp_path, args=args) as server:
        assert httpx.get(f"{server.url}/orders/O%0AX", headers=AUTH).status_code == 422
        metrics = httpx.get(f"{server.url}/metrics", timeout=10)
        assert metrics.status_code == 200  # opened by --open-metrics
        assert 'route="/orders/{order_id}",status="422"' in metrics.text
        log = _lines(server)
    startup = next(line for line in log if line.get("logger") == "parts_priority.service")
    assert startup["message"].startswith(f"serving {server.url} | store sqlite:///")
    assert "writers: 1 server process, each with a writer process" in startup["message"]
    assert f"docs {server.url}/docs (need the token)" in startup["message"]
    access = [line for line in log if line.get("logger") == "parts_priority.access"]
    refused = next(line for line in access if line["status"] == 422)
    assert refused["method"] == "GET"
    assert refused["path"] == "/orders/O%0AX"
    assert refused["ms"] >= 0
    assert re.fullmatch(r"127\.0\.0\.1:\d+", refused["client"])


def _lines(server: Server) -> list[dict[str, object]]:
    found = []
    for line in server.log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def test_two_workers_answer_metrics_summed_over_both(sqlite_url: str, tmp_path: Path) -> None:
    with running(sqlite_url, tmp_path, workers=2) as server:
        name = 'parts_priority_http_requests_total{method="GET",route="/plan",status="200"}'

        def count() -> float:
            # A new connection per scrape: either worker may answer it.
            scraped = httpx.get(f"{server.url}/metrics", headers=AUTH, timeout=10).text
            for line in scraped.splitlines():
                if line.startswith(name):
                    return float(line.split()[-1])
            return 0.0

        before = count()
        for _ in range(40):
            assert httpx.get(f"{server.url}/plan", headers=AUTH, timeout=10).status_code == 200
        after = {count() for _ in range(8)}
        assert after == {before + 40}
