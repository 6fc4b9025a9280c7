"""GET /suppliers/scorecard on SQLite and on PostgreSQL: purchase lines shipped and failed,
per supplier and source kind, against what the supply options declare."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.service import worlds
from tests.service.conftest import AUTH
from tests.service.helpers import write
from tests.service.worlds import order


def _broker(capacity: int, success: float | None) -> dict[str, Any]:
    option: dict[str, Any] = {
        "part_number": "P-B",
        "source": "broker",
        "supplier_id": "BRK",
        "capacity": capacity,
        "lead_time_hours": 24,
        "unit_cost": 100,
    }
    if success is not None:
        option["success_probability"] = success
    return {"options": [option]}


def _two_buys_one_failed(client: TestClient, success: float | None) -> None:
    """O-1 holds P-B's one unit in stock; O-2 and O-3 buy theirs from the broker BRK; O-2's
    arrives and ships, O-3's fails."""
    assert write(client, "PUT", "/supply-options", _broker(2, success)).status_code == 200
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
    for order_id in ("O-2", "O-3"):
        answer = write(client, "POST", "/orders", order(order_id, "C-PM", "P-B")).json()
        assert [a["source"] for a in answer["allocations"]] == ["broker"]
    assert write(client, "POST", "/orders/O-2/ship").status_code == 200
    failed = {"source": "broker", "origin": "BRK", "reason": "counterfeit"}
    assert write(client, "POST", "/orders/O-3/purchase-failed", failed).status_code == 200


def test_a_shipped_and_a_failed_buy_make_the_brokers_score(client: TestClient) -> None:
    assert client.get("/suppliers/scorecard", headers=AUTH).json() == []
    _two_buys_one_failed(client, success=0.9)

    answer = client.get("/suppliers/scorecard", headers=AUTH)

    assert answer.status_code == 200
    [row] = answer.json()
    assert (row["supplier_id"], row["source"], row["buys"], row["failed"]) == (
        "BRK",
        "broker",
        2,
        1,
    )
    assert row["success_rate"] == 0.5
    assert row["ci_low"] < 0.5 < row["ci_high"]
    assert row["declared_success"] == 0.9
    assert row["verdict"] == "as declared"  # one failure in two is no evidence against 90%


def test_a_failure_of_an_option_that_declares_nothing_contradicts_its_certainty(
    client: TestClient,
) -> None:
    _two_buys_one_failed(client, success=None)  # blank: the option is certain

    [row] = client.get("/suppliers/scorecard?confidence=0.5", headers=AUTH).json()

    assert row["declared_success"] == 1.0
    assert row["verdict"] == "less reliable than declared"


def test_the_scorecard_needs_the_token_and_a_level_between_0_and_1(client: TestClient) -> None:
    assert client.get("/suppliers/scorecard").status_code == 401
    for level in ("0", "1", "x"):
        refused = client.get(f"/suppliers/scorecard?confidence={level}", headers=AUTH)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = client.get("/suppliers/scorecard?level=0.9", headers=AUTH)
    assert unknown.status_code == 422
