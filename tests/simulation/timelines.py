"""Hand-written event timelines for the metrics tests: one call per recorded event."""

from __future__ import annotations

import pandas as pd

from simulation.records import Recorder

__all__ = ["allocate", "create", "deliver", "fail", "only_row", "restore"]


def create(
    rec: Recorder,
    at: float,
    order_id: str,
    quantity: int = 1,
    priority_class: str = "parts_priority",
    tier: str | None = "PM",
    customer_id: str = "C1",
    part_number: str = "P1",
) -> None:
    rec.emit(
        at,
        "order_created",
        order_id=order_id,
        part_number=part_number,
        depot_id="D1",
        quantity=quantity,
        customer_id=customer_id,
        country="DE",
        priority_class=priority_class,
        tier=tier,
    )


def allocate(
    rec: Recorder, at: float, order_id: str, source: str, quantity: int = 1, money: float = 0.0
) -> None:
    rec.emit(
        at,
        "allocated",
        order_id=order_id,
        part_number="P1",
        source_kind=source,
        origin="D1",
        quantity=quantity,
        money=money,
    )


def fail(rec: Recorder, at: float, order_id: str, quantity: int = 1, money: float = 0.0) -> None:
    rec.emit(
        at,
        "purchase_failed",
        order_id=order_id,
        part_number="P1",
        source_kind="broker",
        origin="BRK",
        quantity=quantity,
        money=money,
    )


def deliver(rec: Recorder, at: float, order_id: str, source: str, quantity: int = 1) -> None:
    rec.emit(
        at, "delivered", order_id=order_id, part_number="P1", source_kind=source, quantity=quantity
    )


def restore(rec: Recorder, at: float, order_id: str) -> None:
    rec.emit(at, "restored", order_id=order_id, part_number="P1")


def only_row(outcomes: pd.DataFrame) -> pd.Series:
    assert len(outcomes) == 1
    return outcomes.iloc[0]
