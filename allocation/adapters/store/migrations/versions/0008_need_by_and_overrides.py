"""Response-time targets and planner overrides.

``orders.need_by`` is by when an order's parts are due (naive UTC; null: no target): the
order's own, or the service policy's response time after ``created_at``, fixed at intake.

``overrides`` holds the decisions planners take by hand, which every later plan honours
(:mod:`allocation.domain.overrides`): ``firm`` (``quantity`` units of an order from one
source kind and origin are released for delivery: no plan moves them) and ``forbid`` (no
plan gives the order units of that kind from that origin; null origin: from any). Rows go
when their order is cancelled or shipped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("orders", sa.Column("need_by", sa.DateTime, nullable=True))
    op.create_table(
        "overrides",
        sa.Column("override_id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(ID), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(ID), nullable=True),
        sa.Column("quantity", sa.BigInteger, nullable=True),
        sa.Column("client_id", sa.String(ID), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("kind IN ('firm', 'forbid')", name="ck_overrides_kind"),
        sa.CheckConstraint(
            "(kind = 'forbid' AND quantity IS NULL) OR "
            "(kind = 'firm' AND quantity > 0 AND origin IS NOT NULL)",
            name="ck_overrides_firm",
        ),
    )
    op.create_index("ix_overrides_order", "overrides", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_overrides_order", "overrides")
    op.drop_table("overrides")
    op.drop_column("orders", "need_by")
