"""Backup units for broker buys in the service (the stored policy's ``broker_backup``), on
SQLite and on PostgreSQL: a parts-priority order bought from a broker holds a free shelf
unit, ``GET /orders/{id}/backups`` shows it, and a failed buy takes it at once, firmed, so
that an older order arriving later cannot take it away.

The world: P-B has one unit at D-US (the orders' home) and one at D-DE (24 h by transfer);
the broker BRK sells one unit in 16 h (4 h lead time, 12 h lane). O-1 (oldest) takes the
unit at D-US, O-2 buys from the broker, and D-DE's unit is what is left to hold.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from allocation.adapters.store import make_engine
from allocation.entrypoints.cli import main
from tests.service import worlds
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.worlds import order

BACKUP = "allocation:\n  broker_backup: true\n"
LATER = (datetime.utcnow() - timedelta(days=90)).replace(microsecond=0).isoformat()


def _load(db_url: str, folder: Path, policy: str | None, capacity: int = 1) -> None:
    tables = worlds.tables({"P-A": 3, "P-B": 1})
    tables["stock"] = pd.concat(
        [
            tables["stock"],
            pd.DataFrame({"part_number": ["P-B"], "depot_id": ["D-DE"], "on_hand": [1]}),
        ],
        ignore_index=True,
    )
    tables["supply_options"] = pd.DataFrame(
        {
            "part_number": ["P-B"],
            "source": ["broker"],
            "supplier_id": ["BRK"],
            "capacity": [capacity],
            "lead_time_hours": [4.0],
            "unit_cost": [100.0],
            "success_probability": [0.9],
        }
    )
    snapshot = folder / "snap"
    snapshot.mkdir()
    for name, frame in tables.items():
        frame.to_csv(snapshot / f"{name}.csv", index=False)
    args = ["load", "--snapshot", str(snapshot), "--db", db_url]
    if policy is not None:
        (folder / "policy.yaml").write_text(policy, encoding="utf-8")
        args += ["--policy", str(folder / "policy.yaml")]
    assert main(args) == 0


def _lines(answer: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(a["source"], a["origin"], a["quantity"]) for a in answer["allocations"]]


def _posted(client: TestClient) -> None:
    write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
    answer = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B")).json()
    assert _lines(answer) == [("broker", "BRK", 1)]


def _fail(client: TestClient) -> dict[str, Any]:
    body = {"source": "broker", "origin": "BRK", "reason": "broker sold out"}
    answer = write(client, "POST", "/orders/O-2/purchase-failed", body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _kinds(client: TestClient) -> list[tuple[str, str, str | None]]:
    events = client.get("/events", headers=AUTH).json()["events"]
    return [(e["kind"], e["order_id"], e["source"]) for e in events if e["order_id"] == "O-2"]


def test_a_failed_broker_buy_takes_its_held_unit_firmed_and_keeps_it(
    db_url: str, tmp_path: Path
) -> None:
    _load(db_url, tmp_path, BACKUP)
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        _posted(client)
        held = client.get("/orders/O-2/backups", headers=AUTH).json()
        assert (held["broker_backup"], held["broker_units"]) == (True, 1)
        assert [
            (h["part_number"], h["source"], h["origin"], h["quantity"]) for h in held["held"]
        ] == [("P-B", "transfer", "D-DE", 1)]
        assert held["held"][0]["eta_hours"] == pytest.approx(24.0, abs=0.2)
        assert client.get("/orders/O-1/backups", headers=AUTH).json()["held"] == []
        explanation = client.get("/orders/O-2/explanation", headers=AUTH).json()["explanation"]
        assert "backup: 1 unit held at D-DE (by transfer)" in explanation

        answer = _fail(client)
        assert _lines(answer) == [("transfer", "D-DE", 1)]
        assert answer["backorder"] is None
        overrides = client.get("/orders/O-2/overrides", headers=AUTH).json()["overrides"]
        assert [(o["kind"], o["source"], o["origin"], o["quantity"]) for o in overrides] == [
            ("firm", "transfer", "D-DE", 1)
        ]
        kinds = _kinds(client)
        failed = kinds.index(("purchase_failed", "O-2", "broker"))
        assert kinds[failed:] == [
            ("purchase_failed", "O-2", "broker"),
            ("released", "O-2", "broker"),
            ("backup_used", "O-2", "transfer"),
            ("allocated", "O-2", "transfer"),
            ("filled", "O-2", None),
        ]
        # The unit is the order's now: an older parts-priority order arriving later waits.
        older = write(client, "POST", "/orders", order("O-0", "C-PM", "P-B", created_at=LATER))
        assert older.json()["backorder"]["quantity"] == 1
        assert _lines(client.get("/orders/O-2", headers=AUTH).json()) == [("transfer", "D-DE", 1)]
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def test_without_the_flag_nothing_is_held_and_an_older_order_takes_the_shelf_unit(
    db_url: str, tmp_path: Path
) -> None:
    _load(db_url, tmp_path, None)
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        _posted(client)
        held = client.get("/orders/O-2/backups", headers=AUTH).json()
        assert (held["broker_backup"], held["broker_units"], held["held"]) == (False, 0, [])
        # The re-plan alone finds D-DE's unit, but nothing is firmed or used as a backup...
        assert _lines(_fail(client)) == [("transfer", "D-DE", 1)]
        assert client.get("/orders/O-2/overrides", headers=AUTH).json()["overrides"] == []
        assert "backup_used" not in {kind for kind, _, _ in _kinds(client)}
        # ...so an older order arriving later takes it, and O-2 waits again.
        older = write(client, "POST", "/orders", order("O-0", "C-PM", "P-B", created_at=LATER))
        assert _lines(older.json()) == [("transfer", "D-DE", 1)]
        assert client.get("/orders/O-2", headers=AUTH).json()["backorder"]["quantity"] == 1
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def test_a_part_failure_takes_part_of_the_backup_and_a_second_finds_none_left(
    db_url: str, tmp_path: Path
) -> None:
    _load(db_url, tmp_path, BACKUP, capacity=2)
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        write(client, "POST", "/orders", order("O-1", "C-PM", "P-B", created_at=worlds.EARLY))
        posted = write(client, "POST", "/orders", order("O-2", "C-PM", "P-B", quantity=2)).json()
        assert _lines(posted) == [("broker", "BRK", 2)]
        held = client.get("/orders/O-2/backups", headers=AUTH).json()
        assert held["broker_units"] == 2
        assert [(h["origin"], h["quantity"]) for h in held["held"]] == [("D-DE", 1)]

        body = {"source": "broker", "origin": "BRK", "quantity": 1}
        first = write(client, "POST", "/orders/O-2/purchase-failed", body).json()
        assert sorted(_lines(first)) == [("broker", "BRK", 1), ("transfer", "D-DE", 1)]
        # D-DE's unit is the order's own now: nothing is left to hold for the other unit.
        assert client.get("/orders/O-2/backups", headers=AUTH).json()["held"] == []
        second = write(client, "POST", "/orders/O-2/purchase-failed", body).json()
        assert _lines(second) == [("transfer", "D-DE", 1)]
        assert second["backorder"]["quantity"] == 1
        used = [k for k in _kinds(client) if k[0] == "backup_used"]
        assert used == [("backup_used", "O-2", "transfer")]
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def test_backups_of_an_unknown_order_are_a_404_and_need_the_token(client: TestClient) -> None:
    assert client.get("/orders/NOPE/backups").status_code == 401
    answer = client.get("/orders/NOPE/backups", headers=AUTH)
    assert answer.status_code == 404
    assert "NOPE" in answer.json()["detail"]
