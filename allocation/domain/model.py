"""Value objects of the parts-allocation domain.

Frozen dataclasses and string enums, nothing else: the domain is what planners talk about
(customers, contracts, order lines, parts, depots, stock and the ways to get more) and it
imports no solver, web or database library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "Contract",
    "Customer",
    "Depot",
    "InboundReceipt",
    "Lane",
    "OrderLine",
    "Part",
    "PriorityClass",
    "ProductFamily",
    "SourceBase",
    "SourceKind",
    "StockLevel",
    "SupplyOption",
    "Tier",
]


class Tier(enum.StrEnum):
    """Priority Services tier of a contract (docs/explanation/rules.md, "Service tiers").

    ``STANDARD`` is a customer with no (valid) Priority Services contract.
    """

    STANDARD = "standard"
    PA = "PA"
    PA_PLUS = "PA+"
    PM = "PM"

    @property
    def rank(self) -> int:
        """Higher ranks are better tiers: standard 0, PA 1, PA+ 2, PM 3."""
        return _TIER_RANK[self]


_TIER_RANK = {Tier.STANDARD: 0, Tier.PA: 1, Tier.PA_PLUS: 2, Tier.PM: 3}


class PriorityClass(enum.StrEnum):
    """Priority class of an order line: the rank it gets when parts run short.

    ``parts_priority`` is an entitled Priority Management order outside the excluded
    countries; every other order is ``standard``. The ranking between classes is policy.
    """

    PARTS_PRIORITY = "parts_priority"
    STANDARD = "standard"

    @property
    def code(self) -> int:
        """Position in declaration order: the integer the engine's arrays hold."""
        return _CLASS_CODE[self]


class ProductFamily(enum.StrEnum):
    """Which SKU family covers a product: a PC SKU covers PCs, a Print SKU business printers."""

    PC = "pc"
    PRINT = "print"


class SourceKind(enum.StrEnum):
    """Where a unit can come from, seen from the order that takes it (DESIGN.md, "Source
    kinds"): the same shelf is ``stock`` for an order of its depot and ``transfer`` for
    an order homed elsewhere."""

    STOCK = "stock"
    TRANSFER = "transfer"
    INBOUND = "inbound"
    EXPEDITE = "expedite"
    BROKER = "broker"

    @property
    def code(self) -> int:
        """Position in declaration order: the integer the engine's arrays hold."""
        return _KIND_CODE[self]

    @property
    def is_purchase(self) -> bool:
        """Bought from a supplier (expedite, broker): a buy that can fail, and that a
        supplier scorecard counts."""
        return self in (SourceKind.EXPEDITE, SourceKind.BROKER)


class SourceBase(enum.IntEnum):
    """What a source of units is, whoever takes them: a shelf, a receipt, an option.

    An order's :class:`SourceKind` follows from the base and from whether the depot is the
    order's home (a shelf elsewhere is a ``transfer``). ``label`` names the base as the
    source tables and the service's ledger do.
    """

    SHELF = 0
    RECEIPT = 1
    EXPEDITE = 2
    BROKER = 3

    @property
    def label(self) -> str:
        """``stock``, ``inbound``, ``expedite`` or ``broker``."""
        return _BASE_LABEL[self]

    @classmethod
    def of_option(cls, source: str) -> SourceBase:
        """The base of a supply option's ``source`` column (``expedite`` or ``broker``)."""
        return cls.EXPEDITE if source == "expedite" else cls.BROKER


@dataclass(frozen=True, slots=True)
class Customer:
    """A service customer and the facts its eligibility depends on.

    ``country`` is ISO 3166-1 alpha-2. Installed bases count in-warranty units.
    """

    customer_id: str
    name: str
    country: str
    installed_base_pcs: int
    installed_base_printers: int
    has_it_helpdesk: bool


@dataclass(frozen=True, slots=True)
class Contract:
    """A Priority Services contract: a SKU bought by a customer on a date.

    Tier, term and family follow from the SKU (see :class:`~allocation.domain.rulebook.Sku`).
    ``covered_units`` is how many units of its family it covers; None: the customer's whole
    installed base of that family.
    """

    contract_id: str
    customer_id: str
    sku: str
    purchase_date: date
    activation_date: date | None = None
    covered_units: int | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A repair order line: a customer needs ``quantity`` units of a part for a failed unit.

    ``ship_to_country`` is where the failed unit is; ``None`` means the customer's country.
    ``need_by`` is when its parts are due; ``None`` means the policy's response time, if any
    (:mod:`allocation.domain.response`).
    """

    order_id: str
    customer_id: str
    part_number: str
    quantity: int
    created_at: datetime
    product_type: str
    warranty_valid: bool
    ship_to_country: str | None = None
    need_by: datetime | None = None


@dataclass(frozen=True, slots=True)
class Part:
    """A spare part; ``substitutes`` lists parts that may replace it."""

    part_number: str
    description: str
    unit_cost: float
    substitutes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Depot:
    """A stocking location in a country."""

    depot_id: str
    country: str


@dataclass(frozen=True, slots=True)
class StockLevel:
    """Units of a part on hand at a depot."""

    part_number: str
    depot_id: str
    on_hand: int


@dataclass(frozen=True, slots=True)
class InboundReceipt:
    """A scheduled receipt: units of a part that land at a depot at ``eta``."""

    part_number: str
    depot_id: str
    quantity: int
    eta: datetime


@dataclass(frozen=True, slots=True)
class Lane:
    """A transport lane of the supply network between depots, suppliers and countries."""

    origin: str
    destination: str
    transit_hours: float
    cost_per_unit: float


@dataclass(frozen=True, slots=True)
class SupplyOption:
    """An extra source of a part: an expedited factory delivery or a broker buy."""

    part_number: str
    source: SourceKind
    supplier_id: str
    capacity: int
    lead_time_hours: float
    unit_cost: float
    success_probability: float = 1.0


_CLASS_CODE = {klass: i for i, klass in enumerate(PriorityClass)}
_KIND_CODE = {kind: i for i, kind in enumerate(SourceKind)}
_BASE_LABEL = {
    SourceBase.SHELF: "stock",
    SourceBase.RECEIPT: "inbound",
    SourceBase.EXPEDITE: "expedite",
    SourceBase.BROKER: "broker",
}
