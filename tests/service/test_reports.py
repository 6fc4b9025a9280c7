"""Performance reports from the service's database, and root-cause codes in its answers.

The story, on the tiny world (P-A: 2 units, P-B: 1 unit at D-US), on both stores:

- ``O-1``: Prime Corp (PM, US) wants 1 P-A: served from stock, then shipped;
- ``O-2``: Prime Corp wants 2 P-A: gets the last unit, short 1 (still open);
- ``O-UY``: Uruguay Corp (PM, but Uruguay excludes parts priority) wants 1 P-A: short, the
  units went to parts-priority orders; it lost parts priority (``excluded_country``);
- ``O-3``: Prime Corp wants 2 P-B: short 1 until a receipt fills it, then shipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from allocation.adapters.store import migrate, schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.migrate import MIGRATIONS
from allocation.adapters.store.report_facts import DEFAULT_TARGET_HOURS, facts_from_store
from allocation.domain.root_causes import is_code
from allocation.reports import SECTIONS, customer_report
from allocation.service.clock import utc_now
from tests.service import worlds
from tests.service.conftest import AUTH
from tests.service.helpers import write


def _post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = write(client, "POST", "/orders", body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _story(client: TestClient) -> dict[str, dict[str, Any]]:
    """Run the module's story; the answers of the posts, by order id."""
    answers = {
        "O-1": _post(client, worlds.order("O-1")),
        "O-2": _post(client, worlds.order("O-2", quantity=2)),
        "O-UY": _post(client, worlds.order("O-UY", customer="C-PM-UY")),
        "O-3": _post(client, worlds.order("O-3", part="P-B", quantity=2)),
    }
    receipt = {"lines": [{"part_number": "P-B", "depot_id": "D-US", "quantity": 1}]}
    _ok(write(client, "POST", "/stock/receipts", receipt))
    _ok(write(client, "POST", "/orders/O-3/ship"))
    _ok(write(client, "POST", "/orders/O-1/ship"))
    return answers


