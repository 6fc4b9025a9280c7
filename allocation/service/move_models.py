"""Bodies of the move routes and of ``GET /policy`` (pydantic, at the boundary only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from allocation.service.models import (
    Ident,
    OrderAnswer,
    OverrideOut,
    Quantity,
    SourceName,
    _Body,
)

__all__ = [
    "FirmLine",
    "LevelChange",
    "MoveAnswer",
    "MoveImpactOut",
    "MoveIn",
    "MoveLine",
    "OrderImpact",
    "PolicyOut",
]


class MoveIn(_Body):
    """Units of the path's order to move to another order of its part group."""

    to_order: Ident = Field(description="the order that takes the units")
    units: Quantity | None = Field(
        default=None, description="units to move; every unit of the chosen line when omitted"
    )
    source: SourceName | None = Field(
        default=None,
        description="the source kind of the line to move from (with origin); when omitted, "
        "the line with the best ETA",
    )
    origin: Ident | None = Field(
        default=None, description="the depot or supplier of that line (with source)"
    )

    @model_validator(mode="after")
    def _source_with_origin(self) -> MoveIn:
        if (self.source is None) != (self.origin is None):
            raise ValueError("source and origin name a line together: give both or neither")
        return self


class MoveLine(BaseModel):
    """The move: who gives, who takes, how many units of which line."""

    from_order: str
    to_order: str
    units: int
    source: str
    origin: str


class FirmLine(BaseModel):
    """The firm override the move adds for the order that takes the units."""

    order_id: str
    source: str
    origin: str
    quantity: int


class LevelChange(BaseModel):
    """One level of the objective before and after the move."""

    level: str
    before: float
    after: float
    change: float


class OrderImpact(BaseModel):
    """An order whose units or latest ETA (hours from now; null: no units) the move changes."""

    order_id: str
    priority_class: str
    units_before: int
    units_after: int
    eta_before_hours: float | None
    eta_after_hours: float | None


class MoveImpactOut(BaseModel):
    """What a move does, level by level of the objective and order by order; ``applied``:
    whether it was made (false for a preview)."""

    move: MoveLine
    firm: FirmLine
    levels: list[LevelChange]
    orders: list[OrderImpact]
    applied: bool


class MoveAnswer(MoveImpactOut):
    """A move as applied: its impact, the taking order's overrides and answer as re-planned,
    and every other order whose units the re-plan moved."""

    overrides: list[OverrideOut]
    order: OrderAnswer
    replanned_orders: list[OrderAnswer]


class PolicyOut(BaseModel):
    """The policy the database's servers plan with."""

    name: str = Field(description="the policy file's name; 'default' when none was loaded")
    sha256: str = Field(description="SHA-256 (hex) of the document's canonical JSON")
    loaded_at: datetime | None = Field(description="when it was stored; null for the default")
    document: dict[str, Any] = Field(
        description="the policy's sections ('entitlement', 'allocation') as the file gave them, "
        "with any table it named read in"
    )
