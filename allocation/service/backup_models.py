"""The body of ``GET /orders/{id}/backups``: the shelf units a broker buy holds."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["BackupLine", "OrderBackups"]


class BackupLine(BaseModel):
    """Units of a shelf held for the order's broker buy: not promised, shipped at once if the
    buy fails."""

    part_number: str = Field(description="the held units' part (a substitute's, for one)")
    source: str = Field(description="stock (the order's own depot) or transfer (another's)")
    origin: str = Field(description="the depot whose shelf holds them")
    quantity: int
    eta: datetime = Field(description="when they would arrive if shipped now (UTC)")
    eta_hours: float = Field(description="hours from now to that arrival")


class OrderBackups(BaseModel):
    """What an open order holds for its broker units, by the policy's ``broker_backup``."""

    order_id: str
    broker_backup: bool = Field(description="whether the service's policy holds backups at all")
    broker_units: int = Field(
        description="units the order's plan buys from brokers that a backup would cover "
        "(parts-priority orders only; 0 with the policy's broker_backup off)"
    )
    held: list[BackupLine] = Field(description="the held units, nearest first")
