"""The HTTP API on SQLite and on PostgreSQL: answers, errors, idempotency, auth and limits."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.migrate import head_revision
from tests.service import worlds
from tests.service.conftest import AUTH, OTHER_TOKEN, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import order

PROBLEM = "application/problem+json"
# Orders created in the same minute are a tie for the engine; this one is older than any
# posted by the tests, and inside the Priority Management contracts' term.
EARLY = worlds.EARLY


def _orders_in_db(engine: Engine) -> int:
    return int(
        run_read(
            engine,
            lambda c: c.execute(select(func.count()).select_from(schema.orders)).scalar_one(),
        )
    )


def test_an_order_gets_its_priority_class_and_units_from_stock(client: TestClient) -> None:
    answer = write(client, "POST", "/orders", order("O-1", "C-PM", "P-A", 1))
    assert answer.status_code == 201
    body = answer.json()
    assert body["priority_class"] == "parts_priority"
    assert body["tier"] == "PM"
    assert body["allocated_quantity"] == 1
    [line] = body["allocations"]
    assert (line["source"], line["origin"], line["quantity"]) == ("stock", "D-US", 1)
    assert line["eta"] is not None
    assert body["backorder"] is None


def test_a_pm_order_in_uruguay_is_standard_and_says_why(client: TestClient) -> None:
    body = write(client, "POST", "/orders", order("O-UY", "C-PM-UY", "P-A", 1)).json()
    assert (body["priority_class"], body["tier"], body["country"]) == ("standard", "PM", "UY")
    assert (
        "no parts priority: Uruguay is excluded from parts priority"
        in (body["entitlement_reasons"])
    )
    assert body["allocations"][0]["eta"] > body["created_at"]


def test_an_order_that_finds_no_units_gets_a_backorder_with_a_reason(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-STD", "P-B", 1, created_at=EARLY))
    body = write(client, "POST", "/orders", order("O-2", "C-STD", "P-B", 2)).json()
    assert body["allocated_quantity"] == 0
    assert body["backorder"]["quantity"] == 2
    assert "same class" in body["backorder"]["reason"]


def test_a_parts_priority_order_takes_units_from_a_standard_one(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-STD", "C-STD", "P-B", 1))
    pm = write(client, "POST", "/orders", order("O-PM", "C-PM", "P-B", 1)).json()
    assert pm["allocated_quantity"] == 1
    std = client.get("/orders/O-STD", headers=AUTH).json()
    assert std["allocated_quantity"] == 0
    assert "parts_priority orders, which rank first" in std["backorder"]["reason"]


def test_a_batch_is_accepted_whole_and_answered_in_order(client: TestClient) -> None:
    batch = {"orders": [order("B-2", part="P-A"), order("B-1", part="P-B", quantity=3)]}
    answer = write(client, "POST", "/orders", batch)
    assert answer.status_code == 201
    got = answer.json()["orders"]
    assert [o["order_id"] for o in got] == ["B-2", "B-1"]
    assert got[1]["allocated_quantity"] == 1
    assert got[1]["backorder"]["quantity"] == 2


def test_a_batch_with_one_bad_line_writes_nothing_and_names_the_line(
    client: TestClient, engine: Engine
) -> None:
    batch = {"orders": [order("B-1"), order("B-2", customer="C-NOBODY")]}
    answer = write(client, "POST", "/orders", batch)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == "body.orders[1].customer_id"
    assert _orders_in_db(engine) == 0


def test_the_same_key_replays_the_first_answer(client: TestClient, engine: Engine) -> None:
    k = key()
    first = write(client, "POST", "/orders", order("O-1"), k)
    again = write(client, "POST", "/orders", order("O-1"), k)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert _orders_in_db(engine) == 1


def test_the_same_key_with_another_body_is_a_422(client: TestClient) -> None:
    k = key()
    write(client, "POST", "/orders", order("O-1"), k)
    answer = write(client, "POST", "/orders", order("O-1", quantity=2), k)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_an_existing_order_id_with_a_new_key_is_a_409_naming_it(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1"))
    answer = write(client, "POST", "/orders", order("O-1", part="P-B"))
    assert answer.status_code == 409
    assert answer.json()["order_id"] == "O-1"
    assert "O-1" in answer.json()["detail"]


def test_a_refusal_is_the_keys_answer_and_leaves_nothing_behind(
    client: TestClient, engine: Engine
) -> None:
    write(client, "POST", "/orders", order("O-1"))
    k = key()
    batch = {"orders": [order("O-2"), order("O-1", part="P-B")]}
    first = write(client, "POST", "/orders", batch, k)
    again = write(client, "POST", "/orders", batch, k)
    assert first.status_code == 409
    assert first.headers["idempotent-replayed"] == "false"
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert _orders_in_db(engine) == 1  # O-2 was refused with the batch


def test_keys_belong_to_the_client_that_sent_them(client: TestClient, engine: Engine) -> None:
    k = key()
    write(client, "POST", "/orders", order("O-1"), k)
    other = {"Authorization": f"Bearer {OTHER_TOKEN}"}
    answer = write(client, "POST", "/orders", order("O-2"), k, headers=other)
    assert answer.status_code == 201
    assert answer.json()["order_id"] == "O-2"
    assert _orders_in_db(engine) == 2


def test_a_write_without_a_key_is_a_400_naming_the_header(client: TestClient) -> None:
    answer = client.post("/orders", json=order("O-1"), headers=AUTH)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "header.Idempotency-Key"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/orders"),
        ("GET", "/orders/O-1"),
        ("POST", "/orders/O-1/cancel"),
        ("POST", "/orders/O-1/ship"),
        ("POST", "/orders/O-1/purchase-failed"),
        ("POST", "/stock/receipts"),
        ("POST", "/stock/adjustments"),
        ("POST", "/inbound"),
        ("PUT", "/supply-options"),
        ("GET", "/orders/O-1/explanation"),
        ("GET", "/parts/P-A/allocations"),
        ("GET", "/plan"),
        ("GET", "/events"),
    ],
)
def test_every_route_but_health_needs_the_token(client: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
        answer = client.request(method, path, headers={**headers, "Idempotency-Key": key()})
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/health").status_code == 200


def test_a_body_over_the_limit_is_a_413_before_parsing(engine: Engine) -> None:
    small = make_client(engine, max_body_bytes=2048)
    answer = write(small, "POST", "/orders", {"orders": [order(f"O-{i}") for i in range(40)]})
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    chunked = small.post(
        "/orders",
        content=iter([b"[" + b" " * 1500, b" " * 1500 + b"]"]),
        headers={**AUTH, "Idempotency-Key": key(), "content-type": "application/json"},
    )
    assert chunked.status_code == 413


def test_a_batch_over_the_line_limit_is_a_413(engine: Engine) -> None:
    narrow = make_client(engine, max_batch_lines=3)
    answer = write(narrow, "POST", "/orders", {"orders": [order(f"O-{i}") for i in range(4)]})
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["field"] == "body.orders"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (order("O-1", quantity=0), 422, "body.quantity"),
        (order("O-1", quantity=-3), 422, "body.quantity"),
        (order("O-1", quantity=10**12), 422, "body.quantity"),
        (order("O-1", quantity="2"), 422, "body.quantity"),
        (order("O-1", quantity=1.5), 422, "body.quantity"),
        (order("O-1", ship_to_country="Atlantis"), 422, "body.ship_to_country"),
        (order("O-1", part="NOPE"), 422, "body.part_number"),
        (order("O-1", customer="NOPE"), 422, "body.customer_id"),
        (order("O 1"), 422, "body.order_id"),
        (order("O-1", created_at="yesterday"), 422, "body.created_at"),
        (order("O-1", created_at="9999-01-01T00:00:00"), 422, "body.created_at"),
        (order("O-1", colour="red"), 422, "body.colour"),
        ([1, 2], 422, "body"),
        ("text", 422, "body"),
    ],
)
def test_bad_orders_get_a_4xx_naming_the_field(
    client: TestClient, body: object, status: int, field: str
) -> None:
    answer = write(client, "POST", "/orders", body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    "raw", [b'{"order_id": "O-1",', b"NaN", b'{"quantity": NaN}', b"\xff\xfe", b""]
)
def test_malformed_or_non_finite_json_is_a_4xx(client: TestClient, raw: bytes) -> None:
    answer = client.post(
        "/orders",
        content=raw,
        headers={**AUTH, "Idempotency-Key": key(), "content-type": "application/json"},
    )
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"] == PROBLEM


def test_a_supply_option_cost_of_nan_is_refused(client: TestClient) -> None:
    raw = json.dumps(
        {
            "options": [
                {
                    "part_number": "P-A",
                    "source": "broker",
                    "supplier_id": "BRK",
                    "capacity": 1,
                    "lead_time_hours": 1.0,
                    "unit_cost": float("nan"),
                }
            ]
        }
    ).encode()
    answer = client.put(
        "/supply-options",
        content=raw,
        headers={**AUTH, "Idempotency-Key": key(), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.options[0].unit_cost"


def test_unknown_routes_and_methods_are_problems_naming_what_is_wrong(
    client: TestClient,
) -> None:
    missing = client.get("/nowhere", headers=AUTH)
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    assert missing.json()["errors"][0]["field"] == "path"
    wrong = client.delete("/plan", headers=AUTH)
    assert (wrong.status_code, wrong.headers["content-type"]) == (405, PROBLEM)
    assert wrong.json()["errors"][0]["field"] == "method"


def test_unknown_orders_and_parts_are_404(client: TestClient) -> None:
    for path in ("/orders/NOPE", "/orders/NOPE/explanation", "/parts/NOPE/allocations"):
        answer = client.get(path, headers=AUTH)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
    assert write(client, "POST", "/orders/NOPE/cancel").status_code == 404


def test_cancelling_frees_the_units_for_the_order_that_waits(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-STD", "P-B"))
    write(client, "POST", "/orders", order("O-2", "C-STD", "P-B"))
    cancelled = write(client, "POST", "/orders/O-1/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.get("/orders/O-2", headers=AUTH).json()["allocated_quantity"] == 1
    assert write(client, "POST", "/orders/O-1/cancel").status_code == 409


def test_shipping_consumes_the_units_and_takes_them_out_of_stock(
    client: TestClient, engine: Engine
) -> None:
    write(client, "POST", "/orders", order("O-1", part="P-A", quantity=2))
    shipped = write(client, "POST", "/orders/O-1/ship")
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["allocated_quantity"] == 2
    part = client.get("/parts/P-A/allocations", headers=AUTH).json()
    stock = {s["supply"]: s for s in part["supply"]}
    assert stock["stock|D-US"] == {
        "part_number": "P-A",
        "supply": "stock|D-US",
        "units": 0,
        "promised": 0,
    }
    assert write(client, "POST", "/orders/O-1/ship").status_code == 409
    assert ledger_problems(engine) == []


def test_an_order_holding_nothing_cannot_ship(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", part="P-B"))
    write(client, "POST", "/orders", order("O-2", "C-STD", part="P-B", created_at=EARLY))
    answer = write(client, "POST", "/orders/O-2/ship")
    assert answer.status_code == 409
    assert "holds no units" in answer.json()["detail"]


def test_a_receipt_serves_the_waiting_parts_priority_order_first(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-STD", "C-STD", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-PM", "C-PM", "P-B"))
    answer = write(
        client,
        "POST",
        "/stock/receipts",
        {"lines": [{"part_number": "P-B", "depot_id": "D-US", "quantity": 1}]},
    )
    assert answer.status_code == 200
    changed = {o["order_id"]: o for o in answer.json()["replanned_orders"]}
    assert changed["O-PM"]["allocated_quantity"] == 1
    assert client.get("/orders/O-STD", headers=AUTH).json()["allocated_quantity"] == 0


def test_an_adjustment_below_what_is_promised_backorders_the_last_in_line(
    client: TestClient,
) -> None:
    write(client, "POST", "/orders", order("O-PM", "C-PM", "P-A"))
    write(client, "POST", "/orders", order("O-STD", "C-STD", "P-A"))
    lines = {"lines": [{"part_number": "P-A", "depot_id": "D-US", "delta": -1, "reason": "count"}]}
    assert write(client, "POST", "/stock/adjustments", lines).status_code == 200
    assert client.get("/orders/O-PM", headers=AUTH).json()["allocated_quantity"] == 1
    assert client.get("/orders/O-STD", headers=AUTH).json()["backorder"]["quantity"] == 1
    too_many = {"lines": [{"part_number": "P-A", "depot_id": "D-US", "delta": -5}]}
    answer = write(client, "POST", "/stock/adjustments", too_many)
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["field"] == "body.lines[0].delta"


def test_a_scheduled_receipt_serves_a_backorder(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-STD", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-2", "C-STD", "P-B"))
    receipt = {
        "lines": [
            {"part_number": "P-B", "depot_id": "D-US", "quantity": 1, "eta": "2030-01-01T00:00:00Z"}
        ]
    }
    assert write(client, "POST", "/inbound", receipt).status_code == 201
    body = client.get("/orders/O-2", headers=AUTH).json()
    assert body["allocations"][0]["source"] == "inbound"
    assert body["allocations"][0]["eta"].startswith("2030-01-01")


def test_a_receipt_dated_before_year_one_in_utc_is_a_422_naming_its_eta(
    client: TestClient,
) -> None:
    line = {"part_number": "P-B", "depot_id": "D-US", "quantity": 1}
    receipt = {"lines": [{**line, "eta": "0001-01-01T00:00:00+00:01"}]}
    answer = write(client, "POST", "/inbound", receipt)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body.lines[0].eta"


def test_supply_options_serve_parts_priority_only(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-STD", "C-STD", "P-B"))
    write(client, "POST", "/orders", order("O-PM", "C-PM", "P-B"))
    option = {
        "part_number": "P-B",
        "source": "broker",
        "supplier_id": "BRK",
        "capacity": 5,
        "lead_time_hours": 24,
        "unit_cost": 100,
    }
    answer = write(client, "PUT", "/supply-options", {"options": [option]})
    assert answer.status_code == 200
    sources = sorted(
        line["source"]
        for o in ("O-1", "O-PM")
        for line in client.get(f"/orders/{o}", headers=AUTH).json()["allocations"]
    )
    assert sources == ["broker", "stock"]
    assert client.get("/orders/O-STD", headers=AUTH).json()["allocated_quantity"] == 0
    unknown = write(client, "PUT", "/supply-options", {"options": [{**option, "supplier_id": "X"}]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.options[0].supplier_id"


def test_reads_explain_list_and_page_the_plan(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-STD", "P-B", created_at=EARLY))
    write(client, "POST", "/orders", order("O-2", "C-STD", "P-B"))
    words = client.get("/orders/O-2/explanation", headers=AUTH).json()["explanation"]
    assert "held by O-1" in words
    part = client.get("/parts/P-B/allocations", headers=AUTH).json()
    assert [o["order_id"] for o in part["orders"]] == ["O-1", "O-2"]
    page = client.get("/plan", params={"offset": 1, "limit": 1}, headers=AUTH).json()
    assert (page["total"], [o["order_id"] for o in page["orders"]]) == (2, ["O-2"])
    assert client.get("/plan", params={"limit": 0}, headers=AUTH).status_code == 422


def test_health_needs_no_token_and_names_the_schema(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "schema_revision": head_revision(),
        "loaded": True,
    }


def test_the_ledger_reconciles_after_a_mixed_run(client: TestClient, engine: Engine) -> None:
    for i, (customer, part) in enumerate(
        [("C-STD", "P-A"), ("C-PM", "P-A"), ("C-PM-UY", "P-A"), ("C-PM", "P-B")]
    ):
        write(client, "POST", "/orders", order(f"O-{i}", customer, part))
    write(client, "POST", "/orders/O-1/ship")
    write(client, "POST", "/orders/O-0/cancel")
    assert ledger_problems(engine) == []
