"""Bodies and answers of the master-data routes (customers, contracts, parts, depots, lanes).

A body holds a row's fields but its key, which is in the path. Limits of numbers are those
of the snapshot's tables (:mod:`allocation.domain.tables`), read from there: the same row is
refused over HTTP and in a snapshot folder. What a type cannot say (a known country, a SKU
of the data sheet, a customer that exists, substitutes that are parts) the use case checks
with the snapshot loader's own rules (:mod:`allocation.service.master_rows`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from allocation.domain.tables import CONTRACTS, CUSTOMERS, LANES, PARTS, Column
from allocation.service.models import Ident, Label, OrderAnswer, Text, _Body

__all__ = [
    "ContractAnswer",
    "ContractIn",
    "ContractRecord",
    "CustomerAnswer",
    "CustomerIn",
    "CustomerRecord",
    "DepotAnswer",
    "DepotIn",
    "DepotRecord",
    "LaneAnswer",
    "LaneIn",
    "LaneRecord",
    "PartAnswer",
    "PartIn",
    "PartRecord",
]


def _whole(column: Column) -> Any:
    """A strict integer within the column's limits."""
    return Field(strict=True, ge=column.minimum, le=column.maximum, description=column.description)


def _number(column: Column) -> Any:
    """A finite number within the column's limits."""
    return Field(
        allow_inf_nan=False, ge=column.minimum, le=column.maximum, description=column.description
    )


Name = Annotated[str, StringConstraints(min_length=1)]
CountryText = Annotated[Label, Field(description="ISO 3166-1 code, or an English or Chinese name")]
Day = Annotated[date, Field(ge=date(1970, 1, 1), lt=date(2200, 1, 1))]


class CustomerIn(_Body):
    """A customer: the facts its orders' entitlement depends on."""

    name: Annotated[Text, StringConstraints(min_length=1)] = Field(description="customer name")
    country: CountryText
    installed_base_pcs: Annotated[int, _whole(CUSTOMERS.column("installed_base_pcs"))]
    installed_base_printers: Annotated[int, _whole(CUSTOMERS.column("installed_base_printers"))]
    has_it_helpdesk: bool = Field(strict=True, description="the customer runs an IT help desk")


class ContractIn(_Body):
    """A Priority Services contract: a SKU of the data sheet bought by a customer."""

    customer_id: Ident = Field(description="a known customer")
    sku: Annotated[Label, StringConstraints(max_length=16)] = Field(
        description=CONTRACTS.column("sku").description
    )
    purchase_date: Day = Field(description="day the service was bought")
    activation_date: Day | None = Field(
        default=None, description="day service started; purchase + 30 days when omitted"
    )


class PartIn(_Body):
    """A part: its cost, and the parts that may replace it."""

    description: Text | None = Field(default=None, description="what the part is")
    unit_cost: Annotated[float, _number(PARTS.column("unit_cost"))]
    substitutes: list[Ident] = Field(
        default_factory=list, max_length=100, description="known parts that may replace it"
    )


class DepotIn(_Body):
    """A depot: where it is."""

    country: CountryText


class LaneIn(_Body):
    """A lane from an origin (a depot or a supplier) to a destination (a depot or a
    country)."""

    transit_hours: Annotated[float, _number(LANES.column("transit_hours"))]
    cost_per_unit: Annotated[float, _number(LANES.column("cost_per_unit"))]


# -- what the store holds, and the answers of a change ---------------------------------


class CustomerRecord(BaseModel):
    """A customer as the store holds it."""

    customer_id: str
    name: str
    country: str
    installed_base_pcs: int
    installed_base_printers: int
    has_it_helpdesk: bool


class ContractRecord(BaseModel):
    """A contract as the store holds it."""

    contract_id: str
    customer_id: str
    sku: str
    purchase_date: date
    activation_date: date | None


class PartRecord(BaseModel):
    """A part as the store holds it, with its part group."""

    part_number: str
    description: str | None
    unit_cost: float
    substitutes: list[str]
    part_group: str


class DepotRecord(BaseModel):
    """A depot as the store holds it."""

    depot_id: str
    country: str


class LaneRecord(BaseModel):
    """A lane as the store holds it (endpoints as ids or ISO alpha-2 codes)."""

    origin: str
    destination: str
    transit_hours: float
    cost_per_unit: float


_CREATED = Field(description="whether the request created the row (201) or changed it (200)")
_REPLANNED = Field(
    description="open orders whose priority class or allocation changed, by order id"
)


class CustomerAnswer(BaseModel):
    """The customer as stored, and the orders the change re-decided or re-planned."""

    created: bool = _CREATED
    customer: CustomerRecord
    replanned_orders: list[OrderAnswer] = _REPLANNED


class ContractAnswer(BaseModel):
    """The contract as stored, and the orders the change re-decided or re-planned."""

    created: bool = _CREATED
    contract: ContractRecord
    replanned_orders: list[OrderAnswer] = _REPLANNED


class PartAnswer(BaseModel):
    """The part as stored, and the orders the change re-planned."""

    created: bool = _CREATED
    part: PartRecord
    replanned_orders: list[OrderAnswer] = _REPLANNED


class DepotAnswer(BaseModel):
    """The depot as stored, and the orders the change re-planned."""

    created: bool = _CREATED
    depot: DepotRecord
    replanned_orders: list[OrderAnswer] = _REPLANNED


class LaneAnswer(BaseModel):
    """The lane as stored, and the orders the change re-planned."""

    created: bool = _CREATED
    lane: LaneRecord
    replanned_orders: list[OrderAnswer] = _REPLANNED
