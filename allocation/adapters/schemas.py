"""The columns of every input table, with what each means; the README documents the same."""

from __future__ import annotations

from allocation.adapters.tables import MAX_QUANTITY, Column, TableSpec
from allocation.domain.rulebook import default_rulebook

__all__ = [
    "CONTRACTS",
    "CUSTOMERS",
    "DEPOTS",
    "INBOUND",
    "LANES",
    "ORDERS",
    "PARTS",
    "PROTECTION",
    "STOCK",
    "SUPPLY_OPTIONS",
]

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

PARTS = TableSpec(
    name="parts",
    key=("part_number",),
    columns=(
        Column("part_number", description="unique part number"),
        Column("description", optional=True, description="what the part is"),
        Column("unit_cost", "float", minimum=0, maximum=1e9, description="book cost of one unit"),
        Column(
            "substitutes",
            optional=True,
            description="parts that may replace this one, separated by ';' or '|'",
        ),
    ),
)

DEPOTS = TableSpec(
    name="depots",
    key=("depot_id",),
    columns=(
        Column("depot_id", description="unique depot id"),
        Column("country", "country", description="where the depot is"),
    ),
)

STOCK = TableSpec(
    name="stock",
    key=("part_number", "depot_id"),
    columns=(
        Column("part_number", description="a part in the parts table"),
        Column("depot_id", description="a depot in the depots table"),
        Column(
            "on_hand",
            "int",
            minimum=0,
            maximum=MAX_QUANTITY,
            description="units on hand, free to allocate",
        ),
    ),
)

INBOUND = TableSpec(
    name="inbound",
    columns=(
        Column("part_number", description="a part in the parts table"),
        Column("depot_id", description="the depot where the receipt lands"),
        Column(
            "quantity",
            "int",
            minimum=0,
            exclusive_minimum=True,
            maximum=MAX_QUANTITY,
            description="units in the receipt",
        ),
        Column("eta", "datetime", description="when it lands (ISO 8601)"),
    ),
)

LANES = TableSpec(
    name="lanes",
    key=("origin", "destination"),
    columns=(
        Column("origin", description="a depot id, a supplier id or a country code"),
        Column("destination", description="a depot id, a supplier id or a country code"),
        Column("transit_hours", "float", minimum=0, maximum=1e5, description="hours in transit"),
        Column("cost_per_unit", "float", minimum=0, maximum=1e9, description="money per unit"),
    ),
)

SUPPLY_OPTIONS = TableSpec(
    name="supply_options",
    key=("part_number", "source", "supplier_id"),
    columns=(
        Column("part_number", description="a part in the parts table"),
        Column(
            "source",
            choices=frozenset({"expedite", "broker"}),
            normalize=str.lower,
            description="expedite (factory pulls a delivery forward) or broker (open market)",
        ),
        Column("supplier_id", description="the supplier; lanes start at it"),
        Column(
            "capacity",
            "int",
            minimum=0,
            maximum=MAX_QUANTITY,
            description="units it can deliver",
        ),
        Column("lead_time_hours", "float", minimum=0, maximum=1e5, description="hours to release"),
        Column(
            "unit_cost", "float", minimum=0, maximum=1e9, description="price (or premium) per unit"
        ),
        Column(
            "success_probability",
            "float",
            optional=True,
            minimum=0,
            maximum=1,
            description="chance the delivery happens (brokers can fail); blank means 1",
        ),
    ),
)

PROTECTION = TableSpec(
    name="protection",
    key=("depot_id", "part_number"),
    columns=(
        Column("depot_id", description="a depot in the depots table"),
        Column("part_number", description="a part in the parts table"),
        Column(
            "level",
            "int",
            minimum=0,
            maximum=MAX_QUANTITY,
            description="units on hand held back for parts-priority orders",
        ),
    ),
)