def _quarter(moment: datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def _report(client: TestClient, customer: str, **query: str) -> dict[str, Any]:
    params = {"period": _quarter(utc_now()), **query}
    return _ok(client.get(f"/reports/customers/{customer}", params=params, headers=AUTH))


def test_a_backorder_answer_carries_a_root_cause_code_from_the_catalogue(
    client: TestClient,
) -> None:
    answers = _story(client)
    assert answers["O-1"]["backorder"] is None
    for order_id in ("O-2", "O-UY", "O-3"):
        backorder = answers[order_id]["backorder"]
        assert backorder["quantity"] == 1
        assert is_code(backorder["code"]), backorder
    assert answers["O-UY"]["backorder"]["code"] == "held_by_higher_class"
    read = _ok(client.get("/orders/O-2", headers=AUTH))
    assert read["backorder"] == answers["O-2"]["backorder"]
    page = _ok(client.get("/plan", headers=AUTH))
    assert all(is_code(o["backorder"]["code"]) for o in page["orders"] if o["backorder"])


def test_a_customers_report_counts_its_orders_backorders_and_root_causes(
    client: TestClient,
) -> None:
    answers = _story(client)
    short_code = answers["O-2"]["backorder"]["code"]
    filled_code = answers["O-3"]["backorder"]["code"]
    report = _report(client, "C-PM")
    assert report["customer_id"] == "C-PM"
    assert report["customer_name"] == "Prime Corp"
    assert report["tier"] == "PM"
    assert report["source"] == "database"
    assert report["target_hours"] == DEFAULT_TARGET_HOURS
    assert report["orders"] == 3
    assert report["parts_priority_orders"] == 3
    assert report["cancelled_orders"] == 0
    assert report["downtime"]["open_orders"] == 1
    assert report["sources"]["stock"]["units"] == 4  # O-1: 1, O-2: 1, O-3: 2
    assert report["lost_priority"] == {"orders": 0, "by_code": {}}
    assert report["backorders"]["open"] == 1
    assert report["backorders"]["open_by_code"] == {short_code: 1}
    assert report["backorders"]["closed"] == 1
    assert report["backorders"]["closed_by_code"] == {filled_code: 1}
    expected: dict[str, int] = {}
    for code in (short_code, filled_code):
        expected[code] = expected.get(code, 0) + 1
    assert report["root_causes"] == expected


def test_an_order_that_lost_parts_priority_is_reported_with_its_entitlement_code(
    client: TestClient,
) -> None:
    _story(client)
    report = _report(client, "C-PM-UY")
    assert report["tier"] == "PM"
    assert report["orders"] == 1
    assert report["parts_priority_orders"] == 0
    assert report["lost_priority"] == {"orders": 1, "by_code": {"excluded_country": 1}}
    # Short because parts-priority orders rank first: its entitlement kept it waiting.
    assert report["backorders"]["open_by_code"] == {"excluded_country": 1}
    assert report["root_causes"] == {"excluded_country": 1}


def test_the_report_is_a_printable_page_when_asked_for_html(client: TestClient) -> None:
    _story(client)
    url = "/reports/customers/C-PM"
    by_format = client.get(url, params={"format": "html"}, headers=AUTH)
    by_accept = client.get(url, headers={**AUTH, "Accept": "text/html,*/*;q=0.8"})
    for response in (by_format, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        for section in SECTIONS:
            assert f'id="{section}"' in response.text
    as_json = client.get(url, headers={**AUTH, "Accept": "application/json, text/html;q=0.5"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["customer_id"] == "C-PM"


def test_a_report_without_a_period_covers_everything_the_store_holds(
    client: TestClient,
) -> None:
    _story(client)
    report = _ok(client.get("/reports/customers/C-PM", headers=AUTH))
    assert report["orders"] == 3
    assert report["previous_period"] is None


def test_reports_need_the_token(client: TestClient) -> None:
    response = client.get("/reports/customers/C-PM")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_customer_is_a_404_that_names_it(client: TestClient) -> None:
    response = client.get("/reports/customers/C-NOBODY", headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "C-NOBODY" in problem["detail"]
    assert problem["errors"] == [{"field": "path.customer_id", "message": "unknown customer"}]


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "0001-Q1", "last quarter"])
def test_a_bad_period_is_a_422_that_names_the_parameter(client: TestClient, period: str) -> None:
    response = client.get("/reports/customers/C-PM", params={"period": period}, headers=AUTH)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.period"]


def test_an_unknown_format_is_a_422_that_names_the_parameter(client: TestClient) -> None:
    response = client.get("/reports/customers/C-PM", params={"format": "pdf"}, headers=AUTH)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.format"]


def test_facts_from_the_store_keep_what_happened_to_each_order(
    client: TestClient, engine: Engine
) -> None:
    _story(client)
    facts = facts_from_store(engine)
    orders = facts.orders.set_index("order_id")
    assert sorted(orders.index) == ["O-1", "O-2", "O-3", "O-UY"]
    assert (orders["replication"] == 0).all()
    assert orders["status"].to_dict() == {
        "O-1": "restored",
        "O-2": "open",
        "O-3": "restored",
        "O-UY": "open",
    }
    assert orders["depot_id"].unique().tolist() == ["D-US"]
    # O-3 was short until the receipt: it stays a backorder that was, with its code.
    assert orders["backordered"].to_dict() == {
        "O-1": False,
        "O-2": True,
        "O-3": True,
        "O-UY": True,
    }
    assert orders.loc["O-1", "code"] is None
    assert is_code(orders.loc["O-3", "code"])
    assert orders.loc["O-UY", "code"] == "excluded_country"
    assert orders["lost_code"].to_dict() == {
        "O-1": None,
        "O-2": None,
        "O-3": None,
        "O-UY": "excluded_country",
    }
    restored = orders.loc["O-1", "restored_at"]
    assert orders.loc["O-1", "created_at"] <= restored <= facts.as_of
    assert orders["restored_at"].isna().to_dict() == {
        "O-1": False,
        "O-2": True,
        "O-3": False,
        "O-UY": True,
    }
    sources = facts.sources.set_index("order_id")
    assert sources["quantity"].to_dict() == {"O-1": 1, "O-2": 1, "O-3": 2}
    assert set(sources["source_kind"]) == {"stock"}
    assert (sources["money"] == 0).all()  # home stock costs nothing to bring
    tiers = facts.customers.set_index("customer_id")["tier"].to_dict()
    assert tiers == {"C-PM": "PM", "C-PM-UY": "PM", "C-STD": "standard"}


def test_facts_end_at_as_of(client: TestClient, engine: Engine) -> None:
    _story(client)
    before = facts_from_store(engine, as_of=utc_now() - timedelta(days=1))
    assert before.orders.empty
    assert before.sources.empty
    assert len(before.customers) == 3


def test_facts_of_some_customers_hold_only_theirs(client: TestClient, engine: Engine) -> None:
    _story(client)
    facts = run_read(engine, lambda c: facts_from_store(c, customers=["C-PM-UY"]))
    assert facts.orders["order_id"].tolist() == ["O-UY"]
    assert facts.sources.empty
    assert facts.customers["customer_id"].tolist() == ["C-PM-UY"]
    report = customer_report(facts, "C-PM-UY")
    assert report.current.lost_priority == {"excluded_country": 1.0}


def test_an_order_down_past_the_target_without_being_short_is_a_slow_source(
    client: TestClient, engine: Engine
) -> None:
    _post(client, worlds.order("O-OLD", created_at=worlds.EARLY))
    facts = facts_from_store(engine)
    order = facts.orders.set_index("order_id").loc["O-OLD"]
    assert not order["backordered"]
    assert order["code"] == "slow_source"


def test_the_migration_keeps_what_existing_rows_already_tell(
    client: TestClient, engine: Engine
) -> None:
    _story(client)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    migrate(engine)
    o, entries = schema.orders, schema.ledger

    def look(connection: Any) -> tuple[dict[str, Any], ...]:
        rows = connection.execute(select(o.c.order_id, o.c.backordered, o.c.closed_at)).all()
        consumed = connection.execute(
            select(entries.c.order_id, entries.c.recorded_at).where(entries.c.event == "consume")
        ).all()
        return (
            {r.order_id: bool(r.backordered) for r in rows},
            {r.order_id: r.closed_at for r in rows},
            {r.order_id: r.recorded_at for r in consumed},
        )

    backordered, closed, consumed = run_read(engine, look)
    # Only the backorders standing at the upgrade are known.
    assert backordered == {"O-1": False, "O-2": True, "O-3": False, "O-UY": True}
    assert closed == {"O-1": consumed["O-1"], "O-2": None, "O-3": consumed["O-3"], "O-UY": None}
