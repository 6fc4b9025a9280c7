"""Moves over HTTP, on SQLite and on PostgreSQL: a preview says what moving units from one
order to another would do and writes nothing; a move firms the units for the taking order,
re-plans the group at once and says so on the feed; the engine's refusals are 409s with its
message, and the routes are keyed and guarded like every other."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import order

PROBLEM = "application/problem+json"
MOVE = {"to_order": "S-1", "units": 1}


def _o1_holds_both_units_of_p_a(client: TestClient) -> None:
    """O-1 (parts priority) holds P-A's two units at D-US; S-1 (standard) waits for one."""
    assert write(client, "POST", "/orders", order("O-1", "C-PM", "P-A", 2)).status_code == 201
    waiting = write(client, "POST", "/orders", order("S-1", "C-STD", "P-A")).json()
    assert waiting["allocated_quantity"] == 0


def _levels(answer: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    return {x["level"]: (x["before"], x["after"], x["change"]) for x in answer["levels"]}


def _units(answer: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(o["order_id"], o["units_before"], o["units_after"]) for o in answer["orders"]]


def test_a_preview_shows_who_loses_what_and_writes_nothing(client: TestClient) -> None:
    _o1_holds_both_units_of_p_a(client)
    cursor = client.get("/events", headers=AUTH).json()["next"]
    answer = client.post("/orders/O-1/move-preview", json=MOVE, headers=AUTH)
    assert answer.status_code == 200
    body = answer.json()
    assert body["applied"] is False
    assert body["move"] == {
        "from_order": "O-1",
        "to_order": "S-1",
        "units": 1,
        "source": "stock",
        "origin": "D-US",
    }
    assert body["firm"] == {"order_id": "S-1", "source": "stock", "origin": "D-US", "quantity": 1}
    levels = _levels(body)
    assert levels["parts_priority_units"] == (2.0, 1.0, -1.0)
    assert levels["standard_units"] == (0.0, 1.0, 1.0)
    assert _units(body) == [("O-1", 2, 1), ("S-1", 0, 1)]
    # Nothing written: no override, no event, the plan as it was.
    assert client.get("/orders/S-1/overrides", headers=AUTH).json()["overrides"] == []
    assert client.get(f"/events?after={cursor}", headers=AUTH).json()["events"] == []
    assert client.get("/orders/S-1", headers=AUTH).json()["allocated_quantity"] == 0


def test_a_move_firms_the_units_replans_at_once_and_holds_after_a_restart(
    client: TestClient, engine: Engine
) -> None:
    _o1_holds_both_units_of_p_a(client)
    cursor = client.get("/events", headers=AUTH).json()["next"]
    same = key()
    moved = write(client, "POST", "/orders/O-1/move", MOVE, idempotency_key=same)
    assert moved.status_code == 200
    body = moved.json()
    assert body["applied"] is True
    assert _units(body) == [("O-1", 2, 1), ("S-1", 0, 1)]
    assert body["order"]["order_id"] == "S-1"
    assert body["order"]["allocated_quantity"] == 1
    assert [(o["kind"], o["source"], o["origin"], o["quantity"]) for o in body["overrides"]] == [
        ("firm", "stock", "D-US", 1)
    ]
    assert [(o["order_id"], o["allocated_quantity"]) for o in body["replanned_orders"]] == [
        ("O-1", 1)
    ]
    events = client.get(f"/events?after={cursor}", headers=AUTH).json()["events"]
    assert {(e["order_id"], e["kind"]) for e in events} >= {("O-1", "released")}
    assert "S-1" in {e["order_id"] for e in events}
    # The same key replays the answer; the move is not made twice.
    again = write(client, "POST", "/orders/O-1/move", MOVE, idempotency_key=same)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == body
    # A restarted server plans from the rows: the firm holds against a later PM order.
    restarted = make_client(engine)
    later = write(restarted, "POST", "/orders", order("O-2", "C-PM", "P-A")).json()
    assert later["allocated_quantity"] == 0
    assert restarted.get("/orders/S-1", headers=AUTH).json()["allocated_quantity"] == 1
    assert ledger_problems(engine) == []


def _o1_holds_a_transfer(client: TestClient) -> None:
    """O-1 (parts priority, 3 units) holds P-A's two units at D-US and one transferred
    from D-DE, which S-1 (standard) may not use; O-B waits for P-B, another group."""
    receipt = {"lines": [{"part_number": "P-A", "depot_id": "D-DE", "quantity": 1}]}
    assert write(client, "POST", "/stock/receipts", receipt).status_code == 200
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-A", 3))
    write(client, "POST", "/orders", order("S-1", "C-STD", "P-A"))
    write(client, "POST", "/orders", order("O-B", "C-PM", "P-B"))


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/orders/NOPE/move", MOVE, 404, "no order 'NOPE'"),
        ("/orders/O-1/move", {"to_order": "NOPE"}, 404, "no order 'NOPE'"),
        ("/orders/O-1/move", {"to_order": "O-B"}, 409, "units move only within a part group"),
        ("/orders/O-1/move", {"to_order": "S-1", "units": 3}, 409, "has only 2 unit(s)"),
        (
            "/orders/O-1/move",
            {"to_order": "S-1", "source": "transfer", "origin": "D-DE"},
            409,
            "its class standard may not use transfer",
        ),
        ("/orders/O-1/move", {"to_order": "S-1", "units": 0}, 422, "body.units"),
        ("/orders/O-1/move", {"to_order": "S-1", "source": "stock"}, 422, "give both or neither"),
        ("/orders/O-1/move", {"to_order": "S-1", "colour": "red"}, 422, "body.colour"),
    ],
    ids=[
        "unknown-from",
        "unknown-to",
        "another-group",
        "more-than-the-line",
        "forbidden-source",
        "zero-units",
        "source-without-origin",
        "unknown-field",
    ],
)
def test_a_move_the_engine_or_the_body_refuses_is_a_problem_and_changes_nothing(
    client: TestClient, engine: Engine, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    _o1_holds_a_transfer(client)
    for sent in (
        client.post(path.replace("/move", "/move-preview"), json=body, headers=AUTH),
        write(client, "POST", path, body),
    ):
        assert sent.status_code == status
        assert sent.headers["content-type"].startswith(PROBLEM)
        assert message in sent.text
    assert client.get("/orders/S-1/overrides", headers=AUTH).json()["overrides"] == []
    assert ledger_problems(engine) == []


# The store's kind changes nothing in these refusals (token, body schema, known ids): one store.
@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize("path", ["/orders/O-1/move", "/orders/O-1/move-preview"])
def test_a_move_without_a_token_is_a_401(client: TestClient, path: str) -> None:
    answer = client.post(path, json=MOVE, headers={"Idempotency-Key": key()})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)
