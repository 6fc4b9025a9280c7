"""What a performance report needs to know of an order's past: when it closed, whether it was
ever short and why, and why it lost parts priority.

``orders`` kept only the current backorder, which a receipt sets back to zero and closing an
order clears: an order short for a week and then shipped looked like one served at once.
Four columns keep what reports count:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
closed_at          when the order was shipped or cancelled (naive UTC; null while open)
backordered        whether it was ever short of units: set with its first backorder, never
                   cleared
backorder_code     the root-cause code of its last backorder (kept when the backorder ends)
lost_code          why it lost parts priority at intake (``excluded_country``,
                   ``not_entitled:<rule>``); null when it kept it or never had a claim to it
=================  ==========================================================================

Existing rows: ``backordered`` is true for orders short now, and a shipped order's
``closed_at`` is the moment its units were consumed in the ledger; what else the rows did not
record stays null.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
ADDED = ("closed_at", "backordered", "backorder_code", "lost_code")


def upgrade() -> None:
    op.add_column("orders", sa.Column("closed_at", sa.DateTime, nullable=True))
    op.add_column(
        "orders",
        sa.Column("backordered", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("orders", sa.Column("backorder_code", sa.String(ID), nullable=True))
    op.add_column("orders", sa.Column("lost_code", sa.String(ID), nullable=True))
    op.execute("UPDATE orders SET backordered = (backorder_quantity > 0)")
    op.execute(
        "UPDATE orders SET closed_at = (SELECT MAX(ledger.recorded_at) FROM ledger "
        "WHERE ledger.order_id = orders.order_id AND ledger.event = 'consume') "
        "WHERE status = 'shipped'"
    )


def downgrade() -> None:
    for column in reversed(ADDED):
        op.drop_column("orders", column)
