"""Hostile and unusual input, on SQLite and PostgreSQL: always a 4xx problem+json naming the
field, never a 500, and the same answer from both stores.

PostgreSQL cannot hold a NUL in text and its INTEGER is 32 bits: a NUL in an id and stock
pushed past 2^31 - 1 used to be 500s there, while SQLite took them. The live versions of
these checks (the connection stays open after each) are in ``test_live_limits.py``.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from allocation.adapters.store import make_engine, migrate
from allocation.domain.tables import MAX_QUANTITY
from allocation.service import routes
from allocation.service.loading import load_into_store
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write

PROBLEM = "application/problem+json"
HUGE = [2**31, 2**32 + 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]


def _refused(answer: Any, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]], answer.json()


def _still_serving(client: TestClient) -> None:
    assert client.get("/orders/O-OK", headers=AUTH).status_code == 200


@pytest.fixture
def served(client: TestClient) -> TestClient:
    """The tiny world's client with one order, O-OK, to read back between hostile requests."""
    assert write(client, "POST", "/orders", worlds.order("O-OK")).status_code == 201
    return client


def test_a_nul_or_control_character_in_a_path_id_is_a_422_naming_the_field(
    served: TestClient,
) -> None:
    for method, path, field in [
        ("GET", "/orders/O%00X", "path.order_id"),
        ("POST", "/orders/O%00X/cancel", "path.order_id"),
        ("POST", "/orders/O%00X/ship", "path.order_id"),
        ("GET", "/orders/O%00X/explanation", "path.order_id"),
        ("GET", "/orders/O%0AX", "path.order_id"),
        ("GET", "/orders/%1B%5B31m", "path.order_id"),
        ("GET", "/parts/P%00X/allocations", "path.part_number"),
        ("GET", "/parts/P%7F/allocations", "path.part_number"),
    ]:
        answer = served.request(method, path, headers={**AUTH, "Idempotency-Key": key()})
        _refused(answer, 422, field)
        assert "control characters" in answer.json()["detail"]
        _still_serving(served)


def test_a_nul_in_a_body_field_is_a_422_naming_the_field(served: TestClient) -> None:
    batch = {"orders": [worlds.order("O-1"), worlds.order("O-2", product_type="a\x00b")]}
    for path, body, field in [
        ("/orders", worlds.order("O-1", product_type="note\u0000book"), "body.product_type"),
        ("/orders", worlds.order("O-1", customer_id="C\x00PM"), "body.customer_id"),
        ("/orders", worlds.order("O\x00-1"), "body.order_id"),
        ("/orders", batch, "body.orders[1].product_type"),
        (
            "/stock/adjustments",
            {"lines": [{"part_number": "P-A", "depot_id": "D-US", "delta": 1, "reason": "\x00"}]},
            "body.lines[0].reason",
        ),
        (
            "/stock/receipts",
            {"lines": [{"part_number": "P-A\x00", "depot_id": "D-US", "quantity": 1}]},
            "body.lines[0].part_number",
        ),
    ]:
        _refused(write(served, "POST", path, body), 422, field)
        _still_serving(served)
    assert served.get("/orders/O-1", headers=AUTH).status_code == 404  # nothing half-written


def test_free_text_keeps_its_line_breaks_and_tabs(served: TestClient) -> None:
    line = {"part_number": "P-A", "depot_id": "D-US", "delta": 1, "reason": "count\n\tshelf 3"}
    assert write(served, "POST", "/stock/adjustments", {"lines": [line]}).status_code == 200


def test_huge_integers_anywhere_are_a_4xx_naming_the_field(served: TestClient) -> None:
    for number in HUGE:
        _refused(
            write(served, "POST", "/orders", worlds.order("O-H", quantity=number)),
            422,
            "body.quantity",
        )
        line = {"part_number": "P-A", "depot_id": "D-US", "quantity": number}
        _refused(
            write(served, "POST", "/stock/receipts", {"lines": [line]}),
            422,
            "body.lines[0].quantity",
        )
        _refused(served.get(f"/plan?offset={number}", headers=AUTH), 422, "query.offset")
        _still_serving(served)
    digits = b'{"lines": [{"part_number": "P-A", "depot_id": "D-US", "quantity": ' + b"9" * 5000
    answer = served.post(
        "/stock/receipts",
        content=digits + b"}]}",
        headers={**AUTH, "Idempotency-Key": key(), "content-type": "application/json"},
    )
    _refused(answer, 400, "body")
    _still_serving(served)


