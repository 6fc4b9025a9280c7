"""Report facts built by hand, with every figure of their reports worked out beside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from allocation.reports import ReportFacts, empty_orders, empty_sources

AS_OF = datetime(2026, 10, 5)


def order(order_id: str, created: str, **fields: Any) -> dict[str, Any]:
    """One ``orders`` row of customer C1, restored a day later, unless ``fields`` say else."""
    row: dict[str, Any] = {
        "replication": 0,
        "order_id": order_id,
        "customer_id": "C1",
        "created_at": pd.Timestamp(created),
        "part_number": "P1",
        "depot_id": "D1",
        "country": "US",
        "quantity": 1,
        "priority_class": "parts_priority",
        "tier": "PM",
        "lost_code": None,
        "status": "restored",
        "restored_at": pd.Timestamp(created) + pd.Timedelta(hours=24),
        "backordered": False,
        "code": None,
    }
    row.update(fields)
    return row


def facts(
    orders: list[dict[str, Any]],
    sources: list[dict[str, Any]] = (),  # type: ignore[assignment]
    replications: int = 1,
    target_hours: float = 48.0,
) -> ReportFacts:
    """Facts of customers C1 (PM) and C2 (standard) holding ``orders`` and ``sources``."""
    frame = pd.concat([empty_orders(), pd.DataFrame(orders)], ignore_index=True)
    frame["created_at"] = pd.to_datetime(frame["created_at"])
    frame["restored_at"] = pd.to_datetime(frame["restored_at"])
    served = (
        pd.concat([empty_sources(), pd.DataFrame(list(sources))], ignore_index=True)
        if sources
        else empty_sources()
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "name": ["Acme <Industries>", "Beta", "Gamma"],
            "tier": ["PM", "standard", "PA+"],
        }
    )
    return ReportFacts(frame, served, customers, AS_OF, target_hours, "database", replications)
