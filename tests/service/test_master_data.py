"""Master data over HTTP, on SQLite and on PostgreSQL: customers, contracts, parts, depots and
lanes are created and changed by keyed writes, read back, checked by the snapshot loader's
rules, and every change re-plans what it touches, with its events in the feed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from allocation.adapters.store.database import lock_groups, run_read, run_write
from allocation.service.clock import utc_now
from allocation.service.world import WorldCache
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import key, ledger_problems, write
from tests.service.worlds import PM_SKU, PURCHASED, order

PROBLEM = "application/problem+json"
CUSTOMER = {
    "name": "Nordhafen GmbH",
    "country": "Germany",
    "installed_base_pcs": 1500,
    "installed_base_printers": 0,
    "has_it_helpdesk": True,
}
LANE = {"transit_hours": 30.0, "cost_per_unit": 12.5}


def _customer(**changes: object) -> dict[str, Any]:
    return {**CUSTOMER, **changes}


def _fields(answer: Any) -> list[str]:
    assert answer.headers["content-type"] == PROBLEM, answer.text
    return [e["field"] for e in answer.json()["errors"]]


def _events(client: TestClient, after: int) -> list[tuple[str, str, str | None]]:
    page = client.get(f"/events?after={after}&limit=1000", headers=AUTH).json()
    return [(e["kind"], e["order_id"], e["source"]) for e in page["events"]]


def _cursor(client: TestClient) -> int:
    return int(client.get("/events?after=0&limit=1000", headers=AUTH).json()["next"])


def test_a_customer_is_created_read_back_and_changed(client: TestClient, engine: Engine) -> None:
    created = write(client, "PUT", "/customers/C-NEW", _customer())
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True
    assert created.json()["customer"]["country"] == "DE"  # stored as ISO alpha-2
    assert client.get("/customers/C-NEW", headers=AUTH).json() == created.json()["customer"]

    changed = write(client, "PUT", "/customers/C-NEW", _customer(name="Nordhafen AG"))
    assert changed.status_code == 200
    assert changed.json()["created"] is False
    assert client.get("/customers/C-NEW", headers=AUTH).json()["name"] == "Nordhafen AG"
    # The new customer can order at once, here and in a server started afresh.
    answer = write(client, "POST", "/orders", order("O-NEW", "C-NEW"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["priority_class"] == "standard"
    fresh = make_client(engine)
    assert fresh.get("/customers/C-NEW", headers=AUTH).json()["name"] == "Nordhafen AG"
    assert write(fresh, "POST", "/orders", order("O-NEW-2", "C-NEW")).status_code == 201
    assert ledger_problems(engine) == []


def test_the_same_key_replays_the_answer_and_another_body_with_it_is_refused(
    client: TestClient,
) -> None:
    k = key()
    first = write(client, "PUT", "/depots/D-JP", {"country": "JP"}, idempotency_key=k)
    assert first.status_code == 201
    again = write(client, "PUT", "/depots/D-JP", {"country": "JP"}, idempotency_key=k)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = write(client, "PUT", "/depots/D-JP", {"country": "KR"}, idempotency_key=k)
    assert other.status_code == 422
    assert _fields(other) == ["header.Idempotency-Key"]
    assert client.get("/depots/D-JP", headers=AUTH).json() == {"depot_id": "D-JP", "country": "JP"}
    missing = client.put("/depots/D-KR", json={"country": "KR"}, headers=AUTH)
    assert missing.status_code == 400
    assert _fields(missing) == ["header.Idempotency-Key"]


def test_unknown_references_and_values_the_loader_refuses_are_422s_naming_the_field(
    client: TestClient,
) -> None:
    contract = {"customer_id": "C-NOBODY", "sku": PM_SKU, "purchase_date": PURCHASED}
    refused = [
        (write(client, "PUT", "/contracts/K-9", contract), ["body.customer_id"]),
        (
            write(
                client, "PUT", "/contracts/K-9", {**contract, "customer_id": "C-STD", "sku": "X1"}
            ),
            ["body.sku"],
        ),
        (write(client, "PUT", "/customers/C-X", _customer(country="Atlantis")), ["body.country"]),
        (write(client, "PUT", "/depots/D-XX", {"country": "ZZ"}), ["body.country"]),
        (write(client, "PUT", "/depots/%20D-XX", {"country": "US"}), ["path.depot_id"]),
        (write(client, "PUT", "/customers/C-X", _customer(name=" ")), ["body.name"]),
        (write(client, "PUT", "/depots/BRK", {"country": "US"}), ["path.depot_id"]),
        (write(client, "PUT", "/lanes/D-NOWHERE/US", LANE), ["path.origin"]),
        (write(client, "PUT", "/lanes/D-US/Atlantis", LANE), ["path.destination"]),
        (write(client, "PUT", "/lanes/D-US/D-US", LANE), ["path.destination"]),
        (
            write(client, "PUT", "/parts/P-C", {"unit_cost": 5.0, "substitutes": ["P-NONE"]}),
            ["body.substitutes"],
        ),
        (write(client, "PUT", "/customers/C-X", _customer(installed_base_pcs=-1)), None),
        (write(client, "PUT", "/lanes/D-US/JP", {**LANE, "transit_hours": 1e6}), None),
    ]
    for answer, fields in refused:
        assert answer.status_code == 422, answer.text
        if fields is not None:
            assert _fields(answer) == fields
    for path in ("/customers/C-X", "/contracts/K-9", "/depots/D-XX", "/parts/P-C"):
        assert client.get(path, headers=AUTH).status_code == 404
    assert client.get("/lanes/D-US/JP", headers=AUTH).status_code == 404


def test_a_customer_moved_to_an_excluded_country_loses_priority_and_its_unit(
    client: TestClient, engine: Engine
) -> None:
    # P-B has one unit: the Priority Management order holds it over an older standard one.
    assert write(client, "POST", "/orders", order("O-PM", "C-PM", "P-B")).status_code == 201
    waiting = order("O-STD", "C-STD", "P-B", created_at=worlds.EARLY)
    assert write(client, "POST", "/orders", waiting).json()["allocated_quantity"] == 0
    cursor = _cursor(client)

    prime = {
        "name": "Prime Corp",
        "country": "Uruguay",
        "installed_base_pcs": 2000,
        "installed_base_printers": 0,
        "has_it_helpdesk": True,
    }
    answer = write(client, "PUT", "/customers/C-PM", prime)
    assert answer.status_code == 200, answer.text
    replanned = {o["order_id"]: o for o in answer.json()["replanned_orders"]}
    assert replanned["O-PM"]["priority_class"] == "standard"
    assert replanned["O-PM"]["tier"] == "PM"  # its other features stay
    assert any("Uruguay" in r for r in replanned["O-PM"]["entitlement_reasons"])
    assert replanned["O-PM"]["allocated_quantity"] == 0
    assert replanned["O-STD"]["allocated_quantity"] == 1  # the older order, now first
    events = _events(client, cursor)
    assert ("released", "O-PM", "stock") in events
    assert ("allocated", "O-STD", "stock") in events
    assert client.get("/orders/O-PM", headers=AUTH).json()["country"] == "UY"
    assert ledger_problems(engine) == []


def test_a_contract_gives_priority_and_the_unit_and_takes_them_along_when_it_moves(
    client: TestClient, engine: Engine
) -> None:
    write(client, "PUT", "/customers/C-NEW", _customer(country="US"))
    # The older of two standard orders holds P-B's one unit.
    write(client, "POST", "/orders", order("O-STD", "C-STD", "P-B", created_at=worlds.EARLY))
    write(client, "POST", "/orders", order("O-NEW", "C-NEW", "P-B"))
    assert client.get("/orders/O-NEW", headers=AUTH).json()["allocated_quantity"] == 0

    contract = {"customer_id": "C-STD", "sku": PM_SKU.lower(), "purchase_date": PURCHASED}
    answer = write(client, "PUT", "/contracts/K-3", contract)
    assert answer.status_code == 201, answer.text
    assert answer.json()["contract"]["sku"] == PM_SKU  # as the loader reads it
    assert answer.json()["contract"]["activation_date"] is None
    [std] = answer.json()["replanned_orders"]
    assert (std["order_id"], std["priority_class"], std["tier"]) == (
        "O-STD",
        "parts_priority",
        "PM",
    )
    assert std["allocated_quantity"] == 1
    assert client.get("/contracts/K-3", headers=AUTH).json()["customer_id"] == "C-STD"

    # The contract moves to C-NEW: C-STD's order loses priority, and C-NEW's takes the unit.
    cursor = _cursor(client)
    moved = write(client, "PUT", "/contracts/K-3", {**contract, "customer_id": "C-NEW"})
    assert moved.status_code == 200
    replanned = {o["order_id"]: o for o in moved.json()["replanned_orders"]}
    assert replanned["O-STD"]["priority_class"] == "standard"
    assert replanned["O-STD"]["allocated_quantity"] == 0
    assert replanned["O-NEW"]["priority_class"] == "parts_priority"
    assert replanned["O-NEW"]["allocated_quantity"] == 1
    events = _events(client, cursor)
    assert ("released", "O-STD", "stock") in events
    assert ("allocated", "O-NEW", "stock") in events
    assert ledger_problems(engine) == []


def test_a_new_depot_and_lane_let_a_stranded_order_be_served_by_transfer(
    client: TestClient, engine: Engine
) -> None:
    stranded = write(client, "POST", "/orders", order("O-JP", ship_to_country="JP")).json()
    assert stranded["allocated_quantity"] == 0
    assert stranded["backorder"]["code"] == "no_route"

    depot = write(client, "PUT", "/depots/D-JP", {"country": "Japan"})
    assert depot.status_code == 201
    assert depot.json()["replanned_orders"] == []  # D-JP holds no P-A
    cursor = _cursor(client)

    lane = write(client, "PUT", "/lanes/D-US/Japan", LANE)
    assert lane.status_code == 201, lane.text
    assert lane.json()["lane"] == {"origin": "D-US", "destination": "JP", **LANE}
    served = lane.json()["replanned_orders"]
    assert [(o["order_id"], o["allocated_quantity"]) for o in served] == [("O-JP", 1)]
    line = served[0]["allocations"][0]
    assert (line["source"], line["origin"]) == ("transfer", "D-US")
    assert ("allocated", "O-JP", "transfer") in _events(client, cursor)
    assert client.get("/lanes/D-US/JP", headers=AUTH).json() == lane.json()["lane"]

    slower = write(client, "PUT", "/lanes/D-US/JP", {**LANE, "transit_hours": 60.0})
    assert slower.status_code == 200
    assert slower.json()["created"] is False
    assert client.get("/orders/O-JP", headers=AUTH).json()["allocated_quantity"] == 1
    assert ledger_problems(engine) == []


def test_parts_are_created_in_their_own_group_or_join_one_but_never_merge_groups(
    client: TestClient, engine: Engine
) -> None:
    new = write(client, "PUT", "/parts/P-C", {"description": "fan", "unit_cost": 4.0})
    assert new.status_code == 201, new.text
    assert new.json()["part"] == {
        "part_number": "P-C",
        "description": "fan",
        "unit_cost": 4.0,
        "substitutes": [],
        "part_group": "P-C",
    }
    waits = write(client, "POST", "/orders", order("O-C", part="P-C")).json()
    assert waits["backorder"]["quantity"] == 1
    receipt = {"lines": [{"part_number": "P-C", "depot_id": "D-US", "quantity": 1}]}
    assert write(client, "POST", "/stock/receipts", receipt).status_code == 200
    assert client.get("/orders/O-C", headers=AUTH).json()["allocated_quantity"] == 1

    # P-Z may be replaced by P-A: it joins P-A's group, whose key stays P-A.
    joined = write(client, "PUT", "/parts/P-Z", {"unit_cost": 9.0, "substitutes": ["P-A"]})
    assert joined.status_code == 201, joined.text
    assert joined.json()["part"]["part_group"] == "P-A"
    assert client.get("/parts/P-Z", headers=AUTH).json()["substitutes"] == ["P-A"]
    answer = write(client, "POST", "/orders", order("O-Z", part="P-Z")).json()
    assert answer["allocations"][0]["part_number"] == "P-A"

    merge = write(client, "PUT", "/parts/P-B", {"unit_cost": 10.0, "substitutes": ["P-A"]})
    assert merge.status_code == 409
    assert _fields(merge) == ["body.substitutes"]
    cheaper = write(client, "PUT", "/parts/P-C", {"description": "fan", "unit_cost": 3.5})
    assert cheaper.status_code == 200
    assert client.get("/parts/P-C", headers=AUTH).json()["unit_cost"] == 3.5
    assert ledger_problems(engine) == []


def test_a_write_whose_world_is_older_than_the_master_data_it_locked_runs_again(
    client: TestClient, engine: Engine
) -> None:
    # A server read the master data's version, then another changed a customer before the
    # first locked its part group (possible on PostgreSQL): the first write runs again.
    cache = WorldCache()
    stale = run_read(engine, cache.get)
    prime = {**_customer(name="Prime Corp"), "country": "UY"}
    assert write(client, "PUT", "/customers/C-PM", prime).status_code == 200
    seen: list[str] = []

    def work(connection: Connection) -> str:
        world = stale if not seen else cache.get(connection)
        seen.append(world.version)
        stamps = lock_groups(connection, ["P-A"], utc_now())
        world.plans.prepare(connection, world, stamps, utc_now())
        return world.version

    assert run_write(engine, work) == seen[-1]
    assert len(seen) == 2
    assert seen[0] == stale.version != seen[1]