def test_receipts_past_a_billion_units_on_hand_are_refused_alike_on_both_stores(
    served: TestClient, engine: Engine
) -> None:
    top_up = {"part_number": "P-A", "depot_id": "D-US", "quantity": MAX_QUANTITY - 1}
    # P-A has 2 units and O-OK holds one: up to 1e9 on hand is fine...
    assert write(served, "POST", "/stock/receipts", {"lines": [top_up]}).status_code == 409
    top_up["quantity"] = MAX_QUANTITY - 2
    first_key = key()
    answer = write(served, "POST", "/stock/receipts", {"lines": [top_up]}, first_key)
    assert answer.status_code == 200, answer.text
    units = {s["supply"]: s["units"] for s in answer.json()["supply"]}
    assert units["stock|D-US"] == MAX_QUANTITY
    # ... one more unit is not, whichever line of a batch takes it past.
    one = {"part_number": "P-A", "depot_id": "D-US", "quantity": 1}
    other = {"part_number": "P-B", "depot_id": "D-US", "quantity": 5}
    refused = write(served, "POST", "/stock/receipts", {"lines": [other, one]})
    _refused(refused, 409, "body.lines[1].quantity")
    assert "1,000,000,001" in refused.json()["detail"]
    plus = {"part_number": "P-A", "depot_id": "D-US", "delta": 1}
    _refused(
        write(served, "POST", "/stock/adjustments", {"lines": [plus]}), 409, "body.lines[0].delta"
    )
    # A retry of the receipt that reached the limit replays its answer.
    again = write(served, "POST", "/stock/receipts", {"lines": [top_up]}, first_key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    # Down and up again within the limit is fine.
    minus = {"part_number": "P-A", "depot_id": "D-US", "delta": -10, "reason": "count"}
    assert write(served, "POST", "/stock/adjustments", {"lines": [minus]}).status_code == 200
    one["quantity"] = 10
    assert write(served, "POST", "/stock/receipts", {"lines": [one]}).status_code == 200
    assert ledger_problems(engine) == []


def test_an_order_of_a_billion_units_and_a_batch_of_three_plan_in_bounded_memory(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": MAX_QUANTITY, "P-B": MAX_QUANTITY}))
    client = make_client(engine)
    tracemalloc.start()
    try:
        one = write(client, "POST", "/orders", worlds.order("O-BIG", quantity=MAX_QUANTITY))
        batch = {
            "orders": [
                worlds.order(f"O-B{i}", part="P-B", quantity=MAX_QUANTITY // 2) for i in range(3)
            ]
        }
        three = write(client, "POST", "/orders", batch)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert one.status_code == 201, one.text
    assert one.json()["allocated_quantity"] == MAX_QUANTITY
    assert three.status_code == 201, three.text
    held = [o["allocated_quantity"] for o in three.json()["orders"]]
    assert held == [MAX_QUANTITY // 2, MAX_QUANTITY // 2, 0]
    assert three.json()["orders"][2]["backorder"]["quantity"] == MAX_QUANTITY // 2
    # A unit-by-unit plan would need gigabytes; the planner's arrays need a few megabytes.
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert ledger_problems(engine) == []
    engine.dispose()


def test_a_value_the_database_still_refuses_is_a_422_not_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> None:
        raise sa_exc.DataError("SELECT", {}, ValueError("NUL"))

    monkeypatch.setattr(routes, "order_answers", refuse)
    answer = client.get("/orders/O-1", headers=AUTH)
    _refused(answer, 422, "path")
