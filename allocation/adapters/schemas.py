"""The columns of every input table, with what each means; the README documents the same."""

from __future__ import annotations

from allocation.adapters.tables import MAX_QUANTITY, Column, TableSpec
from allocation.domain.rulebook import default_rulebook

__all__ = ["CONTRACTS", "CUSTOMERS", "ORDERS"]

CUSTOMERS = TableSpec(
    name="customers",
    key=("customer_id",),
    columns=(
        Column("customer_id", description="unique customer id"),
        Column("name", description="customer name"),
        Column("country", "country", description="headquarters/site country (ISO code or name)"),
        Column(
            "installed_base_pcs",
            "int",
            minimum=0,
            maximum=MAX_QUANTITY,
            description="in-warranty HP PCs",
        ),
        Column(
            "installed_base_printers",
            "int",
            minimum=0,
            maximum=MAX_QUANTITY,
            description="in-warranty HP business printers",
        ),
        Column("has_it_helpdesk", "bool", description="the customer runs an IT help desk"),
    ),
)

CONTRACTS = TableSpec(
    name="contracts",
    key=("contract_id",),
    columns=(
        Column("contract_id", description="unique contract id"),
        Column("customer_id", description="the customer holding the contract"),
        Column(
            "sku",
            choices=frozenset(default_rulebook().skus),
            normalize=str.upper,
            description="Priority Services order number (gives tier, term and family)",
        ),
        Column("purchase_date", "date", description="day the service was bought"),
        Column(
            "activation_date",
            "date",
            optional=True,
            description="day service started; blank means purchase + 30 days",
        ),
    ),
)

ORDERS = TableSpec(
    name="orders",
    key=("order_id",),
    columns=(
        Column("order_id", description="unique order (line) id"),
        Column("customer_id", description="the ordering customer"),
        Column("part_number", description="the part needed"),
        Column(
            "quantity",
            "int",
            minimum=0,
            exclusive_minimum=True,
            maximum=MAX_QUANTITY,
            description="units needed (a positive integer)",
        ),
        Column("created_at", "datetime", description="when the unit went down (ISO 8601)"),
        Column(
            "product_type",
            normalize=lambda s: s.strip().lower().replace(" ", "_").replace("-", "_"),
            description="type of the failed unit: desktop, notebook, ..., business_printer",
        ),
        Column("warranty_valid", "bool", description="the unit has a valid warranty"),
        Column(
            "ship_to_country",
            "country",
            optional=True,
            description="where the unit is; blank means the customer's country",
        ),
    ),
)
