"""Request and response bodies of the HTTP API (pydantic, at the boundary only).

Quantities are strict integers (``3``, not ``"3"`` or ``3.5``) between 1 and a billion;
floats must be finite; countries may be ISO codes, English or the data sheet's Chinese names
and come out as ISO alpha-2; times with a zone are converted to UTC, times without one are
taken as UTC. Ids and labels refuse control characters, and free text refuses NUL and the
control characters other than tab and line breaks: PostgreSQL cannot store a NUL in text, and
a line break in an id would forge lines in logs, so both are refused here, alike on every
store, with the field named.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from allocation.adapters.tables import MAX_QUANTITY
from allocation.domain.countries import normalize_country
from allocation.errors import UnknownCountryError
from allocation.service.clock import to_utc_naive

__all__ = [
    "CONTROL_PATTERN",
    "AdjustmentBatch",
    "AdjustmentLine",
    "AllocationLine",
    "Backorder",
    "ClearIn",
    "Event",
    "EventPage",
    "Explanation",
    "FirmIn",
    "ForbidIn",
    "Health",
    "InboundBatch",
    "InboundLine",
    "OrderAnswer",
    "OrderBatch",
    "OrderBatchAnswer",
    "OrderIn",
    "OrderOverrides",
    "OverrideAnswer",
    "OverrideOut",
    "PartAllocations",
    "PlanPage",
    "PurchaseFailure",
    "ReceiptBatch",
    "ReceiptLine",
    "StockAnswer",
    "SupplyAnswer",
    "SupplyOptionIn",
    "SupplyOptions",
    "SupplyState",
    "no_control_characters",
]

_EARLIEST = datetime(1970, 1, 1)
_LATEST = datetime(2200, 1, 1)


def _moment(value: datetime) -> datetime:
    try:
        moment = to_utc_naive(value)
    except OverflowError:  # e.g. 0001-01-01 in a zone east of UTC
        moment = _LATEST
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError("must be between 1970-01-01 and 2200-01-01")
    return moment


def _country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return normalize_country(value)
    except UnknownCountryError as error:
        raise ValueError(str(error)) from None


CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"
"""What an id or a label may hold: no control character (documented in the OpenAPI schema)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control(value: str, found: re.Match[str] | None) -> str:
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "must not contain control characters: {char} at position {position}",
            {"char": repr(found.group()), "position": found.start()},
        )
    return value


def no_control_characters(value: str) -> str:
    """``value`` if it holds no control character (NUL, line breaks, ...); else a field error."""
    return _refuse_control(value, _CONTROL.search(value))


