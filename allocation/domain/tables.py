"""The tables of a snapshot and their columns: what each holds, its type and its limits.

These are the domain's own terms — an order line has a positive whole quantity of at most a
billion units, a stock level is unique per part and depot — and the documentation's table
reference (docs/reference/tables.md) is generated from them. Reading them from files, with
every problem named by file, row and column, is the adapters' job
(:func:`allocation.adapters.tables.read_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from allocation.domain.rulebook import default_rulebook

__all__ = [
    "CONTRACTS",
    "CUSTOMERS",
    "DEPOTS",
    "INBOUND",
    "LANES",
    "MAX_QUANTITY",
    "OPTIONAL_TABLES",
    "ORDERS",
    "OVERRIDES",
    "PARTS",
    "PROTECTION",
    "STOCK",
    "SUPPLY_OPTIONS",
    "TABLES",
    "Column",
    "Kind",
    "TableSpec",
]

Kind = Literal["text", "int", "float", "bool", "date", "datetime", "country"]
"""How a column's cells read: text, whole numbers, numbers, yes/no, dates, moments, countries."""
MAX_QUANTITY = 1_000_000_000
"""The most units a quantity may hold."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table: its kind, whether it may be blank and the values it allows.

    ``minimum``/``maximum`` bound numbers (inclusive unless ``exclusive_minimum``);
    ``choices`` restricts text (compared after ``normalize``).
    """

    name: str
    kind: Kind = "text"
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: frozenset[str] | None = None
    normalize: Callable[[str], str] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A table: its name, its columns and which columns form its unique key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


TABLES = (
    "customers",
    "contracts",
    "orders",
    "parts",
    "depots",
    "stock",
    "inbound",
    "lanes",
    "supply_options",
)
"""The tables of a snapshot, in the order they are read."""
OPTIONAL_TABLES = frozenset({"inbound", "supply_options"})
"""Tables a snapshot may leave out: no receipts, no expedite or broker sources."""

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
        Column(
            "covered_units",
            "int",
            optional=True,
            minimum=0,
            maximum=MAX_QUANTITY,
            description="units of its family the contract covers; blank: the whole installed base",
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
        Column(
            "need_by",
            "datetime",
            optional=True,
            description="when the parts are due (ISO 8601); blank: the policy's response "
            "time, if any, after created_at",
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

OVERRIDES = TableSpec(
    name="overrides",
    columns=(
        Column(
            "kind",
            choices=frozenset({"firm", "forbid"}),
            normalize=str.lower,
            description="firm (released for delivery: no plan moves it) or forbid (never "
            "this source for this order)",
        ),
        Column("order_id", description="an order in the orders table"),
        Column(
            "source_kind",
            choices=frozenset({"stock", "transfer", "inbound", "expedite", "broker"}),
            normalize=str.lower,
            description="stock, transfer, inbound, expedite or broker",
        ),
        Column(
            "origin",
            optional=True,
            description="the depot (stock, transfer, inbound) or supplier (expedite, broker); "
            "blank with forbid: every origin of that kind; required with firm",
        ),
        Column(
            "quantity",
            "int",
            optional=True,
            minimum=0,
            exclusive_minimum=True,
            maximum=MAX_QUANTITY,
            description="units firmed (required with firm, blank with forbid)",
        ),
    ),
)
