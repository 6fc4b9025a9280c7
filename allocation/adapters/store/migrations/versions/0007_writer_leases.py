"""Leases of part-group partitions, for several writers on one PostgreSQL database.

``writer_leases`` holds, per partition, the writer that owns it (``owner``), where it takes
forwarded writes (``address``), the database session that holds the partition's advisory
lock (``backend_pid``) and how often it changed hands (``epoch``). ``writer_cluster`` holds
one row: the advisory-lock key space of this store's leases and the secret that writers
authenticate forwarded writes with, both drawn at random here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "writer_leases",
        sa.Column("partition", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.Column("backend_pid", sa.Integer, nullable=True),
        sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("acquired_at", sa.DateTime, nullable=True),
    )
    cluster = op.create_table(
        "writer_cluster",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("lock_space", sa.Integer, nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_writer_cluster_one_row"),
    )
    # A key space away from the feed's lock (0x5050, ...) and from 0.
    space = 0x10000 + secrets.randbelow(2**31 - 0x20000)
    op.bulk_insert(cluster, [{"id": 1, "lock_space": space, "secret": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("writer_cluster")
    op.drop_table("writer_leases")
