"""Overrides over HTTP, on SQLite and on PostgreSQL: a firmed line stays put through every
later re-plan, a forbidden source is never used, each change re-plans the order's group at
once and says so on the feed, and every write is keyed like the others."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import order

PROBLEM = "application/problem+json"


def _sources(answer: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(a["source"], a["origin"], a["quantity"]) for a in answer["allocations"]]


def _held_by_a_standard_order(client: TestClient) -> None:
    """S-1, a standard order, holds P-B's one unit at D-US."""
    body = write(client, "POST", "/orders", order("S-1", "C-STD", "P-B", created_at=worlds.EARLY))
    assert _sources(body.json()) == [("stock", "D-US", 1)]


def test_a_parts_priority_order_pre_empts_an_unfirmed_standard_line(client: TestClient) -> None:
    _held_by_a_standard_order(client)
    body = write(client, "POST", "/orders", order("O-1", "C-PM", "P-B")).json()
    assert _sources(body) == [("stock", "D-US", 1)]
    assert client.get("/orders/S-1", headers=AUTH).json()["allocated_quantity"] == 0


def test_a_firmed_line_survives_a_later_order_that_would_pre_empt_it(
    client: TestClient, engine: Engine
) -> None:
    _held_by_a_standard_order(client)
    firmed = write(client, "POST", "/orders/S-1/firm", {"source": "stock", "origin": "D-US"})
    assert firmed.status_code == 200
    body = firmed.json()
    assert body["overrides"] == [
        {
            "kind": "firm",
            "source": "stock",
            "origin": "D-US",
            "quantity": 1,
            "created_at": body["overrides"][0]["created_at"],
        }
    ]
    assert _sources(body["order"]) == [("stock", "D-US", 1)]

    later = write(client, "POST", "/orders", order("O-1", "C-PM", "P-B")).json()
    assert later["allocated_quantity"] == 0
    assert later["backorder"]["quantity"] == 1
    assert _sources(client.get("/orders/S-1", headers=AUTH).json()) == [("stock", "D-US", 1)]
    # A restarted server plans from the rows, overrides included.
    restarted = make_client(engine)
    write(restarted, "POST", "/orders", order("O-2", "C-PM", "P-B"))
    assert _sources(restarted.get("/orders/S-1", headers=AUTH).json()) == [("stock", "D-US", 1)]
    assert ledger_problems(engine) == []

    # Cleared, the firm no longer holds: the parts-priority order takes the unit at once.
    cleared = write(restarted, "POST", "/orders/S-1/overrides/clear", {"kind": "firm"}).json()
    assert cleared["overrides"] == []
    assert cleared["order"]["allocated_quantity"] == 0
    assert [o["order_id"] for o in cleared["replanned_orders"]] == ["O-1"]
    assert ledger_problems(engine) == []


def test_a_forbidden_source_is_not_used_and_the_order_is_replanned_at_once(
    client: TestClient, engine: Engine
) -> None:
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-DE", "quantity": 1}]}
    write(client, "POST", "/stock/receipts", receipt)
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B"))
    after = client.get("/events", headers=AUTH).json()["next"]

    forbidden = write(client, "POST", "/orders/O-1/forbid", {"source": "stock"})
    assert forbidden.status_code == 200
    body = forbidden.json()
    assert [(o["kind"], o["source"], o["origin"]) for o in body["overrides"]] == [
        ("forbid", "stock", None)
    ]
    assert _sources(body["order"]) == [("transfer", "D-DE", 1)]
    events = client.get(f"/events?after={after}", headers=AUTH).json()["events"]
    assert [(e["kind"], e["source"], e["origin"]) for e in events] == [
        ("released", "stock", "D-US"),
        ("reallocated", "transfer", "D-DE"),
    ]
    # The freed unit at D-US goes to the next order; O-1 never takes it back.
    other = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B")).json()
    assert _sources(other) == [("stock", "D-US", 1)]
    assert _sources(client.get("/orders/O-1", headers=AUTH).json()) == [("transfer", "D-DE", 1)]
    listed = client.get("/orders/O-1/overrides", headers=AUTH).json()
    assert [o["kind"] for o in listed["overrides"]] == ["forbid"]
    assert ledger_problems(engine) == []


