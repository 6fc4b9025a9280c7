"""Entries that only open balances go in as one statement on PostgreSQL: the same rows, in
the same order, as the statements :func:`allocation.adapters.store.ledger.record` runs
otherwise (and on SQLite)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from allocation.adapters.store import events, ledger, schema
from tests.service import worlds
from tests.service.helpers import write


def _recorded(engine: Engine) -> tuple[list[Any], list[Any], list[Any]]:
    """Ledger, holdings and event rows of two arrivals' allocations and states, recorded in
    a transaction that is rolled back (ids left out: sequences do not roll back)."""
    o, g = schema.orders, schema.ledger
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            rows = connection.execute(
                select(o.c.order_id, o.c.part_number, o.c.group_key).order_by(o.c.order_id)
            ).all()
            (first, part, group), (second, _, _) = rows[0], rows[1]
            stamp = ledger.Stamp(group, 77, datetime(2026, 5, 1, 8, 30, 0, 123456))
            held = [
                ledger.Holding(first, part, "stock", "D-T1", "stock|D-T1", 2, None, 1.25),
                ledger.Holding(first, part, "transfer", "D-T2", "stock|D-T2", 1, stamp.at, 3.5),
                ledger.Holding(second, part, "stock", "D-T1", "stock|D-T1", 4, None, 0.1),
            ]
            states = [
                events.Change("filled", first, part, 3),
                events.Change("backordered", second, part, 1),
            ]
            entries = [("allocate", h) for h in held]
            ledger.record(connection, stamp, entries, current={}, states=states)
            mine = connection.execute(
                select(*(c for c in g.c if c.name != "entry_id"))
                .where(g.c.txn == 77)
                .order_by(g.c.entry_id)
            ).all()
            h = schema.holdings
            holdings = connection.execute(
                select(h).where(h.c.supply_key.like("stock|D-T%")).order_by(*h.primary_key)
            ).all()
            e = schema.events
            said = connection.execute(
                select(*(c for c in e.c if c.name != "event_id"))
                .where(e.c.recorded_at == stamp.at)
                .order_by(e.c.event_id.desc() if engine.dialect.name != "sqlite" else e.c.event_id)
            ).all()
        finally:
            transaction.rollback()
    return [tuple(r) for r in mine], [tuple(r) for r in holdings], [tuple(r) for r in said]


def test_opening_entries_write_the_rows_the_statements_write(
    engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for order_id in ("T-1", "T-2"):
        assert write(client, "POST", "/orders", worlds.order(order_id)).status_code == 201
    together = _recorded(engine)
    monkeypatch.setattr(ledger, "_TOGETHER", 0)  # one statement per table, as before
    apart = _recorded(engine)
    assert together == apart
    mine, holdings, said = together
    assert len(mine) == 3
    assert len(holdings) == 3
    assert [s[0] for s in said] == ["allocated", "allocated", "allocated", "filled", "backordered"]
