"""Tiny factories for the entitlement domain: an entitled US Priority Management customer by
default; each test changes only the fact it is about."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from allocation.domain.model import Contract, Customer, OrderLine
from tests.allocation.rules_md import PM_PC_1Y

# The day most decisions are made; the default contract is active on it.
DAY = date(2025, 6, 1)


def customer(**changes: Any) -> Customer:
    """A US customer with 1,500 in-warranty PCs and an IT help desk."""
    fields: dict[str, Any] = {
        "customer_id": "C1",
        "name": "Acme",
        "country": "US",
        "installed_base_pcs": 1500,
        "installed_base_printers": 0,
        "has_it_helpdesk": True,
    }
    return Customer(**(fields | changes))


def contract(sku: str = PM_PC_1Y, **changes: Any) -> Contract:
    """A contract of customer C1 bought on 1 January 2025 (active 31 January 2025 on)."""
    fields: dict[str, Any] = {
        "contract_id": "K1",
        "customer_id": "C1",
        "sku": sku,
        "purchase_date": date(2025, 1, 1),
        "activation_date": None,
    }
    return Contract(**(fields | changes))


def order(**changes: Any) -> OrderLine:
    """An order of customer C1 for a desktop under warranty, placed on :data:`DAY`."""
    fields: dict[str, Any] = {
        "order_id": "O1",
        "customer_id": "C1",
        "part_number": "SSD-512",
        "quantity": 1,
        "created_at": datetime(DAY.year, DAY.month, DAY.day, 9, 30),
        "product_type": "desktop",
        "warranty_valid": True,
        "ship_to_country": None,
    }
    return OrderLine(**(fields | changes))