def test_cancelling_or_shipping_an_order_drops_its_overrides(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1"))
    write(client, "POST", "/orders/O-1/forbid", {"source": "broker", "origin": "BRK"})
    write(client, "POST", "/orders/O-1/firm", {"source": "stock", "origin": "D-US"})
    assert len(client.get("/orders/O-1/overrides", headers=AUTH).json()["overrides"]) == 2
    assert write(client, "POST", "/orders/O-1/ship").status_code == 200
    assert client.get("/orders/O-1/overrides", headers=AUTH).json()["overrides"] == []
    write(client, "POST", "/orders", order("O-2"))
    write(client, "POST", "/orders/O-2/firm", {"source": "stock", "origin": "D-US"})
    assert write(client, "POST", "/orders/O-2/cancel").status_code == 200
    assert client.get("/orders/O-2/overrides", headers=AUTH).json()["overrides"] == []


def test_firming_units_the_order_has_not_got_is_a_409(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1"))
    elsewhere = write(client, "POST", "/orders/O-1/firm", {"source": "transfer", "origin": "D-DE"})
    assert elsewhere.status_code == 409
    assert elsewhere.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in elsewhere.json()["errors"]] == ["body.origin"]
    more = {"source": "stock", "origin": "D-US", "quantity": 2}
    too_many = write(client, "POST", "/orders/O-1/firm", more)
    assert too_many.status_code == 409
    assert [e["field"] for e in too_many.json()["errors"]] == ["body.quantity"]
    write(client, "POST", "/orders/O-1/firm", {"source": "stock", "origin": "D-US"})
    firmed = write(client, "POST", "/orders/O-1/forbid", {"source": "stock"})
    assert firmed.status_code == 409
    assert client.get("/orders/O-1/overrides", headers=AUTH).json()["overrides"][0]["kind"] == (
        "firm"
    )


def test_override_writes_are_idempotent(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1"))
    same = key()
    body = {"source": "broker", "origin": "BRK"}
    first = write(client, "POST", "/orders/O-1/forbid", body, idempotency_key=same)
    again = write(client, "POST", "/orders/O-1/forbid", body, idempotency_key=same)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = write(
        client, "POST", "/orders/O-1/forbid", {"source": "expedite"}, idempotency_key=same
    )
    assert other.status_code == 422
    assert [e["field"] for e in other.json()["errors"]] == ["header.Idempotency-Key"]
    assert len(client.get("/orders/O-1/overrides", headers=AUTH).json()["overrides"]) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/orders/NOPE/firm", {"source": "stock", "origin": "D-US"}),
        ("POST", "/orders/NOPE/forbid", {"source": "stock"}),
        ("POST", "/orders/NOPE/overrides/clear", None),
        ("GET", "/orders/NOPE/overrides", None),
    ],
)
def test_an_unknown_order_is_a_404(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    if method == "GET":
        answer = client.get(path, headers=AUTH)
    else:
        answer = write(client, method, path, body)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in answer.json()["errors"]] == ["path.order_id"]


# The store's kind changes nothing in these refusals (token, body schema, known ids): one store.
@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders/O-1/firm", {"source": "stock"}, "body.origin"),
        ("/orders/O-1/firm", {"source": "pigeon", "origin": "D-US"}, "body.source"),
        ("/orders/O-1/firm", {"source": "stock", "origin": "D-US", "quantity": 0}, "body.quantity"),
        ("/orders/O-1/forbid", {"source": "stock", "colour": "red"}, "body.colour"),
        ("/orders/O-1/forbid", {"source": "stock", "origin": "NOWHERE"}, "body.origin"),
        ("/orders/O-1/overrides/clear", {"kind": "maybe"}, "body.kind"),
    ],
)
def test_a_bad_body_is_a_422_problem(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    write(client, "POST", "/orders", order("O-1"))
    answer = write(client, "POST", path, body)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert field in [e["field"] for e in answer.json()["errors"]]


# The store's kind changes nothing in these refusals (token, body schema, known ids): one store.
@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/orders/O-1/firm"),
        ("POST", "/orders/O-1/forbid"),
        ("POST", "/orders/O-1/overrides/clear"),
        ("GET", "/orders/O-1/overrides"),
    ],
)
def test_no_token_is_a_401(client: TestClient, method: str, path: str) -> None:
    write(client, "POST", "/orders", order("O-1"))
    answer = client.request(
        method, path, json={"source": "stock"}, headers={"Idempotency-Key": key()}
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)
