"""The feed of allocation changes, and failed purchases.

``events`` holds one row per change to what an order holds or waits for, appended in the
transaction of the write that made it (see :mod:`allocation.adapters.store.events`); its
64-bit ``event_id`` is the feed's cursor. On PostgreSQL rows go in with a negative draft id
from the sequence ``event_drafts`` and are numbered in commit order before the commit.

``purchase_failures`` records each expedite or broker purchase the order system reported as
failed: order, part, source, supplier, units, reason, who reported it and when.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("event_id", SERIAL, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(ID), nullable=False),
        sa.Column("part_number", sa.String(ID), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("origin", sa.String(ID), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE event_drafts AS BIGINT")
    op.create_table(
        "purchase_failures",
        sa.Column("failure_id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(ID), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("part_number", sa.String(ID), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("supplier_id", sa.String(ID), nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("client_id", sa.String(ID), nullable=True),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_failures_quantity"),
    )
    op.create_index("ix_failures_supplier", "purchase_failures", ["supplier_id"])


def downgrade() -> None:
    op.drop_index("ix_failures_supplier", "purchase_failures")
    op.drop_table("purchase_failures")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE event_drafts")
    op.drop_table("events")