def _plain_text(value: str) -> str:
    return _refuse_control(value, _TEXT_CONTROL.search(value))


Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra={"pattern": CONTROL_PATTERN}),
    AfterValidator(no_control_characters),
]
Text = Annotated[
    str,
    StringConstraints(max_length=500),
    Field(json_schema_extra={"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"}),
    AfterValidator(_plain_text),
]
OrderId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"),
]
Ident = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f/]+$")
]
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
Moment = Annotated[datetime, AfterValidator(_moment)]
Country = Annotated[str | None, AfterValidator(_country)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderIn(_Body):
    """A repair order line: a customer needs units of a part for a failed unit."""

    order_id: OrderId = Field(description="unique id of the order line")
    customer_id: Ident = Field(description="a loaded customer")
    part_number: Ident = Field(description="a loaded part")
    quantity: Quantity = Field(description="units needed")
    created_at: Moment | None = Field(
        default=None, description="when the unit went down; now when omitted"
    )
    product_type: Label = Field(
        description="desktop, notebook, workstation, retail_pos, thin_client, tablet, "
        "business_printer (anything else is not covered)"
    )
    warranty_valid: bool = Field(strict=True, description="the unit has a valid warranty")
    ship_to_country: Country = Field(
        default=None, description="where the unit is; the customer's country when omitted"
    )
    need_by: Moment | None = Field(
        default=None,
        description="by when the parts are due (ISO 8601 date-time, with an offset or Z; "
        "without one, UTC); when omitted, the service policy's response time after "
        "created_at, if it sets one",
    )


class OrderBatch(_Body):
    """Several order lines, accepted or refused together."""

    orders: list[OrderIn] = Field(min_length=1)


class ReceiptLine(_Body):
    """Units arrived at a depot."""

    part_number: Ident
    depot_id: Ident
    quantity: Quantity


class ReceiptBatch(_Body):
    """Stock receipts."""

    lines: list[ReceiptLine] = Field(min_length=1)


class AdjustmentLine(_Body):
    """A correction of the units on hand (a count, a loss, a find)."""

    part_number: Ident
    depot_id: Ident
    delta: Annotated[int, Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
    reason: Text | None = None


class AdjustmentBatch(_Body):
    """Stock adjustments."""

    lines: list[AdjustmentLine] = Field(min_length=1)


class InboundLine(_Body):
    """A scheduled receipt: units landing at a depot at ``eta``."""

    part_number: Ident
    depot_id: Ident
    quantity: Quantity
    eta: Moment


class InboundBatch(_Body):
    """Scheduled receipts."""

    lines: list[InboundLine] = Field(min_length=1)


class SupplyOptionIn(_Body):
    """An expedite or broker source of a part."""

    part_number: Ident
    source: Literal["expedite", "broker"]
    supplier_id: Ident
    capacity: Annotated[int, Field(strict=True, ge=0, le=MAX_QUANTITY)]
    lead_time_hours: Annotated[Finite, Field(ge=0, le=1e5)]
    unit_cost: Annotated[Finite, Field(ge=0, le=1e9)]
    success_probability: Annotated[Finite, Field(ge=0, le=1)] | None = None


class SupplyOptions(_Body):
    """Supply options; every part named here gets exactly the options listed for it."""

    options: list[SupplyOptionIn] = Field(min_length=1)


class PurchaseFailure(_Body):
    """A purchase (expedite or broker) for an order that failed: its units will not come.

    Names one of the order's allocation lines as its answer shows them (``source``,
    ``origin``, and ``part_number`` when the order holds units of substitutes too).
    """

    source: Literal["stock", "transfer", "inbound", "expedite", "broker"] = Field(
        description="the line's source; only expedite and broker lines are purchases"
    )
    origin: Ident = Field(description="the line's origin: the supplier of the purchase")
    part_number: Ident | None = Field(
        default=None, description="the line's part; needed only when several lines match"
    )
    quantity: Quantity | None = Field(
        default=None, description="units that failed; all the line's units when omitted"
    )
    reason: Text | None = Field(default=None, description="what the supplier said")


SourceName = Literal["stock", "transfer", "inbound", "expedite", "broker"]


class FirmIn(_Body):
    """Firm units of one of the order's allocation lines: released for delivery, no later
    plan moves them (:mod:`allocation.domain.overrides`)."""

    source: SourceName = Field(description="the line's source kind")
    origin: Ident = Field(description="the line's origin: the depot, or the supplier")
    quantity: Quantity | None = Field(
        default=None, description="units to firm; every unit the line holds when omitted"
    )


class ForbidIn(_Body):
    """A source the order may never take units from."""

    source: SourceName = Field(description="the source kind")
    origin: Ident | None = Field(
        default=None, description="the depot or supplier; every origin of the kind when omitted"
    )


class ClearIn(_Body):
    """Which of the order's overrides to remove: all when no field is given."""

    kind: Literal["firm", "forbid"] | None = None
    source: SourceName | None = None
    origin: Ident | None = None


# -- answers ---------------------------------------------------------------------------


class AllocationLine(BaseModel):
    """Units promised to (or shipped for) an order from one source."""

    part_number: str
    quantity: int
    source: str = Field(description="stock, transfer, inbound, expedite or broker")
    origin: str = Field(description="the depot, or the supplier for expedite and broker")
    eta: datetime | None
    cost: float


class Backorder(BaseModel):
    """What an order is still waiting for, and why: in words, and as a root-cause code."""

    quantity: int
    reason: str
    code: str | None = Field(
        description="the root-cause code of the reason (whole_order_unavailable, no_route, "
        "held_back_by_protection, no_stock_anywhere, source_not_allowed_for_class, "
        "held_by_higher_class, held_by_same_class); null only for a backorder recorded "
        "before codes were kept"
    )


class OrderAnswer(BaseModel):
    """An order with its priority class and what it holds or waits for."""

    order_id: str
    customer_id: str
    part_number: str
    quantity: int
    status: Literal["open", "cancelled", "shipped"]
    priority_class: str
    tier: str
    country: str
    entitlement_reasons: list[str]
    created_at: datetime
    need_by: datetime | None = Field(
        description="by when its parts are due (UTC): its own, or the policy's response "
        "time after created_at, fixed at intake; null: no target"
    )
    late_hours: float | None = Field(
        description="hours the latest ETA of the units it holds is after need_by (0: on "
        "time); null without a target, or while it holds no units (its backorder says why)"
    )
    allocated_quantity: int
    allocations: list[AllocationLine]
    backorder: Backorder | None


class OverrideOut(BaseModel):
    """One override of an order, as stored."""

    kind: Literal["firm", "forbid"]
    source: str = Field(description="stock, transfer, inbound, expedite or broker")
    origin: str | None = Field(description="the depot or supplier; null: every origin (forbid)")
    quantity: int | None = Field(description="units firmed; null for forbid")
    created_at: datetime


class OrderOverrides(BaseModel):
    """An order's overrides, oldest first."""

    order_id: str
    overrides: list[OverrideOut]


class OverrideAnswer(OrderOverrides):
    """An order's overrides after a change, the order as re-planned, and every other order
    whose units the re-plan moved."""

    order: OrderAnswer
    replanned_orders: list[OrderAnswer]


class OrderBatchAnswer(BaseModel):
    """The orders of a batch, in the order they were posted."""

    orders: list[OrderAnswer]


class SupplyState(BaseModel):
    """One supply of a part: units it has, units promised."""

    part_number: str
    supply: str
    units: int
    promised: int


class StockAnswer(BaseModel):
    """The supply a stock change touched and the orders whose promises changed."""

    supply: list[SupplyState]
    replanned_orders: list[OrderAnswer]


class SupplyAnswer(StockAnswer):
    """The same for supply options."""


class Explanation(BaseModel):
    """Why an order got what it got, in words."""

    order_id: str
    explanation: str


class PartAllocations(BaseModel):
    """Who holds which units of a part (its group), and what each supply has."""

    part_number: str
    part_group: str
    supply: list[SupplyState]
    orders: list[OrderAnswer] = Field(description="open orders of the part's group")


class PlanPage(BaseModel):
    """A page of open orders with what each holds or waits for."""

    total: int
    offset: int
    limit: int
    orders: list[OrderAnswer]


class Event(BaseModel):
    """One change to what an order holds or waits for (kinds: ``GET /events``)."""

    cursor: int = Field(description="the event's id: pass it as ?after= for what follows")
    kind: Literal[
        "allocated",
        "reallocated",
        "released",
        "shipped",
        "backordered",
        "filled",
        "cancelled",
        "purchase_failed",
        "backup_used",
    ]
    order_id: str
    part_number: str
    quantity: int = Field(description="units the event is about (see the kinds)")
    source: str | None = Field(description="stock, transfer, inbound, expedite or broker")
    origin: str | None = Field(description="the depot or the supplier")
    at: datetime = Field(description="when the write that made it ran (UTC)")


class EventPage(BaseModel):
    """Events after a cursor, oldest first, and the cursor to ask from next."""

    events: list[Event]
    next: int = Field(description="the last event's cursor; the one asked with when empty")


class Health(BaseModel):
    """Liveness and database reachability."""

    status: Literal["ok", "unavailable"]
    database: str
    schema_revision: str | None
    loaded: bool
