"""Small helpers for talking to the service in tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, select

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read
from allocation.adapters.store.ledger import check_ledger, supply_key
from tests.service.conftest import AUTH


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


def write(
    client: Any,
    method: str,
    path: str,
    body: Any = None,
    idempotency_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A keyed write with the test token (a fresh key unless one is given)."""
    sent = {**AUTH, "Idempotency-Key": idempotency_key or key(), **(headers or {})}
    return client.request(method, path, json=body, headers=sent)


def ledger_problems(engine: Engine) -> list[str]:
    """What :func:`check_ledger` finds wrong, plus every moment a supply was over-promised.

    Entries of one part group are written under the group's lock, so in entry order the
    running promise of each supply must never pass what it had at load (tests that use this
    change no stock after the load).
    """
    problems = run_read(engine, check_ledger)
    entries = schema.ledger

    def rows(connection: Any) -> tuple[list[Any], dict[tuple[str, str], int]]:
        got = connection.execute(
            select(
                entries.c.part_number, entries.c.supply_key, entries.c.event, entries.c.quantity
            ).order_by(entries.c.entry_id)
        ).all()
        s = schema.stock
        stock = {
            (p, supply_key("stock", d)): int(q)
            for p, d, q in connection.execute(select(s.c.part_number, s.c.depot_id, s.c.on_hand))
        }
        return got, stock

    history, stock = run_read(engine, rows)
    running: dict[tuple[str, str], int] = {}
    for part, supply, event, quantity in history:
        k = (part, supply)
        running[k] = running.get(k, 0) + (quantity if event == "allocate" else -quantity)
        if supply.startswith("stock|") and running[k] > stock.get(k, 0):
            problems.append(f"{part} {supply}: {running[k]} promised at once, {stock.get(k, 0)} exist")
    return problems
