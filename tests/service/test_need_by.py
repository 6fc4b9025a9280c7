"""Response-time targets in the service, on SQLite and on PostgreSQL: an order's ``need_by``
is taken at intake, stored, planned with as :func:`allocation.allocate` plans it, and shown
with the hours its units are late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from allocation import allocate
from allocation.adapters.snapshot import load_snapshot
from allocation.adapters.store.database import run_write
from allocation.domain.model import Tier
from allocation.domain.policy import AllocationPolicy
from allocation.domain.response import ResponseTimes
from allocation.service.clock import utc_now
from allocation.service.intake import create_orders
from allocation.service.models import OrderIn
from allocation.service.world import WorldCache
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.worlds import order

PROBLEM = "application/problem+json"


def _in(hours: float) -> str:
    """A moment ``hours`` from now, as an ISO 8601 date-time with an offset."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _sources(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["source"], a["origin"]) for a in answer["allocations"]]


def _two_depots(client: TestClient) -> None:
    """P-B: one unit on hand at D-US (ETA now), one at D-DE (a transfer, 24 h); O-1, an
    older parts-priority order with no target, holds the one at D-US."""
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-DE", "quantity": 1}]}
    assert write(client, "POST", "/stock/receipts", receipt).status_code == 200
    first = write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
    assert _sources(first.json()) == [("stock", "D-US")]


def test_a_pm_order_with_a_tight_need_by_takes_the_unit_that_makes_it_on_time(
    client: TestClient, engine: Engine
) -> None:
    _two_depots(client)
    posted = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B", need_by=_in(12)))
    assert posted.status_code == 201
    body = posted.json()
    assert _sources(body) == [("stock", "D-US")]
    assert body["need_by"] is not None
    assert body["late_hours"] == 0.0
    older = client.get("/orders/O-1", headers=AUTH).json()
    assert _sources(older) == [("transfer", "D-DE")]
    assert older["need_by"] is None
    assert older["late_hours"] is None

    rows = {o["order_id"]: o for o in client.get("/plan", headers=AUTH).json()["orders"]}
    assert rows["O-2"]["need_by"] == body["need_by"]
    assert rows["O-2"]["late_hours"] == 0.0
    held = client.get("/parts/P-B/allocations", headers=AUTH).json()["orders"]
    assert [(o["order_id"], o["late_hours"]) for o in held] == [("O-1", None), ("O-2", 0.0)]
    why = client.get("/orders/O-2/explanation", headers=AUTH).json()["explanation"]
    assert ": on time" in why
    assert ledger_problems(engine) == []


def test_without_a_target_the_older_order_keeps_the_nearest_unit(client: TestClient) -> None:
    _two_depots(client)
    body = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B")).json()
    assert _sources(body) == [("transfer", "D-DE")]
    assert body["need_by"] is None
    assert body["late_hours"] is None
    assert _sources(client.get("/orders/O-1", headers=AUTH).json()) == [("stock", "D-US")]


def test_an_order_that_cannot_make_its_target_shows_its_late_hours_and_why(
    client: TestClient,
) -> None:
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-DE", "quantity": 1}]}
    write(client, "POST", "/stock/receipts", receipt)
    gone = {"lines": [{"part_number": "P-B", "depot_id": "D-US", "delta": -1}]}
    assert write(client, "POST", "/stock/adjustments", gone).status_code == 200
    body = write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", need_by=_in(12))).json()
    assert _sources(body) == [("transfer", "D-DE")]
    assert body["late_hours"] == pytest.approx(12.0, abs=0.05)
    why = client.get("/orders/O-1/explanation", headers=AUTH).json()["explanation"]
    assert "late by 12.0 h: the nearest unit is in D-DE" in why


def test_need_by_survives_a_restart_and_re_plans_from_the_rows_keep_it(
    client: TestClient, engine: Engine
) -> None:
    _two_depots(client)
    due = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B", need_by=_in(12))).json()
    restarted = make_client(engine)  # plans every group afresh from the rows
    assert restarted.get("/orders/O-2", headers=AUTH).json()["need_by"] == due["need_by"]
    write(restarted, "POST", "/orders", order("S-1", "C-STD", "P-B"))
    assert _sources(restarted.get("/orders/O-2", headers=AUTH).json()) == [("stock", "D-US")]
    assert _sources(restarted.get("/orders/O-1", headers=AUTH).json()) == [("transfer", "D-DE")]
    assert ledger_problems(engine) == []


def test_the_service_plans_targets_as_allocate_plans_the_same_snapshot(
    client: TestClient,
) -> None:
    _two_depots(client)
    due = _in(12)
    write(client, "POST", "/orders", order("O-2", "C-PM", "P-B", need_by=due))
    served = {o: _sources(client.get(f"/orders/{o}", headers=AUTH).json()) for o in ("O-1", "O-2")}

    tables = worlds.tables({"P-A": 2, "P-B": 1})
    german = pd.DataFrame({"part_number": ["P-B"], "depot_id": ["D-DE"], "on_hand": [1]})
    tables["stock"] = pd.concat([tables["stock"], german], ignore_index=True)
    now = utc_now().isoformat()
    orders = [
        order("O-1", "C-PM", "P-B", created_at=worlds.EARLY, need_by=None),
        order("O-2", "C-PM", "P-B", created_at=now, need_by=due),
    ]
    tables["orders"] = pd.DataFrame(orders).assign(ship_to_country=None)
    plan = allocate(load_snapshot(tables).at(datetime.fromisoformat(now)))
    lines = plan.lines
    planned = {
        o: list(zip(g["source"], g["origin"], strict=True)) for o, g in lines.groupby("order_id")
    }
    assert planned == served
    assert set(lines["late_hours"]) == {0.0}


# The store's kind changes nothing in these refusals (token, body schema, known ids): one store.
@pytest.mark.parametrize("store_kind", ["sqlite"])
@pytest.mark.parametrize("bad", ["2026-13-01T00:00:00Z", "tomorrow", "", [2026, 1, 1]])
def test_a_bad_need_by_is_a_422_that_names_the_field(client: TestClient, bad: object) -> None:
    answer = write(client, "POST", "/orders", order("O-1", need_by=bad))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in answer.json()["errors"]] == ["body.need_by"]
    batch = write(client, "POST", "/orders", {"orders": [order("O-2", need_by=bad)]})
    assert batch.status_code == 422
    assert [e["field"] for e in batch.json()["errors"]] == ["body.orders[0].need_by"]
    assert client.get("/orders/O-1", headers=AUTH).status_code == 404


def test_an_order_without_need_by_gets_the_policy_response_time_fixed_at_intake(
    engine: Engine,
) -> None:
    policy = AllocationPolicy(response_hours=ResponseTimes(tier={Tier.PM: 8.0}))
    worlds_ = WorldCache(policy=policy)
    now = utc_now()
    created = now - timedelta(hours=1)
    lines = [
        OrderIn.model_validate(order("O-1", created_at=created.isoformat())),
        OrderIn.model_validate(order("O-2", "C-STD")),
    ]
    answers = run_write(
        engine, lambda c: create_orders(c, worlds_.get(c), now, lines, "test", batch=True)
    )
    assert answers[0].need_by == created + timedelta(hours=8)
    assert answers[0].late_hours == 0.0
    assert answers[1].need_by is None  # no response time for standard
