"""Supply journal, write sequence on ledger entries, and the holdings balance table.

The ledger alone proves promises add up; with the supply journal beside it, every committed
state of a part group can be replayed: units each supply had, units promised from it. The
``txn`` column orders both by the part group's write sequence (``part_groups.version``), which
the group's lock makes a total order. ``holdings`` keeps the ledger's balances current, so a
re-plan reads what orders hold without summing a part group's whole history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("txn", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_ledger_group_txn", "ledger", ["group_key", "txn"])
    op.create_table(
        "supply_journal",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_key", sa.String(ID), nullable=False),
        sa.Column("txn", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("part_number", sa.String(ID), nullable=False),
        sa.Column("supply_key", sa.String(160), nullable=False),
        sa.Column("delta", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("delta <> 0", name="ck_journal_delta"),
    )
    op.create_index("ix_journal_group_txn", "supply_journal", ["group_key", "txn"])
    op.create_table(
        "holdings",
        sa.Column("order_id", sa.String(ID), sa.ForeignKey("orders.order_id"), primary_key=True),
        sa.Column("part_number", sa.String(ID), primary_key=True),
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("origin", sa.String(ID), primary_key=True),
        sa.Column("supply_key", sa.String(160), primary_key=True),
        sa.Column("group_key", sa.String(ID), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("eta", sa.DateTime, nullable=True),
        sa.Column("unit_cost", sa.Float, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_holdings_quantity"),
    )
    op.create_index("ix_holdings_group", "holdings", ["group_key"])
    _backfill()


def _backfill() -> None:
    """A database migrated with data: its ledger's balances, and its supply as the opening
    entries of the journal (every older ledger entry carries txn 0, so the replay starts from
    the state the database is in)."""
    op.execute(
        """
        INSERT INTO holdings (order_id, part_number, source, origin, supply_key, group_key,
                              quantity, eta, unit_cost)
        SELECT order_id, part_number, source, origin, supply_key, MAX(group_key),
               SUM(CASE WHEN event = 'allocate' THEN quantity ELSE -quantity END),
               MAX(CASE WHEN event = 'allocate' THEN eta END),
               COALESCE(MAX(CASE WHEN event = 'allocate' THEN cost / quantity END), 0)
        FROM ledger
        GROUP BY order_id, part_number, source, origin, supply_key
        HAVING SUM(CASE WHEN event = 'allocate' THEN quantity ELSE -quantity END) > 0
        """
    )
    bind = op.get_bind()
    rows: list[tuple[str, str, int]] = [
        (part, f"stock|{depot}", int(units))
        for part, depot, units in bind.execute(
            sa.text("SELECT part_number, depot_id, on_hand FROM stock")
        )
    ]
    rows += [
        (part, f"inbound|{depot}|{_moment(eta).replace(microsecond=0).isoformat()}", int(units))
        for part, depot, eta, units in bind.execute(
            sa.text("SELECT part_number, depot_id, eta, quantity FROM inbound")
        )
    ]
    rows += [
        (part, f"{kind}|{supplier}", int(units))
        for part, kind, supplier, units in bind.execute(
            sa.text("SELECT part_number, source, supplier_id, capacity FROM supply_options")
        )
    ]
    group_of: dict[str, str] = {
        str(p): str(g) for p, g in bind.execute(sa.text("SELECT part_number, group_key FROM parts"))
    }
    now = datetime.now(UTC).replace(tzinfo=None)
    journal = sa.table(
        "supply_journal",
        *(sa.column(c) for c in ("group_key", "txn", "event", "part_number", "supply_key")),
        sa.column("delta", sa.Integer),
        sa.column("recorded_at", sa.DateTime),
    )
    entries = [
        {
            "group_key": group_of[part],
            "txn": 0,
            "event": "opening",
            "part_number": part,
            "supply_key": key,
            "delta": units,
            "recorded_at": now,
        }
        for part, key, units in rows
        if units > 0
    ]
    if entries:
        op.bulk_insert(journal, entries)


def _moment(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def downgrade() -> None:
    op.drop_index("ix_holdings_group", table_name="holdings")
    op.drop_table("holdings")
    op.drop_index("ix_journal_group_txn", table_name="supply_journal")
    op.drop_table("supply_journal")
    op.drop_index("ix_ledger_group_txn", table_name="ledger")
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("txn")
