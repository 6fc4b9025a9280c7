"""The database tables of the service, as SQLAlchemy Core tables.

Master data (customers, contracts, parts, depots, lanes, suppliers) is written whole when a
snapshot is loaded, and a row at a time by the service's master-data routes, each change
giving it a new version in ``meta``. Supply (stock, inbound receipts, supply options) and
orders change with every request. Promises of units to orders are never stored as balances
that can be overwritten: they live in the append-only ``ledger`` (allocate, release,
consume), and a balance is the sum of its entries (``holdings`` keeps those sums current and
is checked against them). Every change to the units a supply has is in the append-only
``supply_journal``. Ledger and journal entries carry ``txn``, the part group's write sequence
number, so every committed state of a group can be replayed from them.

Every write that touches supply, orders or promises of a part group first locks that group's
row in ``part_groups``; the groups of one request are locked in sorted order. Times are naive
UTC. Units, write sequence numbers and the ids of the append-only tables are 64-bit on every
store (:data:`Units`, :data:`Serial`): the service refuses more than a billion units in one
supply, and the columns hold far more, so no sum of receipts can overflow them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

__all__ = [
    "contracts",
    "customers",
    "depots",
    "events",
    "holdings",
    "idempotency",
    "idempotency_claims",
    "inbound",
    "lanes",
    "ledger",
    "meta",
    "metadata",
    "orders",
    "overrides",
    "part_groups",
    "parts",
    "purchase_failures",
    "service_policy",
    "stock",
    "suppliers",
    "supply_journal",
    "supply_options",
    "writer_cluster",
    "writer_leases",
]

metadata = MetaData()

Units = BigInteger
"""Quantities, balances and counters: 64-bit (PostgreSQL's INTEGER is 32)."""
Serial = BigInteger().with_variant(Integer(), "sqlite")
"""An id numbered by the database: 64-bit, and SQLite's rowid (already 64-bit)."""

ID = 64  # longest id accepted anywhere

meta = Table(
    "meta",
    metadata,
    Column("key", String(ID), primary_key=True),
    Column("value", Text, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("name", Text, nullable=False),
    Column("country", String(2), nullable=False),
    Column("installed_base_pcs", Integer, nullable=False),
    Column("installed_base_printers", Integer, nullable=False),
    Column("has_it_helpdesk", Boolean, nullable=False),
)

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), ForeignKey("customers.customer_id"), nullable=False),
    Column("sku", String(16), nullable=False),
    Column("purchase_date", Date, nullable=False),
    Column("activation_date", Date, nullable=True),
)

part_groups = Table(
    "part_groups",
    metadata,
    Column("group_key", String(ID), primary_key=True),
    Column("version", Units, nullable=False, server_default="0"),
)

parts = Table(
    "parts",
    metadata,
    Column("part_number", String(ID), primary_key=True),
    Column("description", Text, nullable=True),
    Column("unit_cost", Float, nullable=False),
    Column("substitutes", Text, nullable=True),
    Column("group_key", String(ID), ForeignKey("part_groups.group_key"), nullable=False),
    Index("ix_parts_group", "group_key"),
)

depots = Table(
    "depots",
    metadata,
    Column("depot_id", String(ID), primary_key=True),
    Column("country", String(2), nullable=False),
)

suppliers = Table(
    "suppliers",
    metadata,
    Column("supplier_id", String(ID), primary_key=True),
)

lanes = Table(
    "lanes",
    metadata,
    Column("origin", String(ID), primary_key=True),
    Column("destination", String(ID), primary_key=True),
    Column("transit_hours", Float, nullable=False),
    Column("cost_per_unit", Float, nullable=False),
)

stock = Table(
    "stock",
    metadata,
    Column("part_number", String(ID), ForeignKey("parts.part_number"), primary_key=True),
    Column("depot_id", String(ID), ForeignKey("depots.depot_id"), primary_key=True),
    Column("on_hand", Units, nullable=False),
    CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
)

