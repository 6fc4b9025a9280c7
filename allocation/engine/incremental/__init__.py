"""Keeping a plan current: re-plan only the part group a change touches, or nothing at all.

Every change (an arrival, a cancel, a shipment, a receipt, a stock change) leaves exactly the
plan a full re-plan would make; the no-solve shortcuts say when no solve is needed.
"""

from __future__ import annotations

from allocation.engine.incremental._arrival import Decided
from allocation.engine.incremental._groups import merge_plans, split_by_group
from allocation.engine.incremental._marginal import marginal_values
from allocation.engine.incremental._planner import Planner, canonical_orders

__all__ = [
    "Decided",
    "Planner",
    "canonical_orders",
    "marginal_values",
    "merge_plans",
    "split_by_group",
]
