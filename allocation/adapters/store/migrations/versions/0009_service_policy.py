"""The service's allocation policy, stored so that every server and writer on the database
plans with the same one.

``service_policy`` holds one row (or none: the defaults): the policy file's name, the
SHA-256 of its document and the document itself (its sections as JSON, with any table it
named read in), written by ``parts-priority load --policy FILE``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_policy",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_service_policy_one_row"),
    )


def downgrade() -> None:
    op.drop_table("service_policy")
