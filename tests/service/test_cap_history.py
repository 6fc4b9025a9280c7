"""Fair-share caps in the service count what was shipped earlier in the cap's period, on
SQLite and on PostgreSQL: a customer capped at one unit of P-A a week that shipped one this
week waits for the next, whatever server plans it, while another customer is served."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from allocation.adapters.store import make_engine, schema
from allocation.domain.fair_share import Cap, FairShare, TakenEarlier, period_start
from allocation.domain.policy import AllocationPolicy
from allocation.entrypoints.cli import main
from allocation.service.cap_history import period_turned
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.worlds import order

CAPPED = """\
allocation:
  fair_share:
    caps:
      - {by: customer, part: P-A, units: 1, period: week}
"""


def _load(db_url: str, folder: Path) -> None:
    snapshot = folder / "snap"
    snapshot.mkdir()
    for name, frame in worlds.tables({"P-A": 3, "P-B": 1}).items():
        frame.to_csv(snapshot / f"{name}.csv", index=False)
    (folder / "caps.yaml").write_text(CAPPED, encoding="utf-8")
    args = ["load", "--snapshot", str(snapshot), "--db", db_url, "--policy"]
    assert main([*args, str(folder / "caps.yaml")]) == 0


def _post(client: Any, order_id: str, customer: str = "C-PM") -> dict[str, Any]:
    answer = write(client, "POST", "/orders", order(order_id, customer, "P-A"))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_units_shipped_this_week_count_against_the_customers_weekly_cap(
    db_url: str, tmp_path: Path
) -> None:
    _load(db_url, tmp_path)
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        assert _post(client, "O-1")["allocated_quantity"] == 1
        assert write(client, "POST", "/orders/O-1/ship").status_code == 200
        # C-PM took its one unit this week: its next order waits, though two are on hand.
        waiting = _post(client, "O-2")
        assert waiting["allocated_quantity"] == 0
        assert waiting["backorder"]["code"] == "capped_by_fair_share"
        assert "capped: customer C-PM has taken its" in waiting["backorder"]["reason"]
        assert _post(client, "S-1", "C-STD")["allocated_quantity"] == 1
        # A restarted server reads the week's shipments too.
        restarted = make_client(engine)
        assert _post(restarted, "O-3")["allocated_quantity"] == 0
        explanation = restarted.get("/orders/O-2/explanation", headers=AUTH).json()
        assert "O-2" in explanation["explanation"]
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def test_a_shipment_before_the_period_began_does_not_count(db_url: str, tmp_path: Path) -> None:
    _load(db_url, tmp_path)
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        assert _post(client, "O-1")["allocated_quantity"] == 1
        assert write(client, "POST", "/orders/O-1/ship").status_code == 200
        last_month = datetime.utcnow() - timedelta(days=40)
        with engine.begin() as connection:
            o = schema.orders
            connection.execute(update(o).where(o.c.order_id == "O-1").values(closed_at=last_month))
        restarted = make_client(engine)
        assert _post(restarted, "O-2")["allocated_quantity"] == 1
    finally:
        engine.dispose()


def test_a_planner_reads_the_takings_again_once_the_period_turns() -> None:
    policy = AllocationPolicy(fair_share=FairShare((Cap("customer", "P-A", units=1),)))
    monday = datetime(2026, 12, 7, 0, 0)
    read = TakenEarlier(by_party={("P-A", "C-PM"): 1}, since={"P-A": monday})
    assert not period_turned(read, policy, ["P-A"], monday + timedelta(days=6, hours=23))
    assert period_turned(read, policy, ["P-A"], monday + timedelta(days=7))
    assert not period_turned(read, policy, ["P-B"], monday + timedelta(days=7))  # no cap
    assert period_start("week", monday + timedelta(days=7)) == monday + timedelta(days=7)
    assert not period_turned(TakenEarlier(), AllocationPolicy(), ["P-A"], monday)


@pytest.mark.parametrize("by", ["customer", "country", "region"])
def test_the_party_of_a_shipment_is_the_one_an_open_order_has(by: str) -> None:
    from allocation.domain.fair_share import party_of

    expected = {"customer": "C-PM", "country": "US", "region": "Americas"}[by]
    assert party_of(Cap(by, "P-A", units=1).by, "C-PM", "US") == expected
