"""The first schema: master data, supply, orders, the allocation ledger, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(ID), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(ID), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("installed_base_pcs", sa.Integer, nullable=False),
        sa.Column("installed_base_printers", sa.Integer, nullable=False),
        sa.Column("has_it_helpdesk", sa.Boolean, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(ID), primary_key=True),
        sa.Column(
            "customer_id", sa.String(ID), sa.ForeignKey("customers.customer_id"), nullable=False
        ),
        sa.Column("sku", sa.String(16), nullable=False),
        sa.Column("purchase_date", sa.Date, nullable=False),
        sa.Column("activation_date", sa.Date, nullable=True),
    )
    op.create_table(
        "part_groups",
        sa.Column("group_key", sa.String(ID), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "parts",
        sa.Column("part_number", sa.String(ID), primary_key=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("unit_cost", sa.Float, nullable=False),
        sa.Column("substitutes", sa.Text, nullable=True),
        sa.Column(
            "group_key", sa.String(ID), sa.ForeignKey("part_groups.group_key"), nullable=False
        ),
    )
    op.create_index("ix_parts_group", "parts", ["group_key"])
    op.create_table(
        "depots",
        sa.Column("depot_id", sa.String(ID), primary_key=True),
        sa.Column("country", sa.String(2), nullable=False),
    )
    op.create_table("suppliers", sa.Column("supplier_id", sa.String(ID), primary_key=True))
    op.create_table(
        "lanes",
        sa.Column("origin", sa.String(ID), primary_key=True),
        sa.Column("destination", sa.String(ID), primary_key=True),
        sa.Column("transit_hours", sa.Float, nullable=False),
        sa.Column("cost_per_unit", sa.Float, nullable=False),
    )
    op.create_table(
        "stock",
        sa.Column(
            "part_number", sa.String(ID), sa.ForeignKey("parts.part_number"), primary_key=True
        ),
        sa.Column("depot_id", sa.String(ID), sa.ForeignKey("depots.depot_id"), primary_key=True),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
    )
    op.create_table(
        "inbound",
        sa.Column("inbound_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("part_number", sa.String(ID), sa.ForeignKey("parts.part_number"), nullable=False),
        sa.Column("depot_id", sa.String(ID), sa.ForeignKey("depots.depot_id"), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("eta", sa.DateTime, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_inbound_quantity"),
    )
    op.create_index("ix_inbound_part", "inbound", ["part_number"])
    op.create_table(
        "supply_options",
        sa.Column(
            "part_number", sa.String(ID), sa.ForeignKey("parts.part_number"), primary_key=True
        ),
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column(
            "supplier_id",
            sa.String(ID),
            sa.ForeignKey("suppliers.supplier_id"),
            primary_key=True,
        ),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("lead_time_hours", sa.Float, nullable=False),
        sa.Column("unit_cost", sa.Float, nullable=False),
        sa.Column("success_probability", sa.Float, nullable=True),
        sa.CheckConstraint("capacity >= 0", name="ck_options_capacity"),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(ID), primary_key=True),
        sa.Column(
            "customer_id", sa.String(ID), sa.ForeignKey("customers.customer_id"), nullable=False
        ),
        sa.Column("part_number", sa.String(ID), sa.ForeignKey("parts.part_number"), nullable=False),
        sa.Column("group_key", sa.String(ID), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("product_type", sa.String(ID), nullable=False),
        sa.Column("warranty_valid", sa.Boolean, nullable=False),
        sa.Column("ship_to_country", sa.String(2), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("priority_class", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("backorder_quantity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("backorder_reason", sa.Text, nullable=True),
        sa.Column("client_id", sa.String(ID), nullable=True),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity"),
    )
    op.create_index("ix_orders_group_status", "orders", ["group_key", "status"])
    op.create_table(
        "ledger",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_key", sa.String(ID), nullable=False),
        sa.Column("order_id", sa.String(ID), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("part_number", sa.String(ID), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(ID), nullable=False),
        sa.Column("supply_key", sa.String(160), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("eta", sa.DateTime, nullable=True),
        sa.Column("cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_ledger_quantity"),
        sa.CheckConstraint("event IN ('allocate', 'release', 'consume')", name="ck_ledger_event"),
    )
    op.create_index("ix_ledger_group", "ledger", ["group_key"])
    op.create_index("ix_ledger_order", "ledger", ["order_id"])
    op.create_table(
        "idempotency",
        sa.Column("client_id", sa.String(ID), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_ledger_order", "ledger"),
        ("ix_ledger_group", "ledger"),
        ("ix_orders_group_status", "orders"),
        ("ix_inbound_part", "inbound"),
        ("ix_parts_group", "parts"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "idempotency",
        "ledger",
        "orders",
        "supply_options",
        "inbound",
        "stock",
        "lanes",
        "suppliers",
        "depots",
        "parts",
        "part_groups",
        "contracts",
        "customers",
        "meta",
    ):
        op.drop_table(table)
