"""Quantities, balances and counters as 64-bit integers.

On PostgreSQL ``INTEGER`` is 32 bits: stock pushed past 2,147,483,647 units by receipts failed
the write with an error, while SQLite took 3e9 units. Every column that holds units (stock on
hand, receipts, capacities, order and ledger quantities, journal deltas, holdings), the
write sequence of a part group and the entry ids of the two append-only tables become
``BIGINT``; the sequences behind those ids are widened too (a ``SERIAL``'s sequence keeps
its 32-bit bound when its column's type changes). Each table is rewritten once, by one
``ALTER TABLE``.

SQLite stores every ``INTEGER`` in up to 8 bytes whatever the declared type, so there is
nothing to change there: both stores now hold the same range.

Downgrading narrows the columns again and fails if a value no longer fits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDENED: dict[str, tuple[str, ...]] = {
    "stock": ("on_hand",),
    "inbound": ("quantity",),
    "supply_options": ("capacity",),
    "part_groups": ("version",),
    "orders": ("quantity", "backorder_quantity"),
    "ledger": ("entry_id", "quantity", "txn"),
    "supply_journal": ("entry_id", "txn", "delta"),
    "holdings": ("quantity",),
}
"""The columns made 64-bit, by table."""
SEQUENCES = (("ledger", "entry_id"), ("supply_journal", "entry_id"))


def _alter(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: already 64-bit (see the module)
    for table, columns in WIDENED.items():
        changes = ", ".join(f"ALTER COLUMN {column} TYPE {kind}" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
    for table, column in SEQUENCES:
        op.execute(
            f"DO $$ BEGIN EXECUTE format('ALTER SEQUENCE %s AS {kind}', "
            f"pg_get_serial_sequence('{table}', '{column}')); END $$"
        )


def upgrade() -> None:
    _alter("BIGINT")


def downgrade() -> None:
    _alter("INTEGER")
