"""What each supply has, as a write reads it for its check, is what the reconciliation reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import run_read, run_write
from allocation.adapters.store.reconcile import supply_totals
from allocation.adapters.store.supply import supply_units


def _receipts(connection: Connection) -> None:
    """Two receipts of P-A landing at the same second (one supply), one of P-B."""
    connection.execute(
        insert(schema.inbound),
        [
            {
                "part_number": "P-A",
                "depot_id": "D-US",
                "quantity": 3,
                "eta": datetime(2026, 12, 2, 6),
            },
            {
                "part_number": "P-A",
                "depot_id": "D-US",
                "quantity": 2,
                "eta": datetime(2026, 12, 2, 6),
            },
            {
                "part_number": "P-B",
                "depot_id": "D-DE",
                "quantity": 4,
                "eta": datetime(2026, 12, 3, 7, 30),
            },
        ],
    )


def test_a_write_reads_the_units_of_every_supply_as_the_reconciliation_does(
    engine: Engine,
) -> None:
    run_write(engine, _receipts)
    for parts in (["P-A"], ["P-B"], ["P-A", "P-B"], ["P-B", "P-A", "P-A"]):
        found = run_read(engine, lambda c, parts=parts: supply_units(c, parts))
        assert found == run_read(engine, lambda c, parts=parts: supply_totals(c, parts))
    both = run_read(engine, lambda c: supply_units(c, ["P-A", "P-B"]))
    assert both[("P-A", "inbound|D-US|2026-12-02T06:00:00")] == 5
    assert both[("P-B", "inbound|D-DE|2026-12-03T07:30:00")] == 4


def test_a_write_of_no_parts_reads_no_supply(engine: Engine) -> None:
    assert run_read(engine, lambda c: supply_units(c, [])) == {}
