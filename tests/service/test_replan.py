"""Re-planning after each write, on SQLite and on PostgreSQL: the ledger holds the planner's
plan of every group written, and a post that moves nobody's units appends nothing to it."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from allocation.adapters.store import ledger, schema
from allocation.adapters.store.database import run_read
from allocation.service.clock import utc_now
from allocation.service.planning import holdings_of
from allocation.service.routes import Runtime
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.worlds import order

Held = Counter[tuple[str, str]]


def _ledger_entries(engine: Engine) -> int:
    count = select(func.count()).select_from(schema.ledger)
    return int(run_read(engine, lambda c: c.execute(count).scalar_one()))


def _in_ledger(engine: Engine, group: str) -> Held:
    """Units each order holds of each supply, as the database says."""
    rows = run_read(engine, lambda c: ledger.balances(c, group))
    return Counter({(h.order_id, h.supply_key): h.quantity for h in rows.values()})


def _in_plan(client: TestClient, engine: Engine, part: str) -> Held:
    """Units each order holds of each supply in the server's planner."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert isinstance(runtime, Runtime)
    world = run_read(engine, runtime.worlds.get)
    plan = world.plans.planner().group_plan(part)
    held = holdings_of(plan, utc_now())
    return Counter({(h.order_id, h.supply_key): h.quantity for h in held.values()})


def test_posts_that_move_nobody_append_nothing_and_the_ledger_holds_the_plan(
    client: TestClient, engine: Engine
) -> None:
    for order_id in ("O-1", "O-2"):  # P-A has 2 units: both parts_priority orders get one
        assert write(client, "POST", "/orders", order(order_id)).json()["allocated_quantity"] == 1
    entries = _ledger_entries(engine)

    for order_id in ("S-1", "S-2"):
        answer = write(client, "POST", "/orders", order(order_id, "C-STD")).json()
        assert answer["allocated_quantity"] == 0
        assert answer["backorder"]["quantity"] == 1
        assert "rank first" in answer["backorder"]["reason"]
    assert _ledger_entries(engine) == entries
    assert _in_ledger(engine, "P-A") == _in_plan(client, engine, "P-A")

    # A restarted server plans the group afresh; its first write still leaves the ledger
    # holding its plan, and the waiting orders keep their place in line.
    restarted = make_client(engine)
    answer = write(restarted, "POST", "/orders", order("S-3", "C-STD")).json()
    assert answer["backorder"]["quantity"] == 1
    assert _in_ledger(engine, "P-A") == _in_plan(restarted, engine, "P-A")
    assert write(restarted, "POST", "/orders/O-1/cancel").status_code == 200
    assert restarted.get("/orders/S-1", headers=AUTH).json()["allocated_quantity"] == 1
    assert restarted.get("/orders/S-2", headers=AUTH).json()["allocated_quantity"] == 0
    assert _in_ledger(engine, "P-A") == _in_plan(restarted, engine, "P-A")
    assert ledger_problems(engine) == []


def test_a_post_that_gets_free_units_is_written_and_the_others_keep_theirs(
    client: TestClient, engine: Engine
) -> None:
    write(client, "POST", "/orders", order("O-1", "C-STD"))
    entries = _ledger_entries(engine)
    answer = write(client, "POST", "/orders", order("O-2", "C-STD")).json()
    assert answer["allocated_quantity"] == 1
    assert _ledger_entries(engine) == entries + 1
    assert client.get("/orders/O-1", headers=AUTH).json()["allocated_quantity"] == 1
    assert _in_ledger(engine, "P-A") == _in_plan(client, engine, "P-A")
    assert ledger_problems(engine) == []
