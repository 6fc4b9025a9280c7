"""The order-system service: an HTTP API over a durable allocation ledger.

Order systems post repair orders and stock movements and read back allocations with ETAs
and reasons. Every decision comes from the allocation engine; the database is the truth.
"""

from __future__ import annotations

__all__: list[str] = []
