"""The engine's model: a snapshot's world (context), its orders, sources and arcs as arrays.

Built once per snapshot and shared by every strategy, re-plan and explanation; memory and
time grow with order lines and arcs, never with units.
"""

from __future__ import annotations

from allocation.engine.model._arcs import ARC_KEYS, Arcs, arcs_like, build_arcs
from allocation.engine.model._classify import Classes, classify, classify_orders
from allocation.engine.model._context import Context, build_context
from allocation.engine.model._fair_share import (
    CapHubs,
    Held,
    SplitShares,
    cap_hubs,
    capped_parts,
    split_parts,
    split_pools,
    split_shares,
)
from allocation.engine.model._network import Routes, build_network, routes
from allocation.engine.model._orders import CLASSES, TIERS, OrderColumns, orders_from
from allocation.engine.model._overrides import FirmError, firm_flow, forbidden_arcs, own_nodes
from allocation.engine.model._problem import Problem, problem_from, size_buckets
from allocation.engine.model._sorting import positions, stable_order
from allocation.engine.model._sources import SourceColumns, SourceIndex, sources_from
from allocation.engine.model._unique import unique_inverse

__all__ = [
    "ARC_KEYS",
    "CLASSES",
    "TIERS",
    "Arcs",
    "CapHubs",
    "Classes",
    "Context",
    "FirmError",
    "Held",
    "OrderColumns",
    "Problem",
    "Routes",
    "SourceColumns",
    "SourceIndex",
    "SplitShares",
    "arcs_like",
    "build_arcs",
    "build_context",
    "build_network",
    "cap_hubs",
    "capped_parts",
    "classify",
    "classify_orders",
    "firm_flow",
    "forbidden_arcs",
    "orders_from",
    "own_nodes",
    "positions",
    "problem_from",
    "routes",
    "size_buckets",
    "sources_from",
    "split_parts",
    "split_pools",
    "split_shares",
    "stable_order",
    "unique_inverse",
]
