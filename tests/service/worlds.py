"""Tiny worlds for the service tests, as snapshot tables.

One depot ``D-US`` in the United States; a lane from it to Uruguay (48 h) so orders shipped
there have a home depot too. Customers, named by what their orders become:

- ``C-PM``: Priority Management (PC, 5 years, bought a year ago), in the US:
  ``parts_priority``;
- ``C-PM-UY``: the same contract, in Uruguay: keeps tier PM but is ``standard`` (excluded);
- ``C-STD``: no contract: ``standard``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import pandas as pd

from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.service.group_rows import ORDER_COLUMNS

PM_SKU = "U1PV9E"  # Priority Management, PC units, 5 years
# The contracts start a year before the tests run (whatever the day), so orders created now
# or at EARLY (half a year ago) are inside their term.
PURCHASED = (date.today() - timedelta(days=365)).isoformat()
EARLY = (datetime.combine(date.today(), time()) - timedelta(days=180)).isoformat()


def tables(stock: Mapping[str, int], parts: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Snapshot tables with the given units of each part on hand at D-US and no orders."""
    names = parts or sorted(stock)
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": ["C-PM", "C-PM-UY", "C-STD"],
                "name": ["Prime Corp", "Uruguay Corp", "Plain Ltd"],
                "country": ["US", "UY", "US"],
                "installed_base_pcs": [2000, 2000, 2000],
                "installed_base_printers": [0, 0, 0],
                "has_it_helpdesk": [True, True, True],
            }
        ),
        "contracts": pd.DataFrame(
            {
                "contract_id": ["K-1", "K-2"],
                "customer_id": ["C-PM", "C-PM-UY"],
                "sku": [PM_SKU, PM_SKU],
                "purchase_date": [PURCHASED, PURCHASED],
                "activation_date": [None, None],
            }
        ),
        "orders": pd.DataFrame(columns=list(ORDER_COLUMNS)),
        "parts": pd.DataFrame(
            {
                "part_number": names,
                "description": names,
                "unit_cost": [10.0] * len(names),
                "substitutes": [None] * len(names),
            }
        ),
        "depots": pd.DataFrame({"depot_id": ["D-US", "D-DE"], "country": ["US", "DE"]}),
        "stock": pd.DataFrame(
            {
                "part_number": list(stock),
                "depot_id": ["D-US"] * len(stock),
                "on_hand": list(stock.values()),
            }
        ),
        "lanes": pd.DataFrame(
            {
                "origin": ["D-US", "D-DE", "BRK"],
                "destination": ["UY", "US", "US"],
                "transit_hours": [48.0, 24.0, 12.0],
                "cost_per_unit": [20.0, 15.0, 5.0],
            }
        ),
        "supply_options": pd.DataFrame(
            {
                "part_number": [names[0]],
                "source": ["broker"],
                "supplier_id": ["BRK"],
                "capacity": [0],
                "lead_time_hours": [24.0],
                "unit_cost": [100.0],
                "success_probability": [0.9],
            }
        ),
    }


def snapshot(stock: Mapping[str, int], parts: list[str] | None = None) -> Snapshot:
    """The validated snapshot of :func:`tables`."""
    return load_snapshot(tables(stock, parts))


def order(
    order_id: str,
    customer: str = "C-PM",
    part: str = "P-A",
    quantity: int = 1,
    **more: object,
) -> dict[str, object]:
    """An order body: a desktop with a valid warranty."""
    body: dict[str, object] = {
        "order_id": order_id,
        "customer_id": customer,
        "part_number": part,
        "quantity": quantity,
        "product_type": "desktop",
        "warranty_valid": True,
    }
    body.update(more)
    return body
