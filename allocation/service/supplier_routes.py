"""``GET /suppliers/scorecard``: how reliable each supplier's purchases turned out, from the
shipments and the failures the order systems reported (see
:func:`allocation.reports.supplier_scorecard`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from allocation.adapters.store.purchases import purchase_outcomes
from allocation.reports import supplier_scorecard
from allocation.service.routes import _ERRORS, Client, _known_query, _read

__all__ = ["SupplierScore", "supplier_router"]

supplier_router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])


class SupplierScore(BaseModel):
    """One supplier's purchases of one kind, and how they turned out."""

    supplier_id: str
    source: str = Field(description="broker or expedite")
    buys: int = Field(description="purchase lines with an outcome: shipped or failed")
    failed: int = Field(description="lines reported failed (POST /orders/{id}/purchase-failed)")
    success_rate: float
    ci_low: float = Field(description="the exact (Clopper-Pearson) interval of success_rate")
    ci_high: float
    declared_success: float | None = Field(
        description="the mean success probability its supply options declare (null: none)"
    )
    verdict: str = Field(
        description="less reliable than declared, as declared, more reliable than declared"
    )


@supplier_router.get("/suppliers/scorecard", response_model=list[SupplierScore])
def scorecard(
    request: Request,
    client: Client,
    confidence: Annotated[
        float,
        Query(gt=0, lt=1, description="the level of each interval (0.95 by default)"),
    ] = 0.95,
) -> list[SupplierScore]:
    """Per supplier and source kind: purchase lines shipped and failed, the success rate
    with its interval, and whether the supplier lived up to what its offers declare; least
    reliable first. Lines still on their way are not counted."""
    card = supplier_scorecard(_read(request, purchase_outcomes), confidence)
    rows = card.astype(object).where(card.notna(), None)
    return [SupplierScore.model_validate(row) for row in rows.to_dict("records")]
