"""A failed purchase, on SQLite and on PostgreSQL: the order's units are back in need and it
is re-planned at once, the failure is recorded, and every refusal names what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read
from tests.service import worlds
from tests.service.conftest import AUTH
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import order

PROBLEM = "application/problem+json"


def _options(*options: tuple[str, int, float, float]) -> dict[str, Any]:
    """Supply options of P-B from supplier BRK: (source, capacity, lead time, unit cost)."""
    return {
        "options": [
            {
                "part_number": "P-B",
                "source": source,
                "supplier_id": "BRK",
                "capacity": capacity,
                "lead_time_hours": lead,
                "unit_cost": cost,
            }
            for source, capacity, lead, cost in options
        ]
    }


def _on_a_broker(client: TestClient, *more: tuple[str, int, float, float]) -> None:
    """O-1 holds P-B's one unit in stock; O-2 (parts priority too) buys its unit from the
    broker BRK (one unit, 24 h)."""
    options = _options(("broker", 1, 24, 100), *more)
    assert write(client, "PUT", "/supply-options", options).status_code == 200
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
    answer = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B")).json()
    assert [(a["source"], a["origin"]) for a in answer["allocations"]] == [("broker", "BRK")]


def _failures(engine: Engine) -> list[tuple[Any, ...]]:
    f = schema.purchase_failures
    query = select(f.c.order_id, f.c.part_number, f.c.source, f.c.supplier_id, f.c.quantity)
    return [tuple(r) for r in run_read(engine, lambda c: c.execute(query).all())]


def _capacity(engine: Engine, source: str) -> int:
    o = schema.supply_options
    query = select(o.c.capacity).where(o.c.part_number == "P-B", o.c.source == source)
    return int(run_read(engine, lambda c: c.execute(query).scalar_one()))


def test_a_failed_broker_purchase_is_replanned_at_once_from_the_expedite_option(
    client: TestClient, engine: Engine
) -> None:
    _on_a_broker(client, ("expedite", 1, 96, 35))
    answer = write(
        client,
        "POST",
        "/orders/O-2/purchase-failed",
        {"source": "broker", "origin": "BRK", "reason": "out of stock"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["order_id"] == "O-2"
    assert [(a["source"], a["origin"], a["quantity"]) for a in body["allocations"]] == [
        ("expedite", "BRK", 1)
    ]
    assert body["backorder"] is None
    assert _failures(engine) == [("O-2", "P-B", "broker", "BRK", 1)]
    assert _capacity(engine, "broker") == 0  # the failed unit will not come
    assert client.get("/orders/O-1", headers=AUTH).json()["allocations"][0]["source"] == "stock"
    assert ledger_problems(engine) == []


def test_a_failed_purchase_with_no_other_source_waits_and_a_receipt_fills_it(
    client: TestClient, engine: Engine
) -> None:
    _on_a_broker(client)
    body = write(
        client, "POST", "/orders/O-2/purchase-failed", {"source": "broker", "origin": "BRK"}
    ).json()
    assert body["allocations"] == []
    assert body["backorder"]["quantity"] == 1
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-US", "quantity": 1}]}
    write(client, "POST", "/stock/receipts", receipt)
    now = client.get("/orders/O-2", headers=AUTH).json()
    assert [(a["source"], a["quantity"]) for a in now["allocations"]] == [("stock", 1)]
    assert ledger_problems(engine) == []


def test_part_of_a_purchase_can_fail_and_the_rest_stays_promised(
    client: TestClient, engine: Engine
) -> None:
    write(client, "PUT", "/supply-options", _options(("broker", 3, 24, 100)))
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
    held = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B", 2)).json()
    assert [(a["source"], a["quantity"]) for a in held["allocations"]] == [("broker", 2)]
    body = write(
        client,
        "POST",
        "/orders/O-2/purchase-failed",
        {"source": "broker", "origin": "BRK", "quantity": 1},
    ).json()
    # The broker had a third unit: the re-plan buys it, in place of the one that failed.
    assert [(a["source"], a["quantity"]) for a in body["allocations"]] == [("broker", 2)]
    assert _capacity(engine, "broker") == 2
    assert _failures(engine) == [("O-2", "P-B", "broker", "BRK", 1)]
    assert ledger_problems(engine) == []


def test_the_same_key_replays_the_answer_and_records_the_failure_once(
    client: TestClient, engine: Engine
) -> None:
    _on_a_broker(client, ("expedite", 1, 96, 35))
    failure = {"source": "broker", "origin": "BRK"}
    same = key()
    first = write(client, "POST", "/orders/O-2/purchase-failed", failure, same)
    again = write(client, "POST", "/orders/O-2/purchase-failed", failure, same)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(_failures(engine)) == 1
    other = write(client, "POST", "/orders/O-2/purchase-failed", {**failure, "quantity": 1}, same)
    assert other.status_code == 422  # the key with another body


@pytest.mark.parametrize(
    ("failure", "field", "words"),
    [
        ({"source": "stock", "origin": "D-US"}, "body.source", "not a purchase"),
        ({"source": "expedite", "origin": "BRK"}, "body.origin", "holds no expedite"),
        ({"source": "broker", "origin": "BRK-X"}, "body.origin", "holds no broker"),
        ({"source": "broker", "origin": "BRK", "quantity": 2}, "body.quantity", "holds 1"),
    ],
)
def test_a_line_that_is_no_purchase_of_the_order_is_a_409_naming_the_field(
    client: TestClient, failure: dict[str, Any], field: str, words: str
) -> None:
    _on_a_broker(client)
    path = "/orders/O-1/purchase-failed" if failure["source"] == "stock" else None
    answer = write(client, "POST", path or "/orders/O-2/purchase-failed", failure)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == field
    assert words in answer.json()["detail"]


def test_a_purchase_failed_already_or_shipped_is_a_409(client: TestClient) -> None:
    _on_a_broker(client, ("expedite", 1, 96, 35))
    failure = {"source": "broker", "origin": "BRK"}
    assert write(client, "POST", "/orders/O-2/purchase-failed", failure).status_code == 200
    twice = write(client, "POST", "/orders/O-2/purchase-failed", failure)
    assert twice.status_code == 409
    assert "failed already" in twice.json()["detail"]
    assert write(client, "POST", "/orders/O-2/ship").status_code == 200
    shipped = write(
        client, "POST", "/orders/O-2/purchase-failed", {**failure, "source": "expedite"}
    )
    assert shipped.status_code == 409
    assert shipped.json()["errors"] == [{"field": "path.order_id", "message": "order is shipped"}]


def test_an_unknown_order_is_a_404(client: TestClient) -> None:
    answer = write(
        client, "POST", "/orders/O-404/purchase-failed", {"source": "broker", "origin": "BRK"}
    )
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"] == [{"field": "path.order_id", "message": "unknown order"}]


@pytest.mark.parametrize(
    ("failure", "field"),
    [
        ({"origin": "BRK"}, "body.source"),
        ({"source": "mail", "origin": "BRK"}, "body.source"),
        ({"source": "broker"}, "body.origin"),
        ({"source": "broker", "origin": "BRK", "quantity": 0}, "body.quantity"),
        ({"source": "broker", "origin": "BRK", "quantity": "1"}, "body.quantity"),
        ({"source": "broker", "origin": "BRK", "units": 1}, "body.units"),
        ({"source": "broker", "origin": "BRK", "reason": "a\x00b"}, "body.reason"),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field(
    client: TestClient, failure: dict[str, Any], field: str
) -> None:
    _on_a_broker(client)
    answer = write(client, "POST", "/orders/O-2/purchase-failed", failure)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == field


def test_without_the_token_or_the_key_nothing_fails(client: TestClient, engine: Engine) -> None:
    _on_a_broker(client)
    failure = {"source": "broker", "origin": "BRK"}
    bare = client.post(
        "/orders/O-2/purchase-failed", json=failure, headers={"Idempotency-Key": key()}
    )
    assert bare.status_code == 401
    assert bare.headers["content-type"] == PROBLEM
    keyless = client.post("/orders/O-2/purchase-failed", json=failure, headers=AUTH)
    assert keyless.status_code == 400
    assert _failures(engine) == []