inbound = Table(
    "inbound",
    metadata,
    Column("inbound_id", Integer, primary_key=True, autoincrement=True),
    Column("part_number", String(ID), ForeignKey("parts.part_number"), nullable=False),
    Column("depot_id", String(ID), ForeignKey("depots.depot_id"), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("eta", DateTime, nullable=False),
    CheckConstraint("quantity > 0", name="ck_inbound_quantity"),
    Index("ix_inbound_part", "part_number"),
)

supply_options = Table(
    "supply_options",
    metadata,
    Column("part_number", String(ID), ForeignKey("parts.part_number"), primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("supplier_id", String(ID), ForeignKey("suppliers.supplier_id"), primary_key=True),
    Column("capacity", Units, nullable=False),
    Column("lead_time_hours", Float, nullable=False),
    Column("unit_cost", Float, nullable=False),
    Column("success_probability", Float, nullable=True),
    CheckConstraint("capacity >= 0", name="ck_options_capacity"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(ID), primary_key=True),
    Column("customer_id", String(ID), ForeignKey("customers.customer_id"), nullable=False),
    Column("part_number", String(ID), ForeignKey("parts.part_number"), nullable=False),
    Column("group_key", String(ID), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("product_type", String(ID), nullable=False),
    Column("warranty_valid", Boolean, nullable=False),
    Column("ship_to_country", String(2), nullable=True),
    Column("country", String(2), nullable=False),
    Column("priority_class", String(32), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("reasons", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("backorder_quantity", Units, nullable=False, server_default="0"),
    Column("backorder_reason", Text, nullable=True),
    Column("client_id", String(ID), nullable=True),
    # What reports need of an order's past (migration 0005): when it was shipped or
    # cancelled, whether it was ever short (never cleared) and the code of its last backorder,
    # and why it lost parts priority at intake.
    Column("closed_at", DateTime, nullable=True),
    Column("backordered", Boolean, nullable=False, server_default=false()),
    Column("backorder_code", String(ID), nullable=True),
    Column("lost_code", String(ID), nullable=True),
    # By when its parts are due (migration 0008): its own, or the policy's response time
    # after created_at, fixed at intake; null: no target.
    Column("need_by", DateTime, nullable=True),
    CheckConstraint("quantity > 0", name="ck_orders_quantity"),
    Index("ix_orders_group_status", "group_key", "status"),
)

ledger = Table(
    "ledger",
    metadata,
    Column("entry_id", Serial, primary_key=True, autoincrement=True),
    Column("group_key", String(ID), nullable=False),
    Column("order_id", String(ID), ForeignKey("orders.order_id"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("part_number", String(ID), nullable=False),
    Column("source", String(16), nullable=False),
    Column("origin", String(ID), nullable=False),
    Column("supply_key", String(160), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("eta", DateTime, nullable=True),
    Column("cost", Float, nullable=False, server_default="0"),
    Column("recorded_at", DateTime, nullable=False),
    Column("txn", Units, nullable=False, server_default="0"),
    CheckConstraint("quantity > 0", name="ck_ledger_quantity"),
    CheckConstraint("event IN ('allocate', 'release', 'consume')", name="ck_ledger_event"),
    Index("ix_ledger_group", "group_key"),
    Index("ix_ledger_order", "order_id"),
    Index("ix_ledger_group_txn", "group_key", "txn"),
)

supply_journal = Table(
    "supply_journal",
    metadata,
    Column("entry_id", Serial, primary_key=True, autoincrement=True),
    Column("group_key", String(ID), nullable=False),
    Column("txn", Units, nullable=False),
    Column("event", String(16), nullable=False),
    Column("part_number", String(ID), nullable=False),
    Column("supply_key", String(160), nullable=False),
    Column("delta", Units, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    CheckConstraint("delta <> 0", name="ck_journal_delta"),
    Index("ix_journal_group_txn", "group_key", "txn"),
)

holdings = Table(
    "holdings",
    metadata,
    Column("order_id", String(ID), ForeignKey("orders.order_id"), primary_key=True),
    Column("part_number", String(ID), primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("origin", String(ID), primary_key=True),
    Column("supply_key", String(160), primary_key=True),
    Column("group_key", String(ID), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("eta", DateTime, nullable=True),
    Column("unit_cost", Float, nullable=False),
    CheckConstraint("quantity > 0", name="ck_holdings_quantity"),
    Index("ix_holdings_group", "group_key"),
)

# The feed of allocation changes (migration 0006): see allocation.adapters.store.events. No
# foreign key: the feed outlives the orders a new load replaces. On PostgreSQL rows go in with
# a negative draft id from the sequence ``event_drafts`` and are numbered before the commit.
events = Table(
    "events",
    metadata,
    Column("event_id", Serial, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),
    Column("order_id", String(ID), nullable=False),
    Column("part_number", String(ID), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("source", String(16), nullable=True),
    Column("origin", String(ID), nullable=True),
    Column("recorded_at", DateTime, nullable=False),
)

# Purchases (expedite, broker) that failed, as the order system reported them (migration
# 0006): what a supplier reliability scorecard counts.
purchase_failures = Table(
    "purchase_failures",
    metadata,
    Column("failure_id", Serial, primary_key=True, autoincrement=True),
    Column("order_id", String(ID), ForeignKey("orders.order_id"), nullable=False),
    Column("part_number", String(ID), nullable=False),
    Column("source", String(16), nullable=False),
    Column("supplier_id", String(ID), nullable=False),
    Column("quantity", Units, nullable=False),
    Column("reason", Text, nullable=True),
    Column("client_id", String(ID), nullable=True),
    Column("failed_at", DateTime, nullable=False),
    CheckConstraint("quantity > 0", name="ck_failures_quantity"),
    Index("ix_failures_supplier", "supplier_id"),
)

# Decisions planners take by hand (migration 0008; :mod:`allocation.domain.overrides`): firm
# ``quantity`` units of an order from a source kind and origin, or forbid a source kind (from
# one origin, or any when null) for it. Every plan of the order's part group honours them;
# they go when the order is cancelled or shipped.
overrides = Table(
    "overrides",
    metadata,
    Column("override_id", Serial, primary_key=True, autoincrement=True),
    Column("order_id", String(ID), ForeignKey("orders.order_id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("origin", String(ID), nullable=True),
    Column("quantity", Units, nullable=True),
    Column("client_id", String(ID), nullable=True),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("kind IN ('firm', 'forbid')", name="ck_overrides_kind"),
    CheckConstraint(
        "(kind = 'forbid' AND quantity IS NULL) OR "
        "(kind = 'firm' AND quantity > 0 AND origin IS NOT NULL)",
        name="ck_overrides_firm",
    ),
    Index("ix_overrides_order", "order_id"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("client_id", String(ID), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# A key whose first request is running, committed before its work starts, so that servers
# sharing one SQLite file see it in flight (PostgreSQL servers use an advisory lock instead).
# ``owner`` names the server instance; ``host``, ``pid`` and ``pid_started`` (the process's
# start time in clock ticks since boot) tell whether it is still alive.
idempotency_claims = Table(
    "idempotency_claims",
    metadata,
    Column("client_id", String(ID), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("pid_started", BigInteger, nullable=True),
    Column("claimed_at", DateTime, nullable=False),
)

# Scale-out on PostgreSQL (:mod:`allocation.adapters.store.leases`): the part groups are
# hashed into partitions, each owned by one writer process, which holds a session advisory
# lock on it. ``writer_leases`` says where the owner takes forwarded writes (``address``)
# and which database session holds the lock (``backend_pid``): a row counts only while that
# session holds it. ``epoch`` counts the hand-overs of the partition.
writer_leases = Table(
    "writer_leases",
    metadata,
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("owner", String(64), nullable=True),
    Column("address", String(255), nullable=True),
    Column("backend_pid", Integer, nullable=True),
    Column("epoch", BigInteger, nullable=False, server_default="0"),
    Column("acquired_at", DateTime, nullable=True),
)

# One row: the advisory-lock key space of this database's leases (so that several stores in
# one PostgreSQL database never share a lock), and the secret writers authenticate forwarded
# writes with.
writer_cluster = Table(
    "writer_cluster",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("lock_space", Integer, nullable=False),
    Column("secret", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_writer_cluster_one_row"),
)

# The allocation policy every server and writer on this database plans with (migration
# 0009; :mod:`allocation.adapters.store.policy`): one row or none (none: the defaults). A
# load writes it, and a load without a policy keeps it: it outlives the master data.
service_policy = Table(
    "service_policy",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    CheckConstraint("id = 1", name="ck_service_policy_one_row"),
)
