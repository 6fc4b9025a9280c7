"""Claims of idempotency keys in flight, for server processes sharing one SQLite file.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "idempotency_claims",
        sa.Column("client_id", sa.String(ID), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("pid_started", sa.BigInteger, nullable=True),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_claims")
